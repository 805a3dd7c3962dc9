// The shape of a scoring workload's evaluations, for the anchor's second ceiling: llama-bench
// at the batch size and cache depth our evaluations actually have. pp512 (512 tokens from an
// empty cache) is the engine's best case; a workload whose questions sit after a long shared
// prefix (MMLU: ~92 tokens after a 5-shot prefix of ~640) pays for attention over that
// prefix, which no scorer avoids without changing the scores.

import type { LoglikelihoodRequest } from "../../src/api/types.js";
import { planScoring, tokenizeScoringRequests } from "../../src/backend/planning/planner.js";

export interface EvaluationShape {
  /** Tokens evaluated: the prefix trie's size. */
  tokens: number;
  /** Evaluations of at least one token (one per request whose input is not all cached). */
  evaluations: number;
  /** Token-weighted mean tokens per evaluation: the batch size a token typically runs in. */
  batchTokens: number;
  /** Token-weighted mean cache depth an evaluation starts from. */
  depth: number;
}

/**
 * The shape of evaluating `inputs` in prefix-trie order on one cache, each input after the
 * tokens it shares with the previous one: input k evaluates `length − shared` tokens from
 * depth `shared`. Both means are weighted by tokens, so the few-token evaluations of a
 * question's later choices weigh little.
 */
export function evaluationShape(inputs: readonly { length: number; sharedWithPrevious: number }[]): EvaluationShape {
  let tokens = 0;
  let evaluations = 0;
  let batchWeighted = 0;
  let depthWeighted = 0;
  for (const { length, sharedWithPrevious } of inputs) {
    const evaluated = length - sharedWithPrevious;
    if (evaluated <= 0) continue;
    tokens += evaluated;
    evaluations++;
    batchWeighted += evaluated * evaluated;
    depthWeighted += evaluated * sharedWithPrevious;
  }
  return tokens === 0
    ? { tokens: 0, evaluations: 0, batchTokens: 0, depth: 0 }
    : { tokens, evaluations, batchTokens: Math.round(batchWeighted / tokens), depth: Math.round(depthWeighted / tokens) };
}

/** The shape of scoring `requests` as our llama backend plans them (same tokenization, windows and order). */
export function scoringShape(requests: readonly LoglikelihoodRequest[], encode: (text: string) => number[], eosId: number, maxLength: number): EvaluationShape {
  return evaluationShape(planScoring(tokenizeScoringRequests(requests, encode, eosId), maxLength).slots);
}

/** llama-bench's arguments for prefill of `tokens` tokens from a cache of `depth` (3 repetitions, JSON). */
export function prefillBenchArgs(modelPath: string, tokens: number, depth: number, threads: number, flashAttention: boolean): string[] {
  return ["-m", modelPath, "-t", String(threads), "-p", String(Math.max(1, tokens)), "-n", "0", "-d", String(depth), "-fa", flashAttention ? "1" : "0", "-r", "3", "-o", "json"];
}

/** The two rate ceilings of a scoring workload: pp512 from an empty cache (the engine's best case), and prefill at the workload's own shape. */
export function ceilingBenchArgs(modelPath: string, shape: EvaluationShape, threads: number, flashAttention: boolean): { pp512: string[]; shape: string[] } {
  return {
    pp512: prefillBenchArgs(modelPath, 512, 0, threads, flashAttention),
    shape: prefillBenchArgs(modelPath, shape.batchTokens, shape.depth, threads, flashAttention),
  };
}

/** The mean tokens/s of llama-bench's first JSON row (`avg_ts`); undefined when there is none. */
export function benchRate(stdout: string): number | undefined {
  const rows = JSON.parse(stdout) as { avg_ts?: unknown }[];
  const rate = rows[0]?.avg_ts;
  return typeof rate === "number" && rate > 0 ? rate : undefined;
}

/** One round's rate ceiling: our tokens and whole-process wall time, and llama-bench's rate measured right after (undefined when busy). */
export interface RoundRate {
  tokens: number;
  wallMs: number;
  ceiling: number | undefined;
}

/** Per round with a ceiling: our tokens/s over our whole process ÷ that round's ceiling. Rounds without one are left out. */
export function roundRatios(rounds: readonly RoundRate[]): number[] {
  return rounds.flatMap(({ tokens, wallMs, ceiling }) => (ceiling === undefined ? [] : [tokens / (wallMs / 1000) / ceiling]));
}
