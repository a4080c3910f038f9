/**
 * Declaring work: workflows (DAGs of steps), their tasks, and the JSON spec that a worker
 * registers with RegisterWorkflow. The spec is the one the Python SDK (pyworker/workflow.py)
 * sends for the same declaration, key for key and byte for byte: fields left unset are omitted
 * so that the server's defaults apply, durations are seconds, and `specJson()` is canonical.
 */
import { canonicalJson, type JsonValue } from "./canonical-json.js";
import { type Duration, describe, formatSeconds, parseDuration, specSeconds } from "./durations.js";
import { DefinitionError } from "./errors.js";

export const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$/;
const NAME_HINT = "1 to 128 characters: letters, digits and _ - . : (not starting with - . :)";
export const EVENT_PATTERN = /^[A-Za-z0-9_*][A-Za-z0-9_.:/*-]{0,254}$/;

// The ranges hewer.workflow_register enforces, checked here so mistakes surface where written.
const TIMEOUT_RANGE: Range = [1, 7 * 86400];
const SCHEDULE_TIMEOUT_RANGE: Range = [1, 30 * 86400];
const BACKOFF_BASE_RANGE: Range = [0, 86400];
const BACKOFF_MAX_RANGE: Range = [0, 7 * 86400];
const BACKOFF_DEFAULTS = { base: 1, max: 300 };
const RETRIES_RANGE: Range = [0, 100];
const PRIORITY_RANGE: Range = [-1000, 1000];
const SLOTS_RANGE: Range = [1, 1000];
const MAX_RANGE: Range = [1, 1_000_000];
const UNITS_RANGE: Range = [1, 1_000_000];
const WAIT_RANGE: Range = [1, 30 * 86400];
const SLEEP_RANGE: Range = [0, 30 * 86400];
const LABELS_RANGE: Range = [1, 20];
const LABEL_VALUE_MAX = 256;
const WEIGHT_RANGE: Range = [1, 100];

type Range = readonly [number, number];

/**
 * How long a failed task waits before its next attempt: min(max, base * factor ** attempt),
 * spread by +/- jitter (a fraction). Unset fields take the server's defaults: base 1s, factor 2,
 * max 5m, jitter 0.1.
 */
export interface Backoff {
  base?: Duration;
  factor?: number;
  max?: Duration;
  jitter?: number;
}

/**
 * What a concurrency limit does when its key is full. GROUP_ROUND_ROBIN: wait, keys take turns.
 * CANCEL_IN_PROGRESS: a new run cancels the oldest active run of its key. CANCEL_NEWEST: a new
 * run is cancelled while its key is full. The cancel strategies apply to workflow limits only.
 */
export type Strategy = "GROUP_ROUND_ROBIN" | "CANCEL_IN_PROGRESS" | "CANCEL_NEWEST";
const STRATEGIES: readonly Strategy[] = ["GROUP_ROUND_ROBIN", "CANCEL_IN_PROGRESS", "CANCEL_NEWEST"];

/** At most `max` runs (on a workflow) or running tasks (on a step) per key (CEL over the input). */
export interface Concurrency {
  max: number;
  key?: string;
  strategy?: Strategy;
}

/** Each task of the step spends `units` tokens of the named rate limit (per `key`, CEL). */
export interface RateLimit {
  limit: string;
  units?: number;
  key?: string;
}

/** A cron trigger: a UTC cron expression, the run input, and what to do with missed ticks. */
export interface Cron {
  expression: string;
  input?: Record<string, JsonValue>;
  catchUp?: "skip" | "once";
}

/**
 * A preferred label's value (docs/affinity.md): "llama-3-70b" (weight 1), ["llama-3-70b", 10],
 * or { value: "llama-3-70b", weight: 10 }; a weight is an integer from 1 to 100.
 */
export type LabelPreference = string | readonly [string, number] | { value: string; weight?: number };

/**
 * Whether a run's tasks stay on the worker that claimed its first task: "soft" lets another
 * worker take a task that waited 2 s, "hard" only once that worker is dead or stopped.
 */
export type Sticky = "soft" | "hard";

export interface WorkflowOptions {
  description?: string;
  /** The default priority of the workflow's tasks, -1000 to 1000. */
  priority?: number;
  concurrency?: Concurrency;
  /** Event key patterns that start a run of this workflow, e.g. "order.*". */
  onEvents?: string[];
  cron?: Array<string | Cron>;
  /** Keep a run's tasks on one worker (docs/affinity.md). */
  sticky?: Sticky;
}

/** A durable wait a step goes through once its parents are done: make one with Wait.event/sleep. */
export class Wait {
  private constructor(readonly spec: { [key: string]: JsonValue }) {}

  /**
   * Wait for an event with this key (pattern); `match` is CEL over payload, input, key and
   * metadata. After `timeout` (default 1 day) the step fails ("fail") or is skipped ("skip").
   */
  static event(
    key: string,
    options: { match?: string; timeout?: Duration; onTimeout?: "fail" | "skip" } = {},
  ): Wait {
    if (typeof key !== "string" || !EVENT_PATTERN.test(key)) {
      throw new DefinitionError(`wait: ${describe(key)} is not an event key pattern, e.g. 'order.*'`);
    }
    const spec: { [key: string]: JsonValue } = { event: key };
    if (options.match !== undefined) spec.match = checkKey(options.match, "wait: match");
    if (options.timeout !== undefined) {
      spec.timeout = specSeconds(checkDuration(options.timeout, "wait: timeout", WAIT_RANGE));
    }
    const onTimeout = options.onTimeout ?? "fail";
    if (onTimeout !== "fail" && onTimeout !== "skip") {
      throw new DefinitionError(`wait: onTimeout must be 'fail' or 'skip', got ${describe(onTimeout)}`);
    }
    if (onTimeout !== "fail") spec.on_timeout = onTimeout;
    return new Wait(spec);
  }

  /** Wait this long (from when the step's parents are done) before the step is ready. */
  static sleep(duration: Duration): Wait {
    return new Wait({ sleep: specSeconds(checkDuration(duration, "wait: sleep", SLEEP_RANGE)) });
  }
}

export interface TaskOptions {
  /** Parent steps (tasks of this workflow or their names): this step runs once they succeed. */
  parents?: Array<TaskRef | string>;
  /** What workers register and assignments name; default "<workflow>:<step>". */
  action?: string;
  /** Attempts after the first (0 to 100); the server's default applies when unset. */
  retries?: number;
  backoff?: Backoff;
  /** The execution lease: past it the task is taken away unless refreshed (1s to 7d). */
  timeout?: Duration;
  /** How long the task may wait in the queue before it fails (1s to 30d). */
  scheduleTimeout?: Duration;
  priority?: number;
  description?: string;
  concurrency?: Concurrency;
  rateLimits?: RateLimit[];
  /** How many of a worker's slots one task takes (default 1). */
  slots?: number;
  /** Labels a worker must have (equal values) to claim the step's tasks: { gpu: "a100" }. */
  workerLabels?: Record<string, string>;
  /** Labels a worker claims the step's tasks sooner for: { model: ["llama-3-70b", 10] }. */
  preferredLabels?: Record<string, LabelPreference>;
  wait?: Wait;
}

export type LogLevel = "debug" | "info" | "warning" | "error" | "critical";

/** What a running task knows and can do (the second argument of a task function). */
export interface TaskContext {
  readonly runId: string;
  readonly taskId: string;
  /** 1 for the first attempt, 2 for the first retry, ... */
  readonly attempt: number;
  readonly workflow: string;
  readonly step: string;
  readonly action: string;
  /** The outputs of this step's parents, by step name. */
  readonly parents: Readonly<Record<string, unknown>>;
  /** Aborted when the task must stop: its run was cancelled, its lease ran out, the worker stops. */
  readonly signal: AbortSignal;
  /** When the lease ends (the server reclaims the task after it unless refreshed). */
  readonly timeoutAt: Date | null;
  /** The output of a parent step, by its task or its name. */
  parentOutput<O>(step: TaskRef<O>): O;
  parentOutput(step: string): unknown;
  /** A line of the task's log, stored with the run (`GET /v1/runs/{id}/logs`). */
  log(message: string, level?: LogLevel): void;
  /**
   * Send text to whoever follows the run's output (`Hewer.output`, `GET /v1/runs/{id}/output`,
   * the dashboard), e.g. an LLM's tokens as they come. Returns at once: chunks go up the
   * worker's stream in order, numbered per attempt from 1, and are sent again after a
   * reconnect until the dispatcher has stored them. Text over 65,536 characters goes as
   * several chunks; chunks are kept 3 days.
   */
  stream(text: string): void;
  /** Extend the lease to `extendBy` from now (never shortening it); resolves to its new end. */
  refreshTimeout(extendBy: Duration): Promise<Date>;
}

export type TaskFunction<I, O> = (input: I, ctx: TaskContext) => O | Promise<O>;

/** A step as a parent reference; carries its output type for `ctx.parentOutput`. */
export interface TaskRef<O = unknown> {
  readonly name: string;
  readonly workflow: Workflow<never>;
  /** Type-level only: the step's output. */
  readonly __output?: O;
}

/** Any workflow, whatever its input type: what a Worker accepts. */
export interface AnyWorkflow {
  readonly name: string;
  readonly tasks: ReadonlyArray<AnyTask>;
  validate(): void;
  specJson(): string;
}

/** Any task, whatever its input and output types. */
export interface AnyTask {
  readonly name: string;
  readonly action: string;
  readonly workflow: AnyWorkflow;
  readonly fn: ((input: never, ctx: TaskContext) => unknown) | null;
}

/**
 * One step of a workflow and the function that runs it; `fn` is null for an external step
 * (one that workers elsewhere, in any language, run).
 */
export class Task<I = unknown, O = unknown> implements TaskRef<O> {
  declare readonly __output?: O;

  constructor(
    readonly workflow: Workflow<never>,
    readonly name: string,
    readonly fn: TaskFunction<I, O> | null,
    private readonly step: { [key: string]: JsonValue },
    readonly parents: readonly string[],
    private readonly explicitAction: string | undefined,
  ) {}

  /** What workers register and assignments name: `action`, else "<workflow>:<step>". */
  get action(): string {
    return this.explicitAction ?? `${this.workflow.name}:${this.name}`;
  }

  /** This step's entry in the workflow spec (unset fields omitted). */
  spec(): { [key: string]: JsonValue } {
    return structuredClone(this.step);
  }
}

/** A named DAG of tasks; `spec()` is what a worker registers. */
export class Workflow<I = unknown> {
  readonly name: string;
  private readonly tasksByName = new Map<string, Task<I, unknown>>();
  private readonly top: { [key: string]: JsonValue } = {};

  constructor(name: string, options: WorkflowOptions = {}) {
    this.name = checkName(name, "workflow name");
    const where = `workflow '${name}'`;
    if (options.description !== undefined) {
      if (typeof options.description !== "string") {
        throw new DefinitionError(`${where}: description must be a string`);
      }
      this.top.description = options.description;
    }
    if (options.priority !== undefined) {
      this.top.priority = checkInt(options.priority, `${where}: priority`, PRIORITY_RANGE);
    }
    if (options.concurrency !== undefined) {
      this.top.concurrency = concurrencySpec(options.concurrency, where, false);
    }
    const onEvents = options.onEvents ?? [];
    for (const pattern of onEvents) {
      if (typeof pattern !== "string" || !EVENT_PATTERN.test(pattern)) {
        throw new DefinitionError(
          `${where}: ${describe(pattern)} is not an event key pattern; use letters, digits and ` +
            "_ . : / -, with * for any run of characters, e.g. 'order.*'",
        );
      }
    }
    if (onEvents.length) this.top.on_events = [...onEvents];
    const cron = (options.cron ?? []).map((c) => cronSpec(c, `${where}, cron`));
    if (cron.length) this.top.cron = cron;
    if (options.sticky !== undefined) {
      if (options.sticky !== "soft" && options.sticky !== "hard") {
        throw new DefinitionError(
          `${where}: sticky must be 'soft' (another worker may take a task that waited 2 s) or ` +
            `'hard' (only the run's worker while it lives), got ${describe(options.sticky)}; leave it out for none`,
        );
      }
      this.top.sticky = options.sticky;
    }
  }

  /** The steps in the order they were defined (the order of the spec). */
  get tasks(): ReadonlyArray<Task<I, unknown>> {
    return [...this.tasksByName.values()];
  }

  /** The step named `name`. */
  step(name: string): Task<I, unknown> {
    const found = this.tasksByName.get(name);
    if (!found) {
      throw new DefinitionError(
        `workflow '${this.name}' has no step '${name}'; steps: ${[...this.tasksByName.keys()].join(", ")}`,
      );
    }
    return found;
  }

  /** Add a step run by `fn`: `wf.task("fetch", fn)` or `wf.task("fetch", { parents, ... }, fn)`. */
  task<O>(name: string, fn: TaskFunction<I, O>): Task<I, O>;
  task<O>(name: string, options: TaskOptions, fn: TaskFunction<I, O>): Task<I, O>;
  task<O>(
    name: string,
    optionsOrFn: TaskOptions | TaskFunction<I, O>,
    maybeFn?: TaskFunction<I, O>,
  ): Task<I, O> {
    const options = typeof optionsOrFn === "function" ? {} : optionsOrFn;
    const fn = typeof optionsOrFn === "function" ? optionsOrFn : maybeFn;
    if (typeof fn !== "function") {
      throw new DefinitionError(
        `workflow '${this.name}', step '${name}': a task needs a function (input, ctx) => output; ` +
          "declare a step that other workers run with .external(name, options)",
      );
    }
    return this.addStep<O>(name, options, fn);
  }

  /**
   * Declare a step that workers elsewhere run (say a Python worker serving its action): it is
   * part of this workflow's spec, and a worker of this workflow does not register its action.
   * Its output reaches children like any other; give `O` to type it for ctx.parentOutput.
   */
  external<O = unknown>(name: string, options: TaskOptions = {}): Task<I, O> {
    return this.addStep<O>(name, options, null);
  }

  private addStep<O>(name: string, options: TaskOptions, fn: TaskFunction<I, O> | null): Task<I, O> {
    checkName(name, `workflow '${this.name}': step name`);
    const where = `workflow '${this.name}', step '${name}'`;
    if (this.tasksByName.has(name)) {
      throw new DefinitionError(`${where}: a step with this name is already defined; rename one of them`);
    }
    const step: { [key: string]: JsonValue } = { name };
    const self = this as unknown as Workflow<never>;
    if (options.action !== undefined) {
      checkName(options.action, `${where}: action`);
      if (options.action !== `${this.name}:${name}`) step.action = options.action;
    }
    const parents = this.parentNames(options.parents ?? [], where, name);
    if (parents.length) step.parents = [...parents];
    if (options.retries !== undefined) {
      step.retries = checkInt(options.retries, `${where}: retries`, RETRIES_RANGE);
    }
    if (options.backoff !== undefined) {
      const backoff = backoffSpec(options.backoff, where);
      if (Object.keys(backoff).length) step.backoff = backoff;
    }
    if (options.timeout !== undefined) {
      step.timeout = specSeconds(checkDuration(options.timeout, `${where}: timeout`, TIMEOUT_RANGE));
    }
    if (options.scheduleTimeout !== undefined) {
      step.schedule_timeout = specSeconds(
        checkDuration(options.scheduleTimeout, `${where}: scheduleTimeout`, SCHEDULE_TIMEOUT_RANGE),
      );
    }
    if (options.priority !== undefined) {
      step.priority = checkInt(options.priority, `${where}: priority`, PRIORITY_RANGE);
    }
    if (options.description !== undefined) {
      if (typeof options.description !== "string") {
        throw new DefinitionError(`${where}: description must be a string`);
      }
      step.description = options.description;
    }
    if (options.concurrency !== undefined) {
      step.concurrency = concurrencySpec(options.concurrency, where, true);
    }
    if (options.rateLimits !== undefined && options.rateLimits.length) {
      step.rate_limits = options.rateLimits.map((r) => rateLimitSpec(r, where));
    }
    if (options.slots !== undefined) {
      step.slots = checkInt(options.slots, `${where}: slots`, SLOTS_RANGE);
    }
    if (options.workerLabels !== undefined) {
      step.worker_labels = workerLabelsSpec(options.workerLabels, where);
    }
    if (options.preferredLabels !== undefined) {
      step.preferred_labels = preferredLabelsSpec(options.preferredLabels, where);
    }
    if (options.wait !== undefined) {
      if (!(options.wait instanceof Wait)) {
        throw new DefinitionError(`${where}: wait must be Wait.event(...) or Wait.sleep(...)`);
      }
      step.wait = structuredClone(options.wait.spec);
    }
    const task = new Task<I, O>(self, name, fn, step, parents, options.action);
    this.tasksByName.set(name, task as Task<I, unknown>);
    return task;
  }

  private parentNames(parents: Array<TaskRef | string>, where: string, step: string): string[] {
    const names: string[] = [];
    for (const parent of parents) {
      let parentName: string;
      if (typeof parent === "string") {
        parentName = parent;
      } else if (parent instanceof Task) {
        if (parent.workflow !== (this as unknown as Workflow<never>)) {
          throw new DefinitionError(
            `${where}: parent '${parent.name}' belongs to workflow '${parent.workflow.name}'; ` +
              `parents must be steps of '${this.name}'`,
          );
        }
        parentName = parent.name;
      } else {
        throw new DefinitionError(
          `${where}: a parent must be a task of this workflow or a step name, got ${describe(parent)}`,
        );
      }
      if (parentName === step) throw new DefinitionError(`${where}: a step cannot be its own parent`);
      if (names.includes(parentName)) {
        throw new DefinitionError(`${where}: parent '${parentName}' is listed twice`);
      }
      names.push(parentName);
    }
    return names;
  }

  /** Check what only the whole workflow shows: it has steps, parents exist, no cycle. */
  validate(): void {
    if (!this.tasksByName.size) {
      throw new DefinitionError(`workflow '${this.name}' has no steps; add one with .task(name, fn)`);
    }
    const steps = [...this.tasksByName.keys()];
    for (const task of this.tasksByName.values()) {
      for (const parent of task.parents) {
        if (!this.tasksByName.has(parent)) {
          throw new DefinitionError(
            `workflow '${this.name}', step '${task.name}': parent '${parent}' is not a step of ` +
              `this workflow; steps: ${steps.join(", ")}`,
          );
        }
      }
    }
    const cycle = this.findCycle();
    if (cycle) {
      throw new DefinitionError(
        `workflow '${this.name}': steps form a cycle: ${cycle.join(" -> ")}; remove one edge of the cycle`,
      );
    }
  }

  private findCycle(): string[] | null {
    const state = new Map<string, 1 | 2>(); // 1: on the current path, 2: done
    const path: string[] = [];
    const visit = (step: string): string[] | null => {
      state.set(step, 1);
      path.push(step);
      for (const parent of this.tasksByName.get(step)?.parents ?? []) {
        if (state.get(parent) === 1) return [...path.slice(path.indexOf(parent)), parent];
        if (!state.has(parent)) {
          const found = visit(parent);
          if (found) return found;
        }
      }
      path.pop();
      state.set(step, 2);
      return null;
    };
    for (const step of this.tasksByName.keys()) {
      if (!state.has(step)) {
        const found = visit(step);
        if (found) return found;
      }
    }
    return null;
  }

  /** The JSON spec for RegisterWorkflow: validated, deterministic, defaults omitted. */
  spec(): { [key: string]: JsonValue } {
    this.validate();
    return { steps: this.tasks.map((t) => t.spec()), ...structuredClone(this.top) };
  }

  /** `spec()` as canonical JSON text (sorted keys, no spaces), as the Python SDK sends it. */
  specJson(): string {
    return canonicalJson(this.spec());
  }
}

/** A workflow named `name`; declare its steps with `.task(...)`. */
export function workflow<I = unknown>(name: string, options: WorkflowOptions = {}): Workflow<I> {
  return new Workflow<I>(name, options);
}

/**
 * A standalone task: a one-step workflow named `name` whose step has the same name (its action
 * is "<name>:<name>"). Give the task to a Worker, trigger it by that name.
 */
export function task<I = unknown, O = unknown>(
  name: string,
  options: Omit<TaskOptions, "parents" | "wait">,
  fn: TaskFunction<I, O>,
): Task<I, O> {
  const { description, ...rest } = options;
  const wf = new Workflow<I>(name, description === undefined ? {} : { description });
  return wf.task(name, rest, fn);
}

// --- validation -----------------------------------------------------------------------------

export function checkName(name: unknown, what: string): string {
  if (typeof name !== "string" || !NAME_PATTERN.test(name)) {
    throw new DefinitionError(`${what} ${describe(name)} is not a valid name: use ${NAME_HINT}`);
  }
  return name;
}

function checkInt(value: unknown, what: string, [low, high]: Range): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new DefinitionError(`${what} must be an integer, got ${describe(value)}`);
  }
  if (value < low || value > high) {
    throw new DefinitionError(`${what} must be from ${low} to ${high}, got ${value}`);
  }
  return value;
}

