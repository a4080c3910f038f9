// Original file: pyworker/proto/hewer.proto


export interface RegisterRequest {
  'name'?: (string);
  'actions'?: (string)[];
  'slots'?: (number);
  'labels'?: ({[key: string]: string});
  'sdk_version'?: (string);
  /**
   * Set when reconnecting, to keep the worker's identity.
   */
  'worker_id'?: (string);
}

export interface RegisterRequest__Output {
  'name': (string);
  'actions': (string)[];
  'slots': (number);
  'labels': ({[key: string]: string});
  'sdk_version': (string);
  /**
   * Set when reconnecting, to keep the worker's identity.
   */
  'worker_id': (string);
}
