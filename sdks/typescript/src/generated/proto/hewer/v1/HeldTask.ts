// Original file: pyworker/proto/hewer.proto


export interface HeldTask {
  'task_id'?: (string);
  'attempt'?: (number);
}

export interface HeldTask__Output {
  'task_id': (string);
  'attempt': (number);
}
