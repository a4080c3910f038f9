// Original file: pyworker/proto/hewer.proto

import type { RunSummary as _hewer_v1_RunSummary, RunSummary__Output as _hewer_v1_RunSummary__Output } from '../../hewer/v1/RunSummary.js';

export interface ListRunsResponse {
  'runs'?: (_hewer_v1_RunSummary)[];
}

export interface ListRunsResponse__Output {
  'runs': (_hewer_v1_RunSummary__Output)[];
}
