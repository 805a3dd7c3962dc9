// JSON as Python's `json.dumps(obj, indent=2, ensure_ascii=False)` writes it, for files that
// Python tools read: a float stays a float (`1.0`, not `1`), which JSON.stringify cannot say.
// The caller names which numbers are floats by their path; every other value is written as
// JSON.stringify writes it (same indentation, same escapes, non-ASCII kept as is).

export type JsonPath = readonly (string | number)[];

/** Python's float repr for a finite number as JSON: integral values keep a `.0`. */
export function pythonFloat(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`${value} is not a finite number; JSON has no way to write it`);
  const text = JSON.stringify(value);
  return /[.eE]/.test(text) ? text : `${text}.0`;
}

/**
 * Serialises `value` (plain JSON data) with `indent` spaces (0: one line, separators ", " and
 * ": " as Python's default). `isFloat(path)` says whether the number at `path` is a float.
 */
export function pythonJson(value: unknown, isFloat: (path: JsonPath) => boolean, indent = 2): string {
  const write = (v: unknown, path: (string | number)[], depth: number): string | undefined => {
    if (v === undefined || typeof v === "function") return undefined;
    if (v === null) return "null";
    if (typeof v === "number") return isFloat(path) ? pythonFloat(v) : JSON.stringify(v);
    if (typeof v !== "object") return JSON.stringify(v);
    const open = indent > 0 ? `\n${" ".repeat(indent * (depth + 1))}` : "";
    const close = indent > 0 ? `\n${" ".repeat(indent * depth)}` : "";
    const sep = indent > 0 ? `,${open}` : ", ";
    if (Array.isArray(v)) {
      if (v.length === 0) return "[]";
      const items = v.map((item, i) => write(item, [...path, i], depth + 1) ?? "null");
      return `[${open}${items.join(sep)}${close}]`;
    }
    const entries: string[] = [];
    for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
      const text = write(item, [...path, k], depth + 1);
      if (text !== undefined) entries.push(`${JSON.stringify(k)}: ${text}`);
    }
    if (entries.length === 0) return "{}";
    return `{${open}${entries.join(sep)}${close}}`;
  };
  return write(value, [], 0) ?? "null";
}
