// Original file: pyworker/proto/hewer.proto

import type { Hello as _hewer_v1_Hello, Hello__Output as _hewer_v1_Hello__Output } from '../../hewer/v1/Hello.js';
import type { Heartbeat as _hewer_v1_Heartbeat, Heartbeat__Output as _hewer_v1_Heartbeat__Output } from '../../hewer/v1/Heartbeat.js';
import type { TaskStarted as _hewer_v1_TaskStarted, TaskStarted__Output as _hewer_v1_TaskStarted__Output } from '../../hewer/v1/TaskStarted.js';
import type { TaskCompleted as _hewer_v1_TaskCompleted, TaskCompleted__Output as _hewer_v1_TaskCompleted__Output } from '../../hewer/v1/TaskCompleted.js';
import type { TaskFailed as _hewer_v1_TaskFailed, TaskFailed__Output as _hewer_v1_TaskFailed__Output } from '../../hewer/v1/TaskFailed.js';
import type { TaskRefresh as _hewer_v1_TaskRefresh, TaskRefresh__Output as _hewer_v1_TaskRefresh__Output } from '../../hewer/v1/TaskRefresh.js';
import type { LogLine as _hewer_v1_LogLine, LogLine__Output as _hewer_v1_LogLine__Output } from '../../hewer/v1/LogLine.js';
import type { TaskStream as _hewer_v1_TaskStream, TaskStream__Output as _hewer_v1_TaskStream__Output } from '../../hewer/v1/TaskStream.js';
import type { WorkerBatch as _hewer_v1_WorkerBatch, WorkerBatch__Output as _hewer_v1_WorkerBatch__Output } from '../../hewer/v1/WorkerBatch.js';
import type { Long } from '@grpc/proto-loader';

export interface WorkerMessage {
  /**
   * Echoed in the Ack for this message; 0 means no Ack is wanted.
   */
  'request_id'?: (number | string | Long);
  'hello'?: (_hewer_v1_Hello | null);
  'heartbeat'?: (_hewer_v1_Heartbeat | null);
  'started'?: (_hewer_v1_TaskStarted | null);
  'completed'?: (_hewer_v1_TaskCompleted | null);
  'failed'?: (_hewer_v1_TaskFailed | null);
  'refresh'?: (_hewer_v1_TaskRefresh | null);
  'log'?: (_hewer_v1_LogLine | null);
  'stream'?: (_hewer_v1_TaskStream | null);
  /**
   * Several messages in one (only if RegisterResponse.batches said so).
   */
  'batch'?: (_hewer_v1_WorkerBatch | null);
  'body'?: "hello"|"heartbeat"|"started"|"completed"|"failed"|"refresh"|"log"|"stream"|"batch";
}

export interface WorkerMessage__Output {
  /**
   * Echoed in the Ack for this message; 0 means no Ack is wanted.
   */
  'request_id': (number);
  'hello'?: (_hewer_v1_Hello__Output | null);
  'heartbeat'?: (_hewer_v1_Heartbeat__Output | null);
  'started'?: (_hewer_v1_TaskStarted__Output | null);
  'completed'?: (_hewer_v1_TaskCompleted__Output | null);
  'failed'?: (_hewer_v1_TaskFailed__Output | null);
  'refresh'?: (_hewer_v1_TaskRefresh__Output | null);
  'log'?: (_hewer_v1_LogLine__Output | null);
  'stream'?: (_hewer_v1_TaskStream__Output | null);
  /**
   * Several messages in one (only if RegisterResponse.batches said so).
   */
  'batch'?: (_hewer_v1_WorkerBatch__Output | null);
  'body'?: "hello"|"heartbeat"|"started"|"completed"|"failed"|"refresh"|"log"|"stream"|"batch";
}
