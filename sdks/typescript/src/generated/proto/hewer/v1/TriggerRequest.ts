// Original file: pyworker/proto/hewer.proto


export interface TriggerRequest {
  'workflow'?: (string);
  'input_json'?: (string);
  'priority'?: (number);
  'idempotency_key'?: (string);
  /**
   * Key/value tags as a JSON object ("" = none), see docs/children.md.
   */
  'metadata_json'?: (string);
  '_priority'?: "priority";
}

export interface TriggerRequest__Output {
  'workflow': (string);
  'input_json': (string);
  'priority'?: (number);
  'idempotency_key': (string);
  /**
   * Key/value tags as a JSON object ("" = none), see docs/children.md.
   */
  'metadata_json': (string);
  '_priority'?: "priority";
}
