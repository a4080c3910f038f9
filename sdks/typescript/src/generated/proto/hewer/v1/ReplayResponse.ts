// Original file: pyworker/proto/hewer.proto


export interface ReplayResponse {
  'run_id'?: (string);
  'replay_run_id'?: (string);
  'kept'?: (number);
  'to_run'?: (number);
}

export interface ReplayResponse__Output {
  'run_id': (string);
  'replay_run_id': (string);
  'kept': (number);
  'to_run': (number);
}
