/** The errors the SDK throws: each names the problem and, where there is one, the fix. */

/** A problem the HTTP API answered with (application/problem+json, RFC 9457). */
export interface Problem {
  title: string;
  status: number;
  detail: string;
  code?: string | null;
  hint?: string | null;
  errors?: Array<Record<string, unknown>> | null;
}

/**
 * The HTTP API refused a request. `code` is Hewer's error code (`HW003` ...) when the database
 * gave one, `hint` how to fix it; both are null for errors of HTTP itself (401 without code, 422
 * naming a field in `detail`).
 */
export class HewerApiError extends Error {
  override readonly name = "HewerApiError";
  readonly status: number;
  readonly title: string;
  readonly code: string | null;
  readonly detail: string;
  readonly hint: string | null;
  readonly errors: Array<Record<string, unknown>>;

  constructor(problem: Problem, request?: string) {
    const code = problem.code ?? null;
    const hint = problem.hint ?? null;
    const where = request ? `${request}: ` : "";
    const label = code ? `${problem.title} [${code}]` : problem.title;
    super(`${where}${label}: ${problem.detail}${hint ? ` (hint: ${hint})` : ""}`);
    this.status = problem.status;
    this.title = problem.title;
    this.code = code;
    this.detail = problem.detail;
    this.hint = hint;
    this.errors = problem.errors ?? [];
  }
}

/** The HTTP API could not be reached (refused connection, DNS, reset before an answer). */
export class HewerConnectionError extends Error {
  override readonly name = "HewerConnectionError";
}

/** `waitForRun` ran out of time before the run finished. */
export class HewerTimeoutError extends Error {
  override readonly name = "HewerTimeoutError";
  constructor(
    message: string,
    /** The run's status when time ran out. */
    readonly lastStatus: string | null,
  ) {
    super(message);
  }
}

/** A workflow or task definition the server would refuse, caught where it is written. */
export class DefinitionError extends Error {
  override readonly name = "DefinitionError";
}

/** A dispatcher refused the worker's workflows or registration: retrying cannot help. */
export class RegistrationError extends Error {
  override readonly name = "RegistrationError";
}

/** A dispatcher refused the API token (missing, malformed, unknown, revoked or expired). */
export class AuthenticationError extends Error {
  override readonly name = "AuthenticationError";
}

/**
 * Thrown by task code: the attempt failed and must not be retried, whatever retries remain.
 * `type` becomes the error's `type` in the run (default "NonRetryableError").
 */
export class NonRetryableError extends Error {
  override readonly name: string = "NonRetryableError";
  constructor(
    message: string,
    readonly type: string = "NonRetryableError",
  ) {
    super(message);
  }
}

/** The dispatcher rejected a lease refresh: the task is no longer this worker's. */
export class LeaseLostError extends Error {
  override readonly name = "LeaseLostError";
}
