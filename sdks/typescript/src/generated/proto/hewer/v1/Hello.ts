// Original file: pyworker/proto/hewer.proto

import type { HeldTask as _hewer_v1_HeldTask, HeldTask__Output as _hewer_v1_HeldTask__Output } from '../../hewer/v1/HeldTask.js';

export interface Hello {
  'worker_id'?: (string);
  /**
   * With reconcile, `held` lists every task attempt this worker still has (running, or
   * with a report not yet acknowledged); the dispatcher hands the others the database has
   * assigned to this worker id back to the queue at once (a worker that restarted under
   * the same id lost them). Without reconcile, the database's list is kept as it is.
   */
  'reconcile'?: (boolean);
  'held'?: (_hewer_v1_HeldTask)[];
  /**
   * The worker reads DispatcherMessage.batch: the dispatcher may then send what it has
   * queued for this stream (the assignments of a claim, the Acks of a report batch) as one
   * message. False: each message alone.
   */
  'batches'?: (boolean);
}

export interface Hello__Output {
  'worker_id': (string);
  /**
   * With reconcile, `held` lists every task attempt this worker still has (running, or
   * with a report not yet acknowledged); the dispatcher hands the others the database has
   * assigned to this worker id back to the queue at once (a worker that restarted under
   * the same id lost them). Without reconcile, the database's list is kept as it is.
   */
  'reconcile': (boolean);
  'held': (_hewer_v1_HeldTask__Output)[];
  /**
   * The worker reads DispatcherMessage.batch: the dispatcher may then send what it has
   * queued for this stream (the assignments of a claim, the Acks of a report batch) as one
   * message. False: each message alone.
   */
  'batches': (boolean);
}
