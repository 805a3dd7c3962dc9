import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { packageRoot } from "../util/paths.js";
import type { ResultsDocument } from "./document.js";

let validator: ValidateFunction | undefined;

function resultsValidator(): ValidateFunction {
  if (validator) return validator;
  const schema = JSON.parse(readFileSync(path.join(packageRoot(), "results", "schema", "results.schema.json"), "utf8")) as object;
  // `date-time` is checked by a small format function rather than pulling in ajv-formats for one format.
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  ajv.addFormat("date-time", (s: string) => !Number.isNaN(Date.parse(s)) && /^\d{4}-\d\d-\d\dT/.test(s));
  validator = ajv.compile(schema);
  return validator;
}

/** Validate a results document against results/schema/results.schema.json; returns error lines. */
export function validateResults(doc: unknown): string[] {
  const validate = resultsValidator();
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "invalid"}`);
}

export function assertValidResults(doc: ResultsDocument): void {
  const errors = validateResults(doc);
  if (errors.length > 0) throw new Error(`results JSON does not match its schema: ${errors.slice(0, 5).join("; ")}`);
}