function checkNumber(value: unknown, what: string, low: number, high: number): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new DefinitionError(`${what} must be a number, got ${describe(value)}`);
  }
  if (value < low || value > high) {
    throw new DefinitionError(`${what} must be between ${low} and ${high}, got ${value}`);
  }
  return value;
}

function checkDuration(value: Duration, what: string, [low, high]: Range): number {
  let seconds: number;
  try {
    seconds = parseDuration(value, what);
  } catch (error) {
    throw new DefinitionError(error instanceof Error ? error.message : String(error));
  }
  if (seconds < low || seconds > high) {
    throw new DefinitionError(
      `${what} must be between ${formatSeconds(low)} and ${formatSeconds(high)}, got ${describe(value)}`,
    );
  }
  return seconds;
}

function checkKey(key: unknown, what: string): string {
  if (typeof key !== "string" || !key.trim()) {
    throw new DefinitionError(
      `${what} must be a CEL expression over the input, e.g. 'input.user_id'; got ${describe(key)}`,
    );
  }
  return key;
}

function backoffSpec(backoff: Backoff, where: string): { [key: string]: JsonValue } {
  if (typeof backoff !== "object" || backoff === null) {
    throw new DefinitionError(`${where}: backoff must be { base, factor, max, jitter }, got ${describe(backoff)}`);
  }
  const out: { [key: string]: JsonValue } = {};
  let base = BACKOFF_DEFAULTS.base;
  let top = BACKOFF_DEFAULTS.max;
  if (backoff.base !== undefined) {
    base = checkDuration(backoff.base, `${where}: backoff.base`, BACKOFF_BASE_RANGE);
    out.base = specSeconds(base);
  }
  if (backoff.factor !== undefined) {
    out.factor = checkNumber(backoff.factor, `${where}: backoff.factor`, 1, 10);
  }
  if (backoff.max !== undefined) {
    top = checkDuration(backoff.max, `${where}: backoff.max`, BACKOFF_MAX_RANGE);
    out.max = specSeconds(top);
  }
  if (backoff.jitter !== undefined) {
    out.jitter = checkNumber(backoff.jitter, `${where}: backoff.jitter`, 0, 1);
  }
  if (top < base) {
    throw new DefinitionError(
      `${where}: backoff.max (${formatSeconds(top)}) is below backoff.base (${formatSeconds(base)}); ` +
        "raise max or lower base",
    );
  }
  return out;
}

