// Original file: pyworker/proto/hewer.proto

import type { DispatcherMessage as _hewer_v1_DispatcherMessage, DispatcherMessage__Output as _hewer_v1_DispatcherMessage__Output } from '../../hewer/v1/DispatcherMessage.js';

/**
 * Messages sent together, in order; handle each as if it had come alone. Never nested.
 */
export interface DispatcherBatch {
  'messages'?: (_hewer_v1_DispatcherMessage)[];
}

/**
 * Messages sent together, in order; handle each as if it had come alone. Never nested.
 */
export interface DispatcherBatch__Output {
  'messages': (_hewer_v1_DispatcherMessage__Output)[];
}
