/**
 * JSON text exactly as Python's `json.dumps(value, sort_keys=True, separators=(",", ":"))`
 * writes it, which is how the Python SDK sends a workflow spec: keys sorted by code point,
 * non-ASCII escaped as \uXXXX, floats in Python's repr form (1e-05, not 1e-5). The same
 * definition in either SDK then registers as the same bytes, hence the same workflow version.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export function canonicalJson(value: JsonValue): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return pythonNumber(value);
  if (typeof value === "string") return pythonString(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(value).sort(compareCodePoints);
  return `{${keys.map((k) => `${pythonString(k)}:${canonicalJson(value[k] as JsonValue)}`).join(",")}}`;
}

/** A number as Python prints it: integers plainly, other floats in repr form. */
export function pythonNumber(value: number): string {
  if (!Number.isFinite(value)) {
    throw new RangeError(`${value} is not a JSON number: specs hold finite numbers only`);
  }
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return String(value);
  // toExponential() gives the shortest digits that read back as the same double, as repr does.
  const [mantissa = "", exponentText = "0"] = value.toExponential().split("e");
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const sign = exponent < 0 ? "-" : "+";
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  return String(value);
}

/** A string as json.dumps writes it with ensure_ascii: only printable ASCII stays as is. */
export function pythonString(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    const char = value[i] ?? "";
    if (char === '"') out += '\\"';
    else if (char === "\\") out += "\\\\";
    else if (char === "\n") out += "\\n";
    else if (char === "\r") out += "\\r";
    else if (char === "\t") out += "\\t";
    else if (char === "\b") out += "\\b";
    else if (char === "\f") out += "\\f";
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += char;
  }
  return `${out}"`;
}

function compareCodePoints(a: string, b: string): number {
  const left = [...a];
  const right = [...b];
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const x = left[i]?.codePointAt(0) ?? 0;
    const y = right[i]?.codePointAt(0) ?? 0;
    if (x !== y) return x - y;
  }
  return left.length - right.length;
}