function concurrencySpec(value: Concurrency, where: string, step: boolean): { [key: string]: JsonValue } {
  if (typeof value !== "object" || value === null) {
    throw new DefinitionError(`${where}: concurrency must be { max, key?, strategy? }, got ${describe(value)}`);
  }
  const out: { [key: string]: JsonValue } = {
    max: checkInt(value.max, `${where}: concurrency max`, MAX_RANGE),
  };
  if (value.key !== undefined) out.key = checkKey(value.key, `${where}: concurrency key`);
  const strategy = value.strategy ?? "GROUP_ROUND_ROBIN";
  if (!STRATEGIES.includes(strategy)) {
    throw new DefinitionError(
      `${where}: concurrency strategy ${describe(strategy)} is not one of ${STRATEGIES.join(", ")}`,
    );
  }
  if (step && strategy !== "GROUP_ROUND_ROBIN") {
    throw new DefinitionError(
      `${where}: ${strategy} applies to whole runs: put it on the workflow's concurrency; ` +
        "a step's limit is GROUP_ROUND_ROBIN",
    );
  }
  if (strategy !== "GROUP_ROUND_ROBIN") out.strategy = strategy;
  return out;
}

function rateLimitSpec(value: RateLimit, where: string): { [key: string]: JsonValue } {
  if (typeof value !== "object" || value === null) {
    throw new DefinitionError(`${where}: rateLimits must be a list of { limit, units?, key? }, got ${describe(value)}`);
  }
  const out: { [key: string]: JsonValue } = { limit: checkName(value.limit, `${where}: rate limit`) };
  if (value.units !== undefined && value.units !== 1) {
    out.units = checkInt(value.units, `${where}: rate limit units`, UNITS_RANGE);
  }
  if (value.key !== undefined) out.key = checkKey(value.key, `${where}: rate limit key`);
  return out;
}

