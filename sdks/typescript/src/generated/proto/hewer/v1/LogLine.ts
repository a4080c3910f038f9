// Original file: pyworker/proto/hewer.proto

import type { Long } from '@grpc/proto-loader';

export interface LogLine {
  'task_id'?: (string);
  'attempt'?: (number);
  'level'?: (string);
  'message'?: (string);
  'at_unix_ms'?: (number | string | Long);
}

export interface LogLine__Output {
  'task_id': (string);
  'attempt': (number);
  'level': (string);
  'message': (string);
  'at_unix_ms': (number);
}
