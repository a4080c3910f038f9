// Original file: pyworker/proto/hewer.proto

import type { Long } from '@grpc/proto-loader';

export interface OutputChunk {
  'chunk_id'?: (string);
  'task_id'?: (string);
  'step'?: (string);
  'attempt'?: (number);
  'seq'?: (number | string | Long);
  'data'?: (string);
  'at_unix_ms'?: (number | string | Long);
}

export interface OutputChunk__Output {
  'chunk_id': (string);
  'task_id': (string);
  'step': (string);
  'attempt': (number);
  'seq': (number);
  'data': (string);
  'at_unix_ms': (number);
}
