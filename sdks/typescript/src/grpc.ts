/**
 * The gRPC side: hewer.proto loaded at run time (copied into the package by `npm run build`),
 * typed by the code proto-loader-gen-types generated from the same file, plus the channel
 * options, call metadata and status handling that workers share.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { ProtoGrpcType } from "./generated/proto/hewer.js";
import type { DispatcherClient } from "./generated/proto/hewer/v1/Dispatcher.js";

/**
 * How the .proto is turned into JS objects. scripts/generate.mjs passes the same choices to
 * proto-loader-gen-types (GEN_TYPES_FLAGS), so the generated types describe these objects.
 */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

export const DEFAULT_DISPATCHER = "127.0.0.1:7077";
/** Comma-separated dispatcher addresses (the Python SDK's name), and its singular alias. */
export const DISPATCHERS_ENV = ["HEWER_DISPATCHERS", "HEWER_DISPATCHER"] as const;
export const TOKEN_ENV = "HEWER_TOKEN";

/**
 * What the dispatcher accepts and sends in one message (docs/protocol.md, "Message size"):
 * a payload at the offload limit (64 MiB by default, docs/payloads.md) and the rest of it.
 */
export const DISPATCHER_MAX_MESSAGE_BYTES = 80 * 1024 * 1024;
/** Assignments carry inputs and parent outputs inline: receive large ones. */
const MAX_RECEIVE_BYTES = DISPATCHER_MAX_MESSAGE_BYTES;

export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  "grpc.max_receive_message_length": MAX_RECEIVE_BYTES,
  "grpc.max_send_message_length": DISPATCHER_MAX_MESSAGE_BYTES,
  // Reconnect quickly after a dispatcher restart; the worker adds its own backoff on top.
  "grpc.initial_reconnect_backoff_ms": 200,
  "grpc.max_reconnect_backoff_ms": 5000,
  // Each client keeps its own connection: a new one to an address that was down a moment ago
  // must not inherit a shared connection's backoff.
  "grpc.use_local_subchannel_pool": 1,
};

/** Statuses after which calling again (elsewhere, later) cannot succeed. */
export const FATAL_CODES: ReadonlySet<grpc.status> = new Set([
  grpc.status.INVALID_ARGUMENT,
  grpc.status.NOT_FOUND,
  grpc.status.ALREADY_EXISTS,
  grpc.status.PERMISSION_DENIED,
  grpc.status.UNAUTHENTICATED,
  grpc.status.FAILED_PRECONDITION,
  grpc.status.UNIMPLEMENTED,
  grpc.status.OUT_OF_RANGE,
]);

/** Where the built package keeps its copy of hewer.proto (dist/proto/hewer.proto). */
export function protoPath(): string {
  const path = join(dirname(fileURLToPath(import.meta.url)), "..", "proto", "hewer.proto");
  if (!existsSync(path)) {
    throw new Error(
      `hewer.proto is missing at ${path}: build the package with \`npm run build\`, which copies ` +
        "pyworker/proto/hewer.proto into dist/proto",
    );
  }
  return path;
}

let loaded: ProtoGrpcType | undefined;

/** The hewer.v1 package: service constructors and message types. */
export function hewerV1(): ProtoGrpcType["hewer"]["v1"] {
  if (!loaded) {
    const definition = protoLoader.loadSync(protoPath(), PROTO_LOADER_OPTIONS);
    // loadPackageDefinition is untyped by design; ProtoGrpcType is its generated description.
    loaded = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  }
  return loaded.hewer.v1;
}

/** A Dispatcher client for "host:port" (plaintext: put TLS in front, see docs/protocol.md). */
export function dispatcherClient(address: string): DispatcherClient {
  const Dispatcher = hewerV1().Dispatcher;
  return new Dispatcher(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
}

/** The dispatchers to use: `given` (a list or comma-separated text), else the environment. */
export function resolveDispatchers(given?: string | readonly string[]): string[] {
  const split = (text: string): string[] =>
    text
      .split(",")
      .map((a) => a.trim())
      .filter(Boolean);
  if (given !== undefined) {
    const list = typeof given === "string" ? split(given) : given.flatMap(split);
    if (!list.length) throw new Error("dispatchers: give at least one host:port address");
    return list;
  }
  for (const name of DISPATCHERS_ENV) {
    const list = split(process.env[name] ?? "");
    if (list.length) return list;
  }
  return [DEFAULT_DISPATCHER];
}

/** `token` when given, else $HEWER_TOKEN; null when neither is set. */
export function resolveToken(token?: string | null): string | null {
  const value = (token ?? process.env[TOKEN_ENV] ?? "").trim();
  return value || null;
}

/** The metadata of every call: `authorization: Bearer <token>` (nothing without a token). */
export function callMetadata(token: string | null): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (token) metadata.set("authorization", `Bearer ${token}`);
  return metadata;
}

/** "UNAVAILABLE", "INVALID_ARGUMENT", ...: the name of a status code. */
export function statusName(code: grpc.status | undefined): string {
  return code === undefined ? "UNKNOWN" : (grpc.status[code] ?? `status ${code}`);
}

/** Whether `error` is a failed gRPC call (it carries a status code). */
export function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && typeof (error as Partial<grpc.ServiceError>).code === "number";
}
