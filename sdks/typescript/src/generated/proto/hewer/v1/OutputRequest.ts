// Original file: pyworker/proto/hewer.proto


export interface OutputRequest {
  'run_id'?: (string);
  /**
   * Only this task's chunks ("": every task's).
   */
  'task_id'?: (string);
  /**
   * Resume after this chunk id ("": from the first chunk).
   */
  'after_chunk_id'?: (string);
}

export interface OutputRequest__Output {
  'run_id': (string);
  /**
   * Only this task's chunks ("": every task's).
   */
  'task_id': (string);
  /**
   * Resume after this chunk id ("": from the first chunk).
   */
  'after_chunk_id': (string);
}
