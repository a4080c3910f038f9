// Original file: pyworker/proto/hewer.proto


export interface Hello {
  'worker_id'?: (string);
}

export interface Hello__Output {
  'worker_id': (string);
}
