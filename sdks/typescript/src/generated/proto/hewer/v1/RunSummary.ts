// Original file: pyworker/proto/hewer.proto

import type { Long } from '@grpc/proto-loader';

export interface RunSummary {
  'run_id'?: (string);
  'workflow'?: (string);
  'version'?: (number);
  'status'?: (string);
  'priority'?: (number);
  'input_json'?: (string);
  'error_json'?: (string);
  'replay_of'?: (string);
  /**
   * {"status": count} of the run's tasks.
   */
  'tasks_json'?: (string);
  'created_at_unix_ms'?: (number | string | Long);
  'started_at_unix_ms'?: (number | string | Long);
  'finished_at_unix_ms'?: (number | string | Long);
  /**
   * The run's key/value tags, a JSON object ("{}" = none).
   */
  'metadata_json'?: (string);
}

export interface RunSummary__Output {
  'run_id': (string);
  'workflow': (string);
  'version': (number);
  'status': (string);
  'priority': (number);
  'input_json': (string);
  'error_json': (string);
  'replay_of': (string);
  /**
   * {"status": count} of the run's tasks.
   */
  'tasks_json': (string);
  'created_at_unix_ms': (number);
  'started_at_unix_ms': (number);
  'finished_at_unix_ms': (number);
  /**
   * The run's key/value tags, a JSON object ("{}" = none).
   */
  'metadata_json': (string);
}
