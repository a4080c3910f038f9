// Original file: pyworker/proto/hewer.proto


export interface ReplayRequest {
  'run_id'?: (string);
  /**
   * "failed" (or ""): keep the outputs of the steps that succeeded; "start": every step.
   */
  'start_from'?: (string);
}

export interface ReplayRequest__Output {
  'run_id': (string);
  /**
   * "failed" (or ""): keep the outputs of the steps that succeeded; "start": every step.
   */
  'start_from': (string);
}
