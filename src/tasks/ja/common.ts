// Small pieces every Japanese task needs: reading records defensively, building the
// requests of the Stability harness, and checking the responses a backend returns.

import type { DataFileRef, MetricSpec } from "../../api/task.js";
import type { GenerateResponse, LoglikelihoodRequest, LoglikelihoodResponse, TaskResponse } from "../../api/types.js";
import { DatasetError } from "../../util/errors.js";
import { argmaxFirst } from "../../metrics/accuracy.js";

/** acc/acc_norm: stored 0–1 as the reference does, so ×100 for the paper's figure (`scale: 100`). */
export const ACC_METRIC: MetricSpec = { aggregation: "mean", higherIsBetter: true, scale: 100 };
/** exact_match, rouge2: stored 0–100 as the reference reports them (`scale: 1`). */
export const PERCENT_METRIC: MetricSpec = { aggregation: "mean", higherIsBetter: true, scale: 1 };

/** Where a record came from, for error messages. */
export function sourceName(ref: DataFileRef | undefined, taskName: string, split: "eval" | "fewshot"): string {
  return ref ? `${ref.dataset}/${ref.split}` : `${taskName} (${split} split)`;
}

/** Reads fields of one raw record; every failure names the file, the record and the field. */
export class RecordReader {
  private readonly rec: Record<string, unknown>;
  constructor(
    value: unknown,
    private readonly source: string,
    private readonly index: number,
  ) {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw this.fail("is not a JSON object");
    }
    this.rec = value as Record<string, unknown>;
  }

  raw(field: string): unknown {
    return this.rec[field];
  }

  string(field: string): string {
    const v = this.rec[field];
    if (typeof v !== "string") throw this.fail(`field "${field}" should be a string, found ${describe(v)}`);
    return v;
  }

  optionalString(field: string): string | undefined {
    const v = this.rec[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string") throw this.fail(`field "${field}" should be a string, found ${describe(v)}`);
    return v;
  }

  /** An id kept for the samples file: any value as a string, or null when absent. */
  optionalId(field: string): string | null {
    const v = this.rec[field];
    return v === undefined || v === null ? null : String(v);
  }

  integer(field: string): number {
    const v = this.rec[field];
    if (typeof v !== "number" || !Number.isInteger(v)) throw this.fail(`field "${field}" should be an integer, found ${describe(v)}`);
    return v;
  }

  stringArray(field: string): string[] {
    const v = this.rec[field];
    if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
      throw this.fail(`field "${field}" should be a list of strings, found ${describe(v)}`);
    }
    return v as string[];
  }

  /** A label given either as its name (raw JGLUE files) or as its ClassLabel index (HF rows). */
  label(field: string, names: readonly string[]): number {
    const v = this.rec[field];
    if (typeof v === "string") {
      const i = names.indexOf(v);
      if (i >= 0) return i;
      // HF exports sometimes write the index as a string ("0").
      if (/^[0-9]+$/.test(v) && Number(v) < names.length) return Number(v);
    } else if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v < names.length) {
      return v;
    }
    throw this.fail(`field "${field}" should be one of ${names.map((n) => JSON.stringify(n)).join(", ")} (or its index), found ${describe(v)}`);
  }

  fail(what: string): DatasetError {
    return new DatasetError("parse", this.source, `${this.source}: record ${this.index + 1} ${what}; check that the file is the one the manifest names.`);
  }
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  return s === undefined ? typeof v : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** `rf.loglikelihood(ctx, cont)` of the Stability harness: context and continuation encoded separately. */
export function loglikelihood(context: string, continuation: string): LoglikelihoodRequest {
  return { type: "loglikelihood", context, continuation, tokenization: "separate" };
}

/** The `n` loglikelihood responses of one doc, in request order. */
export function loglikelihoodResponses(taskName: string, responses: readonly TaskResponse[], n: number): LoglikelihoodResponse[] {
  if (responses.length !== n) throw new Error(`${taskName}: expected ${n} loglikelihood responses, got ${responses.length}`);
  return responses.map((r, i) => {
    if (typeof r !== "object" || r === null || typeof r.logprob !== "number") {
      throw new Error(`${taskName}: response ${i + 1} is not a loglikelihood response`);
    }
    return r;
  });
}

/** The single generation of one doc (`results[0]` of a `greedy_until` task). */
export function generationResponse(taskName: string, responses: readonly TaskResponse[]): GenerateResponse {
  // The reference asserts `len(results) == 1` as well.
  if (responses.length !== 1 || typeof responses[0] !== "string") {
    throw new Error(`${taskName}: expected exactly one generated string, got ${responses.length} response(s)`);
  }
  return responses[0];
}

/**
 * `MultipleChoiceTask.process_results` (jp-stable): `acc` = argmax of the loglikelihoods
 * (np.argmax: the first maximum wins a tie); `acc_norm` = argmax of ll divided by the
 * choice's length in characters (Python `len`, i.e. code points).
 */
export function multipleChoiceScores(logprobs: readonly number[], choices: readonly string[], gold: number): { acc: number; acc_norm: number } {
  const normalized = logprobs.map((ll, i) => ll / Array.from(choices[i]!).length);
  return {
    acc: argmaxFirst(logprobs) === gold ? 1 : 0,
    acc_norm: argmaxFirst(normalized) === gold ? 1 : 0,
  };
}
