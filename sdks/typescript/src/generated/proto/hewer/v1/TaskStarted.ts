// Original file: pyworker/proto/hewer.proto


export interface TaskStarted {
  'task_id'?: (string);
  'attempt'?: (number);
}

export interface TaskStarted__Output {
  'task_id': (string);
  'attempt': (number);
}
