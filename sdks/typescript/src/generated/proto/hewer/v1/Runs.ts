// Original file: pyworker/proto/hewer.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CancelMatchingRequest as _hewer_v1_CancelMatchingRequest, CancelMatchingRequest__Output as _hewer_v1_CancelMatchingRequest__Output } from '../../hewer/v1/CancelMatchingRequest.js';
import type { CancelMatchingResponse as _hewer_v1_CancelMatchingResponse, CancelMatchingResponse__Output as _hewer_v1_CancelMatchingResponse__Output } from '../../hewer/v1/CancelMatchingResponse.js';
import type { CancelRequest as _hewer_v1_CancelRequest, CancelRequest__Output as _hewer_v1_CancelRequest__Output } from '../../hewer/v1/CancelRequest.js';
import type { CancelResponse as _hewer_v1_CancelResponse, CancelResponse__Output as _hewer_v1_CancelResponse__Output } from '../../hewer/v1/CancelResponse.js';
import type { GetRunRequest as _hewer_v1_GetRunRequest, GetRunRequest__Output as _hewer_v1_GetRunRequest__Output } from '../../hewer/v1/GetRunRequest.js';
import type { ListRunsRequest as _hewer_v1_ListRunsRequest, ListRunsRequest__Output as _hewer_v1_ListRunsRequest__Output } from '../../hewer/v1/ListRunsRequest.js';
import type { ListRunsResponse as _hewer_v1_ListRunsResponse, ListRunsResponse__Output as _hewer_v1_ListRunsResponse__Output } from '../../hewer/v1/ListRunsResponse.js';
import type { OutputChunk as _hewer_v1_OutputChunk, OutputChunk__Output as _hewer_v1_OutputChunk__Output } from '../../hewer/v1/OutputChunk.js';
import type { OutputRequest as _hewer_v1_OutputRequest, OutputRequest__Output as _hewer_v1_OutputRequest__Output } from '../../hewer/v1/OutputRequest.js';
import type { ReplayRequest as _hewer_v1_ReplayRequest, ReplayRequest__Output as _hewer_v1_ReplayRequest__Output } from '../../hewer/v1/ReplayRequest.js';
import type { ReplayResponse as _hewer_v1_ReplayResponse, ReplayResponse__Output as _hewer_v1_ReplayResponse__Output } from '../../hewer/v1/ReplayResponse.js';
import type { Run as _hewer_v1_Run, Run__Output as _hewer_v1_Run__Output } from '../../hewer/v1/Run.js';
import type { RunEvent as _hewer_v1_RunEvent, RunEvent__Output as _hewer_v1_RunEvent__Output } from '../../hewer/v1/RunEvent.js';
import type { SpawnRequest as _hewer_v1_SpawnRequest, SpawnRequest__Output as _hewer_v1_SpawnRequest__Output } from '../../hewer/v1/SpawnRequest.js';
import type { SpawnResponse as _hewer_v1_SpawnResponse, SpawnResponse__Output as _hewer_v1_SpawnResponse__Output } from '../../hewer/v1/SpawnResponse.js';
import type { TriggerRequest as _hewer_v1_TriggerRequest, TriggerRequest__Output as _hewer_v1_TriggerRequest__Output } from '../../hewer/v1/TriggerRequest.js';
import type { TriggerResponse as _hewer_v1_TriggerResponse, TriggerResponse__Output as _hewer_v1_TriggerResponse__Output } from '../../hewer/v1/TriggerResponse.js';
import type { WaitRequest as _hewer_v1_WaitRequest, WaitRequest__Output as _hewer_v1_WaitRequest__Output } from '../../hewer/v1/WaitRequest.js';
import type { WatchRequest as _hewer_v1_WatchRequest, WatchRequest__Output as _hewer_v1_WatchRequest__Output } from '../../hewer/v1/WatchRequest.js';

/**
 * Client calls: trigger runs, read and wait for them, watch, cancel.
 */
