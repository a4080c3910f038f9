// Original file: pyworker/proto/hewer.proto


export interface CancelTask {
  'task_id'?: (string);
  'attempt'?: (number);
  /**
   * Text for people and logs, not for programs: today always "cancel requested: the run
   * was cancelled or failed".
   */
  'reason'?: (string);
}

export interface CancelTask__Output {
  'task_id': (string);
  'attempt': (number);
  /**
   * Text for people and logs, not for programs: today always "cancel requested: the run
   * was cancelled or failed".
   */
  'reason': (string);
}
