// Original file: pyworker/proto/hewer.proto

import type { RunFilter as _hewer_v1_RunFilter, RunFilter__Output as _hewer_v1_RunFilter__Output } from '../../hewer/v1/RunFilter.js';

export interface CancelMatchingRequest {
  /**
   * At least one field set; statuses only queued and running.
   */
  'filter'?: (_hewer_v1_RunFilter | null);
}

export interface CancelMatchingRequest__Output {
  /**
   * At least one field set; statuses only queued and running.
   */
  'filter': (_hewer_v1_RunFilter__Output | null);
}
