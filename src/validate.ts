// Checks of the user's input that need no model call: flags and the context each
// request needs. Every check returns problems (one line each, naming the flag or
// file and the fix) instead of throwing, so that all of them are shown together.

import type { Suite } from "./api/task.js";
import type { Backend, LoglikelihoodRequest, ResolvedGenerateRequest } from "./api/types.js";
import { UserError } from "./errors.js";
import { encodePair, separatePair, truncateGenerationContext } from "./backend/tokenization.js";
import { findTask, MMLU_GROUP, SUITES } from "./tasks/registry.js";

const SUITE_NAMES = [...Object.keys(SUITES), "all"];

/** `--suite`: ja, en or all. */
export function checkSuite(value: string | undefined): UserError | null {
  if (value === undefined || SUITE_NAMES.includes(value)) return null;
  return new UserError("usage", `Unknown suite "${value}" (--suite); use one of ${SUITE_NAMES.join(", ")}.`);
}

export function isSuite(value: string): value is Suite | "all" {
  return SUITE_NAMES.includes(value);
}

/** Every unknown name in `--tasks`, one line each. */
export function checkTaskNames(names: string[]): UserError[] {
  const problems: UserError[] = [];
  for (const name of names) {
    if (name === MMLU_GROUP) continue;
    try {
      findTask(name);
    } catch (error) {
      if (error instanceof UserError) problems.push(new UserError("usage", `--tasks: ${error.message}`));
      else throw error;
    }
  }
  return problems;
}

/** `--shots`: one non-negative integer or a comma list of them. */
export function parseShotsFlag(value: string): { shots?: number[]; problem?: UserError } {
  const parts = value.split(",").map((s) => s.trim());
  if (parts.some((p) => !/^\d+$/.test(p))) {
    return {
      problem: new UserError("usage", `--shots "${value}" is not a non-negative integer or a comma list of them (e.g. --shots 3 or --shots 3,3,3,2,1,1,0,5).`),
    };
  }
  return { shots: parts.map(Number) };
}

/** A flag that must be a whole number of at least `min` (`--limit`, `--threads`, ...). */
export function parseCountFlag(flag: string, value: string, min: number, what: string): { value?: number; problem?: UserError } {
  const trimmed = value.trim();
  if (!/^-?\d+$/.test(trimmed) || Number(trimmed) < min || !Number.isSafeInteger(Number(trimmed))) {
    return { problem: new UserError("usage", `--${flag} ${value} must be a whole number of at least ${min} (${what}).`) };
  }
  return { value: Number(trimmed) };
}

export interface ContextPlan {
  /** Context cells the longest request needs after the reference's truncation (0 when every request is short). */
  longest: number;
  /** Requests longer than the model's context: cut from the left, as the reference does. */
  truncated: number;
  /** Requests that do not fit even after truncation (a fixed context size too small, a generation cap above the model's context). */
  tooLong: number;
}

/**
 * The context the requests need, counted with the model's tokenizer the way the llama
 * backend lays them out: a scored pair keeps the last `maxLength + 1` tokens and needs
 * one cell per token but the last; a generation keeps the last `maxLength − maxTokens`
 * prompt tokens and needs `maxTokens − 1` cells more. A string of n UTF-8 bytes never
 * becomes more than n + 1 tokens (byte fallback, plus SentencePiece's leading space),
 * so short requests are passed on their byte count and only long ones are tokenized.
 */
export function contextPlan(
  backend: Pick<Backend, "tokenize">,
  loglikelihood: readonly LoglikelihoodRequest[],
  generate: readonly ResolvedGenerateRequest[],
  limits: { maxLength: number; fixedContext?: number },
): ContextPlan {
  const { maxLength } = limits;
  const fits = Math.min(maxLength, limits.fixedContext ?? Infinity);
  const memo = new Map<string, number[]>();
  const encode = (text: string): number[] => {
    let tokens = memo.get(text);
    if (tokens === undefined) {
      if (memo.size >= 64) memo.clear();
      tokens = backend.tokenize(text);
      memo.set(text, tokens);
    }
    return tokens;
  };
  const bytes = (text: string) => Buffer.byteLength(text, "utf8");
  const plan: ContextPlan = { longest: 0, truncated: 0, tooLong: 0 };
  const account = (full: number, needed: number) => {
    if (full > maxLength) plan.truncated++;
    if (needed > fits) plan.tooLong++;
    plan.longest = Math.max(plan.longest, needed);
  };
  for (const r of loglikelihood) {
    // Each part may gain a leading space token; an empty context is one EOS.
    if (bytes(r.context) + bytes(r.continuation) + 2 - 1 <= fits) continue;
    const pair = r.tokenization === "encode_pair" ? encodePair(r.context, r.continuation, encode, 0) : separatePair(r.context, r.continuation, encode, 0);
    const full = pair.contextTokens.length + pair.continuationTokens.length - 1;
    account(full, Math.min(full, maxLength));
  }
  for (const r of generate) {
    const maxTokens = Math.max(0, Math.floor(r.maxTokens));
    if (maxTokens === 0) continue;
    if (bytes(r.context) + 1 + maxTokens - 1 <= fits) continue;
    const prompt = encode(r.context);
    const kept = truncateGenerationContext(prompt, maxLength, maxTokens).length;
    account(prompt.length + maxTokens - 1, kept + maxTokens - 1);
  }
  return plan;
}
