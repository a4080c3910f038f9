// Original file: pyworker/proto/hewer.proto

import type { CancelResponse as _hewer_v1_CancelResponse, CancelResponse__Output as _hewer_v1_CancelResponse__Output } from '../../hewer/v1/CancelResponse.js';

export interface CancelMatchingResponse {
  'runs'?: (_hewer_v1_CancelResponse)[];
}

export interface CancelMatchingResponse__Output {
  'runs': (_hewer_v1_CancelResponse__Output)[];
}
