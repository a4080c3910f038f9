// Original file: pyworker/proto/hewer.proto

import type { WorkerMessage as _hewer_v1_WorkerMessage, WorkerMessage__Output as _hewer_v1_WorkerMessage__Output } from '../../hewer/v1/WorkerMessage.js';

/**
 * Messages sent together, in order; each is handled as if it had come alone, with its own
 * request_id and its own Ack. Not hello, not batch; the batch's own request_id is ignored.
 */
export interface WorkerBatch {
  'messages'?: (_hewer_v1_WorkerMessage)[];
}

/**
 * Messages sent together, in order; each is handled as if it had come alone, with its own
 * request_id and its own Ack. Not hello, not batch; the batch's own request_id is ignored.
 */
export interface WorkerBatch__Output {
  'messages': (_hewer_v1_WorkerMessage__Output)[];
}
