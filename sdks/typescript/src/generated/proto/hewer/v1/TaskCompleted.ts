// Original file: pyworker/proto/hewer.proto


export interface TaskCompleted {
  'task_id'?: (string);
  'attempt'?: (number);
  'output_json'?: (string);
}

export interface TaskCompleted__Output {
  'task_id': (string);
  'attempt': (number);
  'output_json': (string);
}
