// Original file: pyworker/proto/hewer.proto


export interface TaskFailed {
  'task_id'?: (string);
  'attempt'?: (number);
  'error_json'?: (string);
  'retryable'?: (boolean);
  /**
   * The worker stopped the task because it was told to cancel it.
   */
  'cancelled'?: (boolean);
}

export interface TaskFailed__Output {
  'task_id': (string);
  'attempt': (number);
  'error_json': (string);
  'retryable': (boolean);
  /**
   * The worker stopped the task because it was told to cancel it.
   */
  'cancelled': (boolean);
}
