// Original file: pyworker/proto/hewer.proto


export interface CancelRequest {
  'run_id'?: (string);
}

export interface CancelRequest__Output {
  'run_id': (string);
}
