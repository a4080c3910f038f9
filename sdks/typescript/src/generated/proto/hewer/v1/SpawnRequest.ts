// Original file: pyworker/proto/hewer.proto


export interface SpawnRequest {
  /**
   * The spawning task and its current attempt (the fence).
   */
  'task_id'?: (string);
  'attempt'?: (number);
  'workflow'?: (string);
  'input_json'?: (string);
  /**
   * The child key: the same key (per parent run and workflow), the same child.
   * "" = none.
   */
  'key'?: (string);
  /**
   * Tags merged over the parent run's metadata ("" = none).
   */
  'metadata_json'?: (string);
}

export interface SpawnRequest__Output {
  /**
   * The spawning task and its current attempt (the fence).
   */
  'task_id': (string);
  'attempt': (number);
  'workflow': (string);
  'input_json': (string);
  /**
   * The child key: the same key (per parent run and workflow), the same child.
   * "" = none.
   */
  'key': (string);
  /**
   * Tags merged over the parent run's metadata ("" = none).
   */
  'metadata_json': (string);
}
