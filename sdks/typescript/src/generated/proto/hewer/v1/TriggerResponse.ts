// Original file: pyworker/proto/hewer.proto


export interface TriggerResponse {
  'run_id'?: (string);
  'created'?: (boolean);
}

export interface TriggerResponse__Output {
  'run_id': (string);
  'created': (boolean);
}
