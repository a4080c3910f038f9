// Original file: pyworker/proto/hewer.proto


export interface CancelTask {
  'task_id'?: (string);
  'attempt'?: (number);
  'reason'?: (string);
}

export interface CancelTask__Output {
  'task_id': (string);
  'attempt': (number);
  'reason': (string);
}
