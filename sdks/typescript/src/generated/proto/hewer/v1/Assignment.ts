// Original file: pyworker/proto/hewer.proto

import type { Long } from '@grpc/proto-loader';

export interface Assignment {
  'task_id'?: (string);
  'attempt'?: (number);
  'run_id'?: (string);
  'workflow'?: (string);
  'step'?: (string);
  'action'?: (string);
  'input_json'?: (string);
  'parents_json'?: (string);
  'timeout_at_unix_ms'?: (number | string | Long);
  'priority'?: (number);
  /**
   * W3C trace context of the dispatcher's claim span for this attempt: the parent of the
   * worker's span for it (docs/observability.md#traces). May be empty; ignore it if unused.
   */
  'traceparent'?: (string);
  /**
   * The tenant the task belongs to (the worker's token's tenant), for logs and spans.
   */
  'tenant_id'?: (string);
}

export interface Assignment__Output {
  'task_id': (string);
  'attempt': (number);
  'run_id': (string);
  'workflow': (string);
  'step': (string);
  'action': (string);
  'input_json': (string);
  'parents_json': (string);
  'timeout_at_unix_ms': (number);
  'priority': (number);
  /**
   * W3C trace context of the dispatcher's claim span for this attempt: the parent of the
   * worker's span for it (docs/observability.md#traces). May be empty; ignore it if unused.
   */
  'traceparent': (string);
  /**
   * The tenant the task belongs to (the worker's token's tenant), for logs and spans.
   */
  'tenant_id': (string);
}
