// Checks of the user's input that need no model call: flags and the context each
// request needs. Every check returns problems (one line each, naming the flag or
// file and the fix) instead of throwing, so that all of them are shown together.

import type { Suite } from "../api/task.js";
import type { BackendLimits, LoglikelihoodRequest, ResolvedGenerateRequest, Tokenizer } from "../api/types.js";
import { UserError } from "../util/errors.js";
import { encodePair, separatePair } from "../backend/tokenization.js";
import { generationCap, generationCells, generationLayout, loglikelihoodCells, loglikelihoodLayout, type RequestLayout } from "../backend/planning/layout.js";
import { findTask, MMLU_GROUP, mmluTaskNames, SUITES } from "../tasks/registry.js";

const SUITE_NAMES = [...Object.keys(SUITES), "all"];

/** `--suite`: ja, en or all. */
export function checkSuite(value: string | undefined): UserError | null {
  if (value === undefined || SUITE_NAMES.includes(value)) return null;
  return new UserError("usage", `Unknown suite "${value}" (--suite); use one of ${SUITE_NAMES.join(", ")}.`);
}

export function isSuite(value: string): value is Suite | "all" {
  return SUITE_NAMES.includes(value);
}

/** Neither --suite nor --tasks: nothing is selected (no suite is run by default). */
export const CHOOSE_WHAT_TO_RUN = "Choose what to run: --suite ja|en|all or --tasks a,b,c.";

/** `--tasks` given but naming no task (`--tasks ""`, `--tasks ","`). */
export function blankTasksProblem(raw: string): UserError {
  return new UserError(
    "usage",
    `--tasks ${JSON.stringify(raw)} names no task; give task names separated by commas (e.g. --tasks jcommonsenseqa-1.1-0.3,xwinograd_ja; \`rakuten-eval tasks\` lists them), or --suite ja|en|all.`,
  );
}

/**
 * Tasks named more than once after aliases and the `mmlu` group are resolved (`jcs` and
 * `jcommonsenseqa-1.1-0.3`; `mmlu` and one of its subjects): refused, one line per task, since
 * one task cannot have two results (or two shot counts) in one results.json. Unknown names are
 * left to `checkTaskNames`.
 */
export function checkDuplicateTasks(names: string[]): UserError[] {
  const namedAs = new Map<string, string[]>();
  const note = (task: string, as: string) => namedAs.set(task, [...(namedAs.get(task) ?? []), as]);
  for (const name of names) {
    if (name === MMLU_GROUP) {
      note(MMLU_GROUP, name);
      for (const subject of mmluTaskNames()) note(subject, name);
      continue;
    }
    try {
      note(findTask(name).name, name);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
    }
  }
  const problems: UserError[] = [];
  for (const [task, as] of namedAs) {
    if (as.length < 2) continue;
    // `mmlu` twice: one line for the group, not one per subject.
    if (task !== MMLU_GROUP && as.every((a) => a === MMLU_GROUP)) continue;
    const how = as.every((a) => a === task) ? "" : ` (as ${as.map((a) => JSON.stringify(a)).join(" and ")})`;
    problems.push(new UserError("usage", `--tasks names ${task} ${as.length === 2 ? "twice" : `${as.length} times`}${how}; name each task once.`));
  }
  return problems;
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
 * The context the requests need, counted with the model's tokenizer and the backend's own
 * layout (src/backend/planning/layout.ts: what a request costs in cells after the reference's
 * truncation). A string of n UTF-8 bytes never becomes more than n + 1 tokens (byte
 * fallback, plus SentencePiece's leading space), so a request whose layout fits with that
 * bound is passed without tokenizing; only long ones are tokenized.
 */
export function contextPlan(
  tokenizer: Pick<Tokenizer, "tokenize">,
  loglikelihood: readonly LoglikelihoodRequest[],
  generate: readonly ResolvedGenerateRequest[],
  limits: BackendLimits,
): ContextPlan {
  const { maxLength } = limits;
  const fits = Math.min(maxLength, limits.contextSize);
  const memo = new Map<string, number[]>();
  const encode = (text: string): number[] => {
    let tokens = memo.get(text);
    if (tokens === undefined) {
      if (memo.size >= 64) memo.clear();
      tokens = tokenizer.tokenize(text);
      memo.set(text, tokens);
    }
    return tokens;
  };
  /** The most tokens a text can encode to; an empty context is one EOS. */
  const tokenBound = (text: string) => Buffer.byteLength(text, "utf8") + 1;
  const plan: ContextPlan = { longest: 0, truncated: 0, tooLong: 0 };
  const account = ({ untruncatedCells, cells }: RequestLayout) => {
    if (untruncatedCells > maxLength) plan.truncated++;
    if (cells > fits) plan.tooLong++;
    plan.longest = Math.max(plan.longest, cells);
  };
  for (const r of loglikelihood) {
    if (loglikelihoodCells(tokenBound(r.context), tokenBound(r.continuation)) <= fits) continue;
    // The EOS id does not change a length.
    const pair = r.tokenization === "encode_pair" ? encodePair(r.context, r.continuation, encode, 0) : separatePair(r.context, r.continuation, encode, 0);
    account(loglikelihoodLayout(pair.contextTokens.length, pair.continuationTokens.length, maxLength));
  }
  for (const r of generate) {
    if (generationCap(r.maxTokens) === 0) continue;
    if (generationCells(tokenBound(r.context), r.maxTokens) <= fits) continue;
    account(generationLayout(encode(r.context), r.maxTokens, maxLength));
  }
  return plan;
}
