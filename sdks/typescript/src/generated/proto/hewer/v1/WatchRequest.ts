// Original file: pyworker/proto/hewer.proto


export interface WatchRequest {
  'run_id'?: (string);
}

export interface WatchRequest__Output {
  'run_id': (string);
}
