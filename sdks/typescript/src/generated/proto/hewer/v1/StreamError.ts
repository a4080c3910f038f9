// Original file: pyworker/proto/hewer.proto

import type { Long } from '@grpc/proto-loader';

/**
 * A message the dispatcher could not use, or why it is ending the stream. After
 * invalid_argument the stream stays open; not_found, failed_precondition, worker_dead,
 * silent, replaced and shutting_down come just before the stream ends.
 */
export interface StreamError {
  'request_id'?: (number | string | Long);
  'code'?: (string);
  'message'?: (string);
}

/**
 * A message the dispatcher could not use, or why it is ending the stream. After
 * invalid_argument the stream stays open; not_found, failed_precondition, worker_dead,
 * silent, replaced and shutting_down come just before the stream ends.
 */
export interface StreamError__Output {
  'request_id': (number);
  'code': (string);
  'message': (string);
}
