// Original file: pyworker/proto/hewer.proto

import type { Long } from '@grpc/proto-loader';

export interface RunEvent {
  'run_id'?: (string);
  'task_id'?: (string);
  'step'?: (string);
  'attempt'?: (number);
  'kind'?: (string);
  'status'?: (string);
  'data_json'?: (string);
  'at_unix_ms'?: (number | string | Long);
  /**
   * Set on the last event: the run's terminal status.
   */
  'run_status'?: (string);
}

export interface RunEvent__Output {
  'run_id': (string);
  'task_id': (string);
  'step': (string);
  'attempt': (number);
  'kind': (string);
  'status': (string);
  'data_json': (string);
  'at_unix_ms': (number);
  /**
   * Set on the last event: the run's terminal status.
   */
  'run_status': (string);
}
