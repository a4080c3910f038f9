// Original file: pyworker/proto/hewer.proto


export interface Heartbeat {
  /**
   * Slots the worker has free right now.
   */
  'free_slots'?: (number);
}

export interface Heartbeat__Output {
  /**
   * Slots the worker has free right now.
   */
  'free_slots': (number);
}
