// Original file: pyworker/proto/hewer.proto

import type { Long } from '@grpc/proto-loader';

export interface WaitRequest {
  'run_id'?: (string);
  /**
   * 0 waits until the call's own deadline.
   */
  'timeout_ms'?: (number | string | Long);
}

export interface WaitRequest__Output {
  'run_id': (string);
  /**
   * 0 waits until the call's own deadline.
   */
  'timeout_ms': (number);
}
