import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Ack as _hewer_v1_Ack, Ack__Output as _hewer_v1_Ack__Output } from './hewer/v1/Ack.js';
import type { Assignment as _hewer_v1_Assignment, Assignment__Output as _hewer_v1_Assignment__Output } from './hewer/v1/Assignment.js';
import type { CancelMatchingRequest as _hewer_v1_CancelMatchingRequest, CancelMatchingRequest__Output as _hewer_v1_CancelMatchingRequest__Output } from './hewer/v1/CancelMatchingRequest.js';
import type { CancelMatchingResponse as _hewer_v1_CancelMatchingResponse, CancelMatchingResponse__Output as _hewer_v1_CancelMatchingResponse__Output } from './hewer/v1/CancelMatchingResponse.js';
import type { CancelRequest as _hewer_v1_CancelRequest, CancelRequest__Output as _hewer_v1_CancelRequest__Output } from './hewer/v1/CancelRequest.js';
import type { CancelResponse as _hewer_v1_CancelResponse, CancelResponse__Output as _hewer_v1_CancelResponse__Output } from './hewer/v1/CancelResponse.js';
import type { CancelTask as _hewer_v1_CancelTask, CancelTask__Output as _hewer_v1_CancelTask__Output } from './hewer/v1/CancelTask.js';
import type { DispatcherClient as _hewer_v1_DispatcherClient, DispatcherDefinition as _hewer_v1_DispatcherDefinition } from './hewer/v1/Dispatcher.js';
import type { DispatcherBatch as _hewer_v1_DispatcherBatch, DispatcherBatch__Output as _hewer_v1_DispatcherBatch__Output } from './hewer/v1/DispatcherBatch.js';
import type { DispatcherMessage as _hewer_v1_DispatcherMessage, DispatcherMessage__Output as _hewer_v1_DispatcherMessage__Output } from './hewer/v1/DispatcherMessage.js';
import type { GetRunRequest as _hewer_v1_GetRunRequest, GetRunRequest__Output as _hewer_v1_GetRunRequest__Output } from './hewer/v1/GetRunRequest.js';
import type { Heartbeat as _hewer_v1_Heartbeat, Heartbeat__Output as _hewer_v1_Heartbeat__Output } from './hewer/v1/Heartbeat.js';
import type { HeldTask as _hewer_v1_HeldTask, HeldTask__Output as _hewer_v1_HeldTask__Output } from './hewer/v1/HeldTask.js';
import type { Hello as _hewer_v1_Hello, Hello__Output as _hewer_v1_Hello__Output } from './hewer/v1/Hello.js';
import type { ListRunsRequest as _hewer_v1_ListRunsRequest, ListRunsRequest__Output as _hewer_v1_ListRunsRequest__Output } from './hewer/v1/ListRunsRequest.js';
import type { ListRunsResponse as _hewer_v1_ListRunsResponse, ListRunsResponse__Output as _hewer_v1_ListRunsResponse__Output } from './hewer/v1/ListRunsResponse.js';
import type { LogLine as _hewer_v1_LogLine, LogLine__Output as _hewer_v1_LogLine__Output } from './hewer/v1/LogLine.js';
import type { OutputChunk as _hewer_v1_OutputChunk, OutputChunk__Output as _hewer_v1_OutputChunk__Output } from './hewer/v1/OutputChunk.js';
import type { OutputRequest as _hewer_v1_OutputRequest, OutputRequest__Output as _hewer_v1_OutputRequest__Output } from './hewer/v1/OutputRequest.js';
import type { RegisterRequest as _hewer_v1_RegisterRequest, RegisterRequest__Output as _hewer_v1_RegisterRequest__Output } from './hewer/v1/RegisterRequest.js';
import type { RegisterResponse as _hewer_v1_RegisterResponse, RegisterResponse__Output as _hewer_v1_RegisterResponse__Output } from './hewer/v1/RegisterResponse.js';
import type { RegisterWorkflowRequest as _hewer_v1_RegisterWorkflowRequest, RegisterWorkflowRequest__Output as _hewer_v1_RegisterWorkflowRequest__Output } from './hewer/v1/RegisterWorkflowRequest.js';
import type { RegisterWorkflowResponse as _hewer_v1_RegisterWorkflowResponse, RegisterWorkflowResponse__Output as _hewer_v1_RegisterWorkflowResponse__Output } from './hewer/v1/RegisterWorkflowResponse.js';
import type { ReplayRequest as _hewer_v1_ReplayRequest, ReplayRequest__Output as _hewer_v1_ReplayRequest__Output } from './hewer/v1/ReplayRequest.js';
import type { ReplayResponse as _hewer_v1_ReplayResponse, ReplayResponse__Output as _hewer_v1_ReplayResponse__Output } from './hewer/v1/ReplayResponse.js';
import type { Run as _hewer_v1_Run, Run__Output as _hewer_v1_Run__Output } from './hewer/v1/Run.js';
import type { RunEvent as _hewer_v1_RunEvent, RunEvent__Output as _hewer_v1_RunEvent__Output } from './hewer/v1/RunEvent.js';
import type { RunFilter as _hewer_v1_RunFilter, RunFilter__Output as _hewer_v1_RunFilter__Output } from './hewer/v1/RunFilter.js';
import type { RunSummary as _hewer_v1_RunSummary, RunSummary__Output as _hewer_v1_RunSummary__Output } from './hewer/v1/RunSummary.js';
import type { RunsClient as _hewer_v1_RunsClient, RunsDefinition as _hewer_v1_RunsDefinition } from './hewer/v1/Runs.js';
import type { SpawnRequest as _hewer_v1_SpawnRequest, SpawnRequest__Output as _hewer_v1_SpawnRequest__Output } from './hewer/v1/SpawnRequest.js';
import type { SpawnResponse as _hewer_v1_SpawnResponse, SpawnResponse__Output as _hewer_v1_SpawnResponse__Output } from './hewer/v1/SpawnResponse.js';
import type { StreamError as _hewer_v1_StreamError, StreamError__Output as _hewer_v1_StreamError__Output } from './hewer/v1/StreamError.js';
import type { TaskCompleted as _hewer_v1_TaskCompleted, TaskCompleted__Output as _hewer_v1_TaskCompleted__Output } from './hewer/v1/TaskCompleted.js';
import type { TaskFailed as _hewer_v1_TaskFailed, TaskFailed__Output as _hewer_v1_TaskFailed__Output } from './hewer/v1/TaskFailed.js';
import type { TaskRefresh as _hewer_v1_TaskRefresh, TaskRefresh__Output as _hewer_v1_TaskRefresh__Output } from './hewer/v1/TaskRefresh.js';
import type { TaskStarted as _hewer_v1_TaskStarted, TaskStarted__Output as _hewer_v1_TaskStarted__Output } from './hewer/v1/TaskStarted.js';
import type { TaskStream as _hewer_v1_TaskStream, TaskStream__Output as _hewer_v1_TaskStream__Output } from './hewer/v1/TaskStream.js';
import type { TriggerRequest as _hewer_v1_TriggerRequest, TriggerRequest__Output as _hewer_v1_TriggerRequest__Output } from './hewer/v1/TriggerRequest.js';
import type { TriggerResponse as _hewer_v1_TriggerResponse, TriggerResponse__Output as _hewer_v1_TriggerResponse__Output } from './hewer/v1/TriggerResponse.js';
import type { WaitRequest as _hewer_v1_WaitRequest, WaitRequest__Output as _hewer_v1_WaitRequest__Output } from './hewer/v1/WaitRequest.js';
import type { WatchRequest as _hewer_v1_WatchRequest, WatchRequest__Output as _hewer_v1_WatchRequest__Output } from './hewer/v1/WatchRequest.js';
import type { WorkerBatch as _hewer_v1_WorkerBatch, WorkerBatch__Output as _hewer_v1_WorkerBatch__Output } from './hewer/v1/WorkerBatch.js';
import type { WorkerMessage as _hewer_v1_WorkerMessage, WorkerMessage__Output as _hewer_v1_WorkerMessage__Output } from './hewer/v1/WorkerMessage.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  hewer: {
    v1: {
      Ack: MessageTypeDefinition<_hewer_v1_Ack, _hewer_v1_Ack__Output>
      Assignment: MessageTypeDefinition<_hewer_v1_Assignment, _hewer_v1_Assignment__Output>
      CancelMatchingRequest: MessageTypeDefinition<_hewer_v1_CancelMatchingRequest, _hewer_v1_CancelMatchingRequest__Output>
      CancelMatchingResponse: MessageTypeDefinition<_hewer_v1_CancelMatchingResponse, _hewer_v1_CancelMatchingResponse__Output>
      CancelRequest: MessageTypeDefinition<_hewer_v1_CancelRequest, _hewer_v1_CancelRequest__Output>
      CancelResponse: MessageTypeDefinition<_hewer_v1_CancelResponse, _hewer_v1_CancelResponse__Output>
      CancelTask: MessageTypeDefinition<_hewer_v1_CancelTask, _hewer_v1_CancelTask__Output>
      /**
       * Served by every dispatcher; a worker may use any of them.
       */
      Dispatcher: SubtypeConstructor<typeof grpc.Client, _hewer_v1_DispatcherClient> & { service: _hewer_v1_DispatcherDefinition }
      DispatcherBatch: MessageTypeDefinition<_hewer_v1_DispatcherBatch, _hewer_v1_DispatcherBatch__Output>
      DispatcherMessage: MessageTypeDefinition<_hewer_v1_DispatcherMessage, _hewer_v1_DispatcherMessage__Output>
      GetRunRequest: MessageTypeDefinition<_hewer_v1_GetRunRequest, _hewer_v1_GetRunRequest__Output>
      Heartbeat: MessageTypeDefinition<_hewer_v1_Heartbeat, _hewer_v1_Heartbeat__Output>
      HeldTask: MessageTypeDefinition<_hewer_v1_HeldTask, _hewer_v1_HeldTask__Output>
      Hello: MessageTypeDefinition<_hewer_v1_Hello, _hewer_v1_Hello__Output>
      ListRunsRequest: MessageTypeDefinition<_hewer_v1_ListRunsRequest, _hewer_v1_ListRunsRequest__Output>
      ListRunsResponse: MessageTypeDefinition<_hewer_v1_ListRunsResponse, _hewer_v1_ListRunsResponse__Output>
      LogLine: MessageTypeDefinition<_hewer_v1_LogLine, _hewer_v1_LogLine__Output>
      OutputChunk: MessageTypeDefinition<_hewer_v1_OutputChunk, _hewer_v1_OutputChunk__Output>
      OutputRequest: MessageTypeDefinition<_hewer_v1_OutputRequest, _hewer_v1_OutputRequest__Output>
      RegisterRequest: MessageTypeDefinition<_hewer_v1_RegisterRequest, _hewer_v1_RegisterRequest__Output>
      RegisterResponse: MessageTypeDefinition<_hewer_v1_RegisterResponse, _hewer_v1_RegisterResponse__Output>
      RegisterWorkflowRequest: MessageTypeDefinition<_hewer_v1_RegisterWorkflowRequest, _hewer_v1_RegisterWorkflowRequest__Output>
      RegisterWorkflowResponse: MessageTypeDefinition<_hewer_v1_RegisterWorkflowResponse, _hewer_v1_RegisterWorkflowResponse__Output>
      ReplayRequest: MessageTypeDefinition<_hewer_v1_ReplayRequest, _hewer_v1_ReplayRequest__Output>
      ReplayResponse: MessageTypeDefinition<_hewer_v1_ReplayResponse, _hewer_v1_ReplayResponse__Output>
      Run: MessageTypeDefinition<_hewer_v1_Run, _hewer_v1_Run__Output>
      RunEvent: MessageTypeDefinition<_hewer_v1_RunEvent, _hewer_v1_RunEvent__Output>
      RunFilter: MessageTypeDefinition<_hewer_v1_RunFilter, _hewer_v1_RunFilter__Output>
      RunSummary: MessageTypeDefinition<_hewer_v1_RunSummary, _hewer_v1_RunSummary__Output>
      /**
       * Client calls: trigger runs, read and wait for them, watch, cancel.
       */
      Runs: SubtypeConstructor<typeof grpc.Client, _hewer_v1_RunsClient> & { service: _hewer_v1_RunsDefinition }
      SpawnRequest: MessageTypeDefinition<_hewer_v1_SpawnRequest, _hewer_v1_SpawnRequest__Output>
      SpawnResponse: MessageTypeDefinition<_hewer_v1_SpawnResponse, _hewer_v1_SpawnResponse__Output>
      StreamError: MessageTypeDefinition<_hewer_v1_StreamError, _hewer_v1_StreamError__Output>
      TaskCompleted: MessageTypeDefinition<_hewer_v1_TaskCompleted, _hewer_v1_TaskCompleted__Output>
      TaskFailed: MessageTypeDefinition<_hewer_v1_TaskFailed, _hewer_v1_TaskFailed__Output>
      TaskRefresh: MessageTypeDefinition<_hewer_v1_TaskRefresh, _hewer_v1_TaskRefresh__Output>
      TaskStarted: MessageTypeDefinition<_hewer_v1_TaskStarted, _hewer_v1_TaskStarted__Output>
      TaskStream: MessageTypeDefinition<_hewer_v1_TaskStream, _hewer_v1_TaskStream__Output>
      TriggerRequest: MessageTypeDefinition<_hewer_v1_TriggerRequest, _hewer_v1_TriggerRequest__Output>
      TriggerResponse: MessageTypeDefinition<_hewer_v1_TriggerResponse, _hewer_v1_TriggerResponse__Output>
      WaitRequest: MessageTypeDefinition<_hewer_v1_WaitRequest, _hewer_v1_WaitRequest__Output>
      WatchRequest: MessageTypeDefinition<_hewer_v1_WatchRequest, _hewer_v1_WatchRequest__Output>
      WorkerBatch: MessageTypeDefinition<_hewer_v1_WorkerBatch, _hewer_v1_WorkerBatch__Output>
      WorkerMessage: MessageTypeDefinition<_hewer_v1_WorkerMessage, _hewer_v1_WorkerMessage__Output>
    }
  }
}

