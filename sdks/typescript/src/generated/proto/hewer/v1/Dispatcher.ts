// Original file: pyworker/proto/hewer.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DispatcherMessage as _hewer_v1_DispatcherMessage, DispatcherMessage__Output as _hewer_v1_DispatcherMessage__Output } from '../../hewer/v1/DispatcherMessage.js';
import type { RegisterRequest as _hewer_v1_RegisterRequest, RegisterRequest__Output as _hewer_v1_RegisterRequest__Output } from '../../hewer/v1/RegisterRequest.js';
import type { RegisterResponse as _hewer_v1_RegisterResponse, RegisterResponse__Output as _hewer_v1_RegisterResponse__Output } from '../../hewer/v1/RegisterResponse.js';
import type { RegisterWorkflowRequest as _hewer_v1_RegisterWorkflowRequest, RegisterWorkflowRequest__Output as _hewer_v1_RegisterWorkflowRequest__Output } from '../../hewer/v1/RegisterWorkflowRequest.js';
import type { RegisterWorkflowResponse as _hewer_v1_RegisterWorkflowResponse, RegisterWorkflowResponse__Output as _hewer_v1_RegisterWorkflowResponse__Output } from '../../hewer/v1/RegisterWorkflowResponse.js';
import type { WorkerMessage as _hewer_v1_WorkerMessage, WorkerMessage__Output as _hewer_v1_WorkerMessage__Output } from '../../hewer/v1/WorkerMessage.js';

/**
 * Served by every dispatcher; a worker may use any of them.
 */
export interface DispatcherClient extends grpc.Client {
  /**
   * One stream per worker. The first message up must be `hello`.
   */
  Listen(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_hewer_v1_WorkerMessage, _hewer_v1_DispatcherMessage__Output>;
  Listen(options?: grpc.CallOptions): grpc.ClientDuplexStream<_hewer_v1_WorkerMessage, _hewer_v1_DispatcherMessage__Output>;
  /**
   * One stream per worker. The first message up must be `hello`.
   */
  listen(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_hewer_v1_WorkerMessage, _hewer_v1_DispatcherMessage__Output>;
  listen(options?: grpc.CallOptions): grpc.ClientDuplexStream<_hewer_v1_WorkerMessage, _hewer_v1_DispatcherMessage__Output>;
  
  /**
   * Registers (or re-registers, with worker_id) a worker and its actions.
   */
  Register(argument: _hewer_v1_RegisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _hewer_v1_RegisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hewer_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _hewer_v1_RegisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _hewer_v1_RegisterRequest, callback: grpc.requestCallback<_hewer_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Registers (or re-registers, with worker_id) a worker and its actions.
   */
  register(argument: _hewer_v1_RegisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _hewer_v1_RegisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hewer_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _hewer_v1_RegisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _hewer_v1_RegisterRequest, callback: grpc.requestCallback<_hewer_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Registers a workflow version from its JSON spec (see docs/sql-api.md).
   */
  RegisterWorkflow(argument: _hewer_v1_RegisterWorkflowRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_RegisterWorkflowResponse__Output>): grpc.ClientUnaryCall;
  RegisterWorkflow(argument: _hewer_v1_RegisterWorkflowRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hewer_v1_RegisterWorkflowResponse__Output>): grpc.ClientUnaryCall;
  RegisterWorkflow(argument: _hewer_v1_RegisterWorkflowRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_RegisterWorkflowResponse__Output>): grpc.ClientUnaryCall;
  RegisterWorkflow(argument: _hewer_v1_RegisterWorkflowRequest, callback: grpc.requestCallback<_hewer_v1_RegisterWorkflowResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Registers a workflow version from its JSON spec (see docs/sql-api.md).
   */
  registerWorkflow(argument: _hewer_v1_RegisterWorkflowRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_RegisterWorkflowResponse__Output>): grpc.ClientUnaryCall;
  registerWorkflow(argument: _hewer_v1_RegisterWorkflowRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hewer_v1_RegisterWorkflowResponse__Output>): grpc.ClientUnaryCall;
  registerWorkflow(argument: _hewer_v1_RegisterWorkflowRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hewer_v1_RegisterWorkflowResponse__Output>): grpc.ClientUnaryCall;
  registerWorkflow(argument: _hewer_v1_RegisterWorkflowRequest, callback: grpc.requestCallback<_hewer_v1_RegisterWorkflowResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * Served by every dispatcher; a worker may use any of them.
 */
export interface DispatcherHandlers extends grpc.UntypedServiceImplementation {
  /**
   * One stream per worker. The first message up must be `hello`.
   */
  Listen: grpc.handleBidiStreamingCall<_hewer_v1_WorkerMessage__Output, _hewer_v1_DispatcherMessage>;
  
  /**
   * Registers (or re-registers, with worker_id) a worker and its actions.
   */
  Register: grpc.handleUnaryCall<_hewer_v1_RegisterRequest__Output, _hewer_v1_RegisterResponse>;
  
  /**
   * Registers a workflow version from its JSON spec (see docs/sql-api.md).
   */
  RegisterWorkflow: grpc.handleUnaryCall<_hewer_v1_RegisterWorkflowRequest__Output, _hewer_v1_RegisterWorkflowResponse>;
  
}

export interface DispatcherDefinition extends grpc.ServiceDefinition {
  Listen: MethodDefinition<_hewer_v1_WorkerMessage, _hewer_v1_DispatcherMessage, _hewer_v1_WorkerMessage__Output, _hewer_v1_DispatcherMessage__Output>
  Register: MethodDefinition<_hewer_v1_RegisterRequest, _hewer_v1_RegisterResponse, _hewer_v1_RegisterRequest__Output, _hewer_v1_RegisterResponse__Output>
  RegisterWorkflow: MethodDefinition<_hewer_v1_RegisterWorkflowRequest, _hewer_v1_RegisterWorkflowResponse, _hewer_v1_RegisterWorkflowRequest__Output, _hewer_v1_RegisterWorkflowResponse__Output>
}
