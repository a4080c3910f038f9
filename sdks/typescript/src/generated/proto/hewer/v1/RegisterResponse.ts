// Original file: pyworker/proto/hewer.proto


export interface RegisterResponse {
  'worker_id'?: (string);
  'heartbeat_interval_ms'?: (number);
  'dispatcher_id'?: (string);
}

export interface RegisterResponse__Output {
  'worker_id': (string);
  'heartbeat_interval_ms': (number);
  'dispatcher_id': (string);
}
