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
}
