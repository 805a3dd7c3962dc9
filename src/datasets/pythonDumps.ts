// JSON as Python's json.dumps(obj, ensure_ascii=False) writes it: ", " and ": " separators. The
// derived files (xWinograd, MGSM exemplars, JGLUE's MARC-ja) were written that way, so every
// converter that rebuilds one writes its lines with this. String escapes agree with
// JSON.stringify (both escape only '"', '\\' and control characters).

export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as JSON`);
    return Number.isInteger(value) ? String(value) : JSON.stringify(value);
  }
  if (typeof value === "string" || typeof value === "boolean") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(", ")}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (typeof value === "object") {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pythonJson(v)}`)
      .join(", ")}}`;
  }
  throw new Error(`cannot write a ${typeof value} as JSON`);
}