function labelEntries(value: unknown, what: string, example: string): Array<[string, unknown]> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new DefinitionError(`${what} must be an object of label name to value, e.g. ${example}; got ${describe(value)}`);
  }
  const entries = Object.entries(value);
  const [low, high] = LABELS_RANGE;
  if (entries.length < low || entries.length > high) {
    throw new DefinitionError(
      `${what} must name ${low} to ${high} labels, e.g. ${example}, got ${entries.length}; leave it out for none`,
    );
  }
  return entries;
}

function checkLabelValue(value: unknown, what: string): string {
  if (typeof value !== "string" || value.length < 1 || value.length > LABEL_VALUE_MAX) {
    throw new DefinitionError(
      `${what} must be text of 1 to ${LABEL_VALUE_MAX} characters (as the worker's labels are), got ${describe(value)}`,
    );
  }
  return value;
}

function workerLabelsSpec(value: unknown, where: string): { [key: string]: JsonValue } {
  const what = `${where}: workerLabels`;
  const out: { [key: string]: JsonValue } = {};
  for (const [name, label] of labelEntries(value, what, "{ gpu: 'a100' }")) {
    checkName(name, `${what}: label name`);
    out[name] = checkLabelValue(label, `${what}['${name}']`);
  }
  return out;
}

function preferredLabelsSpec(value: unknown, where: string): { [key: string]: JsonValue } {
  const what = `${where}: preferredLabels`;
  const out: { [key: string]: JsonValue } = {};
  for (const [name, preference] of labelEntries(value, what, "{ model: ['llama-3-70b', 10] }")) {
    checkName(name, `${what}: label name`);
    const item = `${what}['${name}']`;
    let label: unknown;
    let weight: unknown = 1;
    if (typeof preference === "string") {
      label = preference;
    } else if (Array.isArray(preference) && preference.length === 2) {
      [label, weight] = preference as unknown[];
    } else if (
      typeof preference === "object" &&
      preference !== null &&
      !Array.isArray(preference) &&
      "value" in preference &&
      Object.keys(preference).every((k) => k === "value" || k === "weight")
    ) {
      const given = preference as { value: unknown; weight?: unknown };
      label = given.value;
      if (given.weight !== undefined) weight = given.weight;
    } else {
      throw new DefinitionError(
        `${item} must be a value ('llama-3-70b'), a [value, weight] pair (['llama-3-70b', 10]) ` +
          `or { value, weight }; got ${describe(preference)}`,
      );
    }
    out[name] = {
      value: checkLabelValue(label, `${item} value`),
      weight: checkInt(weight, `${item} weight`, WEIGHT_RANGE),
    };
  }
  return out;
}

function cronSpec(value: string | Cron, where: string): JsonValue {
  const cron: Cron = typeof value === "string" ? { expression: value } : value;
  if (typeof cron.expression !== "string" || cron.expression.trim().split(/\s+/).length !== 5) {
    throw new DefinitionError(
      `${where}: ${describe(cron.expression)} is not a cron expression; use 5 fields, ` +
        "minute hour day month weekday (UTC), e.g. '*/5 * * * *'",
    );
  }
  const catchUp = cron.catchUp ?? "skip";
  if (catchUp !== "skip" && catchUp !== "once") {
    throw new DefinitionError(`${where}: catchUp must be 'skip' or 'once', got ${describe(catchUp)}`);
  }
  if (cron.input !== undefined && (typeof cron.input !== "object" || cron.input === null || Array.isArray(cron.input))) {
    throw new DefinitionError(`${where}: cron input must be an object, got ${describe(cron.input)}`);
  }
  if (cron.input === undefined && catchUp === "skip") return cron.expression;
  const out: { [key: string]: JsonValue } = { expression: cron.expression, catch_up: catchUp };
  if (cron.input !== undefined) out.input = structuredClone(cron.input);
  return out;
}
