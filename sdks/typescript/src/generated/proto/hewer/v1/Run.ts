// Original file: pyworker/proto/hewer.proto

import type { Long } from '@grpc/proto-loader';

export interface Run {
  'run_id'?: (string);
  'workflow'?: (string);
  'version'?: (number);
  'status'?: (string);
  'input_json'?: (string);
  'output_json'?: (string);
  'error_json'?: (string);
  /**
   * The run's tasks as a JSON array (see hewer.run_get).
   */
  'tasks_json'?: (string);
  'created_at_unix_ms'?: (number | string | Long);
  'finished_at_unix_ms'?: (number | string | Long);
}

export interface Run__Output {
  'run_id': (string);
  'workflow': (string);
  'version': (number);
  'status': (string);
  'input_json': (string);
  'output_json': (string);
  'error_json': (string);
  /**
   * The run's tasks as a JSON array (see hewer.run_get).
   */
  'tasks_json': (string);
  'created_at_unix_ms': (number);
  'finished_at_unix_ms': (number);
}
