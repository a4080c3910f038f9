// Original file: pyworker/proto/hewer.proto

import type { Long } from '@grpc/proto-loader';

/**
 * A chunk of a task attempt's output stream (ctx.stream), for the clients that
 * follow the run's output (Runs.Output, GET /v1/runs/{id}/output). seq counts the
 * attempt's chunks from 1; a chunk sent again with the same seq is stored once.
 */
export interface TaskStream {
  'task_id'?: (string);
  'attempt'?: (number);
  'seq'?: (number | string | Long);
  'data'?: (string);
}

/**
 * A chunk of a task attempt's output stream (ctx.stream), for the clients that
 * follow the run's output (Runs.Output, GET /v1/runs/{id}/output). seq counts the
 * attempt's chunks from 1; a chunk sent again with the same seq is stored once.
 */
export interface TaskStream__Output {
  'task_id': (string);
  'attempt': (number);
  'seq': (number);
  'data': (string);
}
