// Original file: pyworker/proto/hewer.proto


export interface RegisterResponse {
  'worker_id'?: (string);
  'heartbeat_interval_ms'?: (number);
  'dispatcher_id'?: (string);
  /**
   * This dispatcher reads WorkerMessage.batch: a worker may send it on a Listen stream to
   * this dispatcher (false: send each message alone).
   */
  'batches'?: (boolean);
}

export interface RegisterResponse__Output {
  'worker_id': (string);
  'heartbeat_interval_ms': (number);
  'dispatcher_id': (string);
  /**
   * This dispatcher reads WorkerMessage.batch: a worker may send it on a Listen stream to
   * this dispatcher (false: send each message alone).
   */
  'batches': (boolean);
}
