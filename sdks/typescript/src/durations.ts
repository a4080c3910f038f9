/**
 * Durations as users write them (30, "30s", "5m", "1h30m", "250ms") and as specs store them:
 * a JSON number of seconds, an integer when whole, rounded to the millisecond, so that "60s",
 * "1m" and 60 give byte-identical specs (and so one workflow version). The same rules as the
 * Python SDK's pyworker/durations.py.
 */

/** A number of seconds, or a string such as "30s", "5m", "1h30m", "250ms". */
export type Duration = number | string;

const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };
const PART = /(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h|d)/g;
const WHOLE = /^(?:(?:\d+(?:\.\d+)?|\.\d+)(?:ms|s|m|h|d))+$/;
const HINT = 'use seconds (30, 0.5) or a string such as "30s", "5m", "1h30m", "250ms"';

/** Seconds in `value`; throws RangeError naming `what` for anything that is not a duration. */
export function parseDuration(value: unknown, what = "duration"): number {
  let seconds: number;
  if (typeof value === "number") {
    seconds = value;
  } else if (typeof value === "string") {
    const text = value.trim().toLowerCase().replaceAll(" ", "");
    if (!WHOLE.test(text)) {
      throw new RangeError(`${what} must be a duration, got ${JSON.stringify(value)}; ${HINT}`);
    }
    seconds = 0;
    for (const [, amount, unit] of text.matchAll(PART)) {
      seconds += Number(amount) * (UNITS[unit ?? ""] ?? Number.NaN);
    }
  } else {
    throw new RangeError(`${what} must be a duration, got ${describe(value)}; ${HINT}`);
  }
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new RangeError(`${what} must be a finite duration of 0 or more, got ${describe(value)}`);
  }
  return seconds;
}

/** Round half to even, as Python's round() does (so both SDKs store the same milliseconds). */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** The JSON number a spec stores: whole seconds as an integer, else rounded to the millisecond. */
export function specSeconds(seconds: number): number {
  const millis = roundHalfEven(seconds * 1000);
  return millis / 1000; // whole seconds print as integers: JSON has one number type
}

/** A short human form of a number of seconds, for error messages (90 -> "1m30s"). */
export function formatSeconds(seconds: number): string {
  if (seconds < 1) return `${specSeconds(seconds)}s`;
  const parts: string[] = [];
  let rest = specSeconds(seconds);
  for (const [unit, size] of [
    ["d", 86400],
    ["h", 3600],
    ["m", 60],
  ] as const) {
    const count = Math.floor(rest / size);
    if (count) {
      parts.push(`${count}${unit}`);
      rest -= count * size;
    }
  }
  if (rest || !parts.length) parts.push(`${specSeconds(rest)}s`);
  return parts.join("");
}

export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || value === undefined) return String(value);
  if (typeof value === "object") return `${value.constructor?.name ?? "object"} ${safeJson(value)}`;
  return `${typeof value} ${String(value)}`;
}

function safeJson(value: object): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
