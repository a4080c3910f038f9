// Original file: pyworker/proto/hewer.proto

import type { Long } from '@grpc/proto-loader';

export interface Ack {
  'request_id'?: (number | string | Long);
  'accepted'?: (boolean);
  /**
   * Why a report was rejected: unknown_task, stale_attempt, duplicate, not_owner,
   * payload_too_large, too_large (from the database); invalid, error, shutting_down,
   * log_rate (from the dispatcher). An output chunk already stored is accepted with
   * reason duplicate. See docs/protocol.md#request_id-and-acks.
   */
  'reason'?: (string);
  /**
   * For refreshes: the new lease end.
   */
  'timeout_at_unix_ms'?: (number | string | Long);
}

export interface Ack__Output {
  'request_id': (number);
  'accepted': (boolean);
  /**
   * Why a report was rejected: unknown_task, stale_attempt, duplicate, not_owner,
   * payload_too_large, too_large (from the database); invalid, error, shutting_down,
   * log_rate (from the dispatcher). An output chunk already stored is accepted with
   * reason duplicate. See docs/protocol.md#request_id-and-acks.
   */
  'reason': (string);
  /**
   * For refreshes: the new lease end.
   */
  'timeout_at_unix_ms': (number);
}
