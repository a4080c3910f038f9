// Original file: pyworker/proto/hewer.proto

import type { Long } from '@grpc/proto-loader';

export interface TaskRefresh {
  'task_id'?: (string);
  'attempt'?: (number);
  'extend_by_ms'?: (number | string | Long);
}

export interface TaskRefresh__Output {
  'task_id': (string);
  'attempt': (number);
  'extend_by_ms': (number);
}
