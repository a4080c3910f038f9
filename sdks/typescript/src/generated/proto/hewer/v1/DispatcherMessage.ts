// Original file: pyworker/proto/hewer.proto

import type { Assignment as _hewer_v1_Assignment, Assignment__Output as _hewer_v1_Assignment__Output } from '../../hewer/v1/Assignment.js';
import type { CancelTask as _hewer_v1_CancelTask, CancelTask__Output as _hewer_v1_CancelTask__Output } from '../../hewer/v1/CancelTask.js';
import type { Ack as _hewer_v1_Ack, Ack__Output as _hewer_v1_Ack__Output } from '../../hewer/v1/Ack.js';
import type { StreamError as _hewer_v1_StreamError, StreamError__Output as _hewer_v1_StreamError__Output } from '../../hewer/v1/StreamError.js';
import type { DispatcherBatch as _hewer_v1_DispatcherBatch, DispatcherBatch__Output as _hewer_v1_DispatcherBatch__Output } from '../../hewer/v1/DispatcherBatch.js';

export interface DispatcherMessage {
  'assignment'?: (_hewer_v1_Assignment | null);
  'cancel'?: (_hewer_v1_CancelTask | null);
  'ack'?: (_hewer_v1_Ack | null);
  'error'?: (_hewer_v1_StreamError | null);
  /**
   * Several messages in one (only if the worker's hello set batches).
   */
  'batch'?: (_hewer_v1_DispatcherBatch | null);
  'body'?: "assignment"|"cancel"|"ack"|"error"|"batch";
}

export interface DispatcherMessage__Output {
  'assignment'?: (_hewer_v1_Assignment__Output | null);
  'cancel'?: (_hewer_v1_CancelTask__Output | null);
  'ack'?: (_hewer_v1_Ack__Output | null);
  'error'?: (_hewer_v1_StreamError__Output | null);
  /**
   * Several messages in one (only if the worker's hello set batches).
   */
  'batch'?: (_hewer_v1_DispatcherBatch__Output | null);
  'body'?: "assignment"|"cancel"|"ack"|"error"|"batch";
}
