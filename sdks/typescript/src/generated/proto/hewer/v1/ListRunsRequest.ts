// Original file: pyworker/proto/hewer.proto

import type { RunFilter as _hewer_v1_RunFilter, RunFilter__Output as _hewer_v1_RunFilter__Output } from '../../hewer/v1/RunFilter.js';

export interface ListRunsRequest {
  'filter'?: (_hewer_v1_RunFilter | null);
  /**
   * Only the replays of this run ("" = any run).
   */
  'replay_of'?: (string);
  /**
   * 1 to 10000; 0 = 100.
   */
  'limit'?: (number);
  /**
   * Page: runs older than this run id ("" = from the newest).
   */
  'before'?: (string);
}

export interface ListRunsRequest__Output {
  'filter': (_hewer_v1_RunFilter__Output | null);
  /**
   * Only the replays of this run ("" = any run).
   */
  'replay_of': (string);
  /**
   * 1 to 10000; 0 = 100.
   */
  'limit': (number);
  /**
   * Page: runs older than this run id ("" = from the newest).
   */
  'before': (string);
}
