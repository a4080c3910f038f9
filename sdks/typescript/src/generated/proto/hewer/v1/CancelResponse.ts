// Original file: pyworker/proto/hewer.proto


export interface CancelResponse {
  'run_id'?: (string);
  'cancelled'?: (boolean);
  'status'?: (string);
}

export interface CancelResponse__Output {
  'run_id': (string);
  'cancelled': (boolean);
  'status': (string);
}
