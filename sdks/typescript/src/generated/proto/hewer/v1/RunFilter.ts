// Original file: pyworker/proto/hewer.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Runs matching every field set; unset fields match any run.
 */
export interface RunFilter {
  'workflow'?: (string);
  /**
   * Among queued, running, succeeded, failed, cancelled.
   */
  'statuses'?: (string)[];
  /**
   * Created in [since, until); 0 = no bound.
   */
  'since_unix_ms'?: (number | string | Long);
  'until_unix_ms'?: (number | string | Long);
  /**
   * A JSON object the run's input must contain (jsonb @>); "" = any.
   */
  'input_json'?: (string);
  /**
   * Key/value tags the run's metadata must carry, a JSON object like
   * {"customer": "acme"} (jsonb @>, see docs/children.md); "" = any.
   */
  'metadata_json'?: (string);
}

/**
 * Runs matching every field set; unset fields match any run.
 */
export interface RunFilter__Output {
  'workflow': (string);
  /**
   * Among queued, running, succeeded, failed, cancelled.
   */
  'statuses': (string)[];
  /**
   * Created in [since, until); 0 = no bound.
   */
  'since_unix_ms': (number);
  'until_unix_ms': (number);
  /**
   * A JSON object the run's input must contain (jsonb @>); "" = any.
   */
  'input_json': (string);
  /**
   * Key/value tags the run's metadata must carry, a JSON object like
   * {"customer": "acme"} (jsonb @>, see docs/children.md); "" = any.
   */
  'metadata_json': (string);
}