export interface RunsClient extends grpc.Client {
  Cancel(argument: _hewer_v1_CancelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_CancelResponse__Output>): grpc.ClientUnaryCall;
  Cancel(argument: _hewer_v1_CancelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hewer_v1_CancelResponse__Output>): grpc.ClientUnaryCall;
  Cancel(argument: _hewer_v1_CancelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_CancelResponse__Output>): grpc.ClientUnaryCall;
  Cancel(argument: _hewer_v1_CancelRequest, callback: grpc.requestCallback<_hewer_v1_CancelResponse__Output>): grpc.ClientUnaryCall;
  cancel(argument: _hewer_v1_CancelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_CancelResponse__Output>): grpc.ClientUnaryCall;
  cancel(argument: _hewer_v1_CancelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hewer_v1_CancelResponse__Output>): grpc.ClientUnaryCall;
  cancel(argument: _hewer_v1_CancelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_CancelResponse__Output>): grpc.ClientUnaryCall;
  cancel(argument: _hewer_v1_CancelRequest, callback: grpc.requestCallback<_hewer_v1_CancelResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Cancel every queued or running run matching a filter (hewer.run_cancel_matching).
   */
  CancelMatching(argument: _hewer_v1_CancelMatchingRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_CancelMatchingResponse__Output>): grpc.ClientUnaryCall;
  CancelMatching(argument: _hewer_v1_CancelMatchingRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hewer_v1_CancelMatchingResponse__Output>): grpc.ClientUnaryCall;
  CancelMatching(argument: _hewer_v1_CancelMatchingRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_CancelMatchingResponse__Output>): grpc.ClientUnaryCall;
  CancelMatching(argument: _hewer_v1_CancelMatchingRequest, callback: grpc.requestCallback<_hewer_v1_CancelMatchingResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Cancel every queued or running run matching a filter (hewer.run_cancel_matching).
   */
  cancelMatching(argument: _hewer_v1_CancelMatchingRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_CancelMatchingResponse__Output>): grpc.ClientUnaryCall;
  cancelMatching(argument: _hewer_v1_CancelMatchingRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hewer_v1_CancelMatchingResponse__Output>): grpc.ClientUnaryCall;
  cancelMatching(argument: _hewer_v1_CancelMatchingRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_CancelMatchingResponse__Output>): grpc.ClientUnaryCall;
  cancelMatching(argument: _hewer_v1_CancelMatchingRequest, callback: grpc.requestCallback<_hewer_v1_CancelMatchingResponse__Output>): grpc.ClientUnaryCall;
  
  Get(argument: _hewer_v1_GetRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_Run__Output>): grpc.ClientUnaryCall;
  Get(argument: _hewer_v1_GetRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hewer_v1_Run__Output>): grpc.ClientUnaryCall;
  Get(argument: _hewer_v1_GetRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_Run__Output>): grpc.ClientUnaryCall;
  Get(argument: _hewer_v1_GetRunRequest, callback: grpc.requestCallback<_hewer_v1_Run__Output>): grpc.ClientUnaryCall;
  get(argument: _hewer_v1_GetRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_Run__Output>): grpc.ClientUnaryCall;
  get(argument: _hewer_v1_GetRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hewer_v1_Run__Output>): grpc.ClientUnaryCall;
  get(argument: _hewer_v1_GetRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_Run__Output>): grpc.ClientUnaryCall;
  get(argument: _hewer_v1_GetRunRequest, callback: grpc.requestCallback<_hewer_v1_Run__Output>): grpc.ClientUnaryCall;
  
  /**
   * The tenant's runs matching a filter, newest first (hewer.run_list).
   */
  List(argument: _hewer_v1_ListRunsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  List(argument: _hewer_v1_ListRunsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hewer_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  List(argument: _hewer_v1_ListRunsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  List(argument: _hewer_v1_ListRunsRequest, callback: grpc.requestCallback<_hewer_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The tenant's runs matching a filter, newest first (hewer.run_list).
   */
  list(argument: _hewer_v1_ListRunsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  list(argument: _hewer_v1_ListRunsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hewer_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  list(argument: _hewer_v1_ListRunsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  list(argument: _hewer_v1_ListRunsRequest, callback: grpc.requestCallback<_hewer_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The run's streamed task output (ctx.stream): what was already streamed,
   * then each chunk as it is written, until the run is terminal.
   */
  Output(argument: _hewer_v1_OutputRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_hewer_v1_OutputChunk__Output>;
  Output(argument: _hewer_v1_OutputRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_hewer_v1_OutputChunk__Output>;
  /**
   * The run's streamed task output (ctx.stream): what was already streamed,
   * then each chunk as it is written, until the run is terminal.
   */
  output(argument: _hewer_v1_OutputRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_hewer_v1_OutputChunk__Output>;
  output(argument: _hewer_v1_OutputRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_hewer_v1_OutputChunk__Output>;
  
  /**
   * Run a failed or cancelled run again as a new run (hewer.run_replay).
   */
  Replay(argument: _hewer_v1_ReplayRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_ReplayResponse__Output>): grpc.ClientUnaryCall;
  Replay(argument: _hewer_v1_ReplayRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hewer_v1_ReplayResponse__Output>): grpc.ClientUnaryCall;
  Replay(argument: _hewer_v1_ReplayRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_ReplayResponse__Output>): grpc.ClientUnaryCall;
  Replay(argument: _hewer_v1_ReplayRequest, callback: grpc.requestCallback<_hewer_v1_ReplayResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Run a failed or cancelled run again as a new run (hewer.run_replay).
   */
  replay(argument: _hewer_v1_ReplayRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_ReplayResponse__Output>): grpc.ClientUnaryCall;
  replay(argument: _hewer_v1_ReplayRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hewer_v1_ReplayResponse__Output>): grpc.ClientUnaryCall;
  replay(argument: _hewer_v1_ReplayRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_ReplayResponse__Output>): grpc.ClientUnaryCall;
  replay(argument: _hewer_v1_ReplayRequest, callback: grpc.requestCallback<_hewer_v1_ReplayResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * A running task starts child runs (hewer.run_spawn): fenced by its
   * (task_id, attempt), idempotent per child key. Await them with Wait.
   */
  Spawn(argument: _hewer_v1_SpawnRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_SpawnResponse__Output>): grpc.ClientUnaryCall;
  Spawn(argument: _hewer_v1_SpawnRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hewer_v1_SpawnResponse__Output>): grpc.ClientUnaryCall;
  Spawn(argument: _hewer_v1_SpawnRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_SpawnResponse__Output>): grpc.ClientUnaryCall;
  Spawn(argument: _hewer_v1_SpawnRequest, callback: grpc.requestCallback<_hewer_v1_SpawnResponse__Output>): grpc.ClientUnaryCall;
  /**
   * A running task starts child runs (hewer.run_spawn): fenced by its
   * (task_id, attempt), idempotent per child key. Await them with Wait.
   */
  spawn(argument: _hewer_v1_SpawnRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_SpawnResponse__Output>): grpc.ClientUnaryCall;
  spawn(argument: _hewer_v1_SpawnRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hewer_v1_SpawnResponse__Output>): grpc.ClientUnaryCall;
  spawn(argument: _hewer_v1_SpawnRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_SpawnResponse__Output>): grpc.ClientUnaryCall;
  spawn(argument: _hewer_v1_SpawnRequest, callback: grpc.requestCallback<_hewer_v1_SpawnResponse__Output>): grpc.ClientUnaryCall;
  
  Trigger(argument: _hewer_v1_TriggerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_TriggerResponse__Output>): grpc.ClientUnaryCall;
  Trigger(argument: _hewer_v1_TriggerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hewer_v1_TriggerResponse__Output>): grpc.ClientUnaryCall;
  Trigger(argument: _hewer_v1_TriggerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_TriggerResponse__Output>): grpc.ClientUnaryCall;
  Trigger(argument: _hewer_v1_TriggerRequest, callback: grpc.requestCallback<_hewer_v1_TriggerResponse__Output>): grpc.ClientUnaryCall;
  trigger(argument: _hewer_v1_TriggerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_TriggerResponse__Output>): grpc.ClientUnaryCall;
  trigger(argument: _hewer_v1_TriggerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hewer_v1_TriggerResponse__Output>): grpc.ClientUnaryCall;
  trigger(argument: _hewer_v1_TriggerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_TriggerResponse__Output>): grpc.ClientUnaryCall;
  trigger(argument: _hewer_v1_TriggerRequest, callback: grpc.requestCallback<_hewer_v1_TriggerResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Returns once the run is terminal, or at the deadline with its current state.
   */
  Wait(argument: _hewer_v1_WaitRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_Run__Output>): grpc.ClientUnaryCall;
  Wait(argument: _hewer_v1_WaitRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hewer_v1_Run__Output>): grpc.ClientUnaryCall;
  Wait(argument: _hewer_v1_WaitRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_Run__Output>): grpc.ClientUnaryCall;
  Wait(argument: _hewer_v1_WaitRequest, callback: grpc.requestCallback<_hewer_v1_Run__Output>): grpc.ClientUnaryCall;
  /**
   * Returns once the run is terminal, or at the deadline with its current state.
   */
  wait(argument: _hewer_v1_WaitRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_Run__Output>): grpc.ClientUnaryCall;
  wait(argument: _hewer_v1_WaitRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hewer_v1_Run__Output>): grpc.ClientUnaryCall;
  wait(argument: _hewer_v1_WaitRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_Run__Output>): grpc.ClientUnaryCall;
  wait(argument: _hewer_v1_WaitRequest, callback: grpc.requestCallback<_hewer_v1_Run__Output>): grpc.ClientUnaryCall;
  
  /**
   * Streams the task events of a run until it is terminal.
   */
  Watch(argument: _hewer_v1_WatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_hewer_v1_RunEvent__Output>;
  Watch(argument: _hewer_v1_WatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_hewer_v1_RunEvent__Output>;
  /**
   * Streams the task events of a run until it is terminal.
   */
  watch(argument: _hewer_v1_WatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_hewer_v1_RunEvent__Output>;
  watch(argument: _hewer_v1_WatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_hewer_v1_RunEvent__Output>;
  
}

/**
 * Client calls: trigger runs, read and wait for them, watch, cancel.
 */
export interface RunsHandlers extends grpc.UntypedServiceImplementation {
  Cancel: grpc.handleUnaryCall<_hewer_v1_CancelRequest__Output, _hewer_v1_CancelResponse>;
  
  /**
   * Cancel every queued or running run matching a filter (hewer.run_cancel_matching).
   */
  CancelMatching: grpc.handleUnaryCall<_hewer_v1_CancelMatchingRequest__Output, _hewer_v1_CancelMatchingResponse>;
  
  Get: grpc.handleUnaryCall<_hewer_v1_GetRunRequest__Output, _hewer_v1_Run>;
  
  /**
   * The tenant's runs matching a filter, newest first (hewer.run_list).
   */
  List: grpc.handleUnaryCall<_hewer_v1_ListRunsRequest__Output, _hewer_v1_ListRunsResponse>;
  
  /**
   * The run's streamed task output (ctx.stream): what was already streamed,
   * then each chunk as it is written, until the run is terminal.
   */
  Output: grpc.handleServerStreamingCall<_hewer_v1_OutputRequest__Output, _hewer_v1_OutputChunk>;
  
  /**
   * Run a failed or cancelled run again as a new run (hewer.run_replay).
   */
  Replay: grpc.handleUnaryCall<_hewer_v1_ReplayRequest__Output, _hewer_v1_ReplayResponse>;
  
  /**
   * A running task starts child runs (hewer.run_spawn): fenced by its
   * (task_id, attempt), idempotent per child key. Await them with Wait.
   */
  Spawn: grpc.handleUnaryCall<_hewer_v1_SpawnRequest__Output, _hewer_v1_SpawnResponse>;
  
  Trigger: grpc.handleUnaryCall<_hewer_v1_TriggerRequest__Output, _hewer_v1_TriggerResponse>;
  
  /**
   * Returns once the run is terminal, or at the deadline with its current state.
   */
  Wait: grpc.handleUnaryCall<_hewer_v1_WaitRequest__Output, _hewer_v1_Run>;
  
  /**
   * Streams the task events of a run until it is terminal.
   */
  Watch: grpc.handleServerStreamingCall<_hewer_v1_WatchRequest__Output, _hewer_v1_RunEvent>;
  
}

export interface RunsDefinition extends grpc.ServiceDefinition {
  Cancel: MethodDefinition<_hewer_v1_CancelRequest, _hewer_v1_CancelResponse, _hewer_v1_CancelRequest__Output, _hewer_v1_CancelResponse__Output>
  CancelMatching: MethodDefinition<_hewer_v1_CancelMatchingRequest, _hewer_v1_CancelMatchingResponse, _hewer_v1_CancelMatchingRequest__Output, _hewer_v1_CancelMatchingResponse__Output>
  Get: MethodDefinition<_hewer_v1_GetRunRequest, _hewer_v1_Run, _hewer_v1_GetRunRequest__Output, _hewer_v1_Run__Output>
  List: MethodDefinition<_hewer_v1_ListRunsRequest, _hewer_v1_ListRunsResponse, _hewer_v1_ListRunsRequest__Output, _hewer_v1_ListRunsResponse__Output>
  Output: MethodDefinition<_hewer_v1_OutputRequest, _hewer_v1_OutputChunk, _hewer_v1_OutputRequest__Output, _hewer_v1_OutputChunk__Output>
  Replay: MethodDefinition<_hewer_v1_ReplayRequest, _hewer_v1_ReplayResponse, _hewer_v1_ReplayRequest__Output, _hewer_v1_ReplayResponse__Output>
  Spawn: MethodDefinition<_hewer_v1_SpawnRequest, _hewer_v1_SpawnResponse, _hewer_v1_SpawnRequest__Output, _hewer_v1_SpawnResponse__Output>
  Trigger: MethodDefinition<_hewer_v1_TriggerRequest, _hewer_v1_TriggerResponse, _hewer_v1_TriggerRequest__Output, _hewer_v1_TriggerResponse__Output>
  Wait: MethodDefinition<_hewer_v1_WaitRequest, _hewer_v1_Run, _hewer_v1_WaitRequest__Output, _hewer_v1_Run__Output>
  Watch: MethodDefinition<_hewer_v1_WatchRequest, _hewer_v1_RunEvent, _hewer_v1_WatchRequest__Output, _hewer_v1_RunEvent__Output>
}
