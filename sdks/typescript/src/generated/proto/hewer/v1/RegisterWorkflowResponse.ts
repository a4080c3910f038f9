// Original file: pyworker/proto/hewer.proto


export interface RegisterWorkflowResponse {
  'workflow_id'?: (string);
  'version_id'?: (string);
  'version'?: (number);
  'created'?: (boolean);
  /**
   * The workflow's current version after this call. It differs from `version` when the
   * spec is identical to an older version: that version is not made current again.
   */
  'current_version'?: (number);
}

export interface RegisterWorkflowResponse__Output {
  'workflow_id': (string);
  'version_id': (string);
  'version': (number);
  'created': (boolean);
  /**
   * The workflow's current version after this call. It differs from `version` when the
   * spec is identical to an older version: that version is not made current again.
   */
  'current_version': (number);
}
