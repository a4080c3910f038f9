// Original file: pyworker/proto/hewer.proto


export interface SpawnResponse {
  'run_id'?: (string);
  'created'?: (boolean);
}

export interface SpawnResponse__Output {
  'run_id': (string);
  'created': (boolean);
}
