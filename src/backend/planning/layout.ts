// What a request costs in llama context cells, after and before the reference's
// truncation. The one place for this arithmetic: the planner sizes the context with it,
// and the input check (src/run/validate.ts) counts requests that would not fit with it.
// Pure: no node-llama-cpp.

import { truncateGenerationContext } from "../tokenization.js";

/** The cells one request occupies in a sequence. */
export interface RequestLayout {
  /** Cells it would need if nothing were cut. */
  untruncatedCells: number;
  /** Cells it needs after the reference's truncation: what the context must hold for it. */
  cells: number;
}

/**
 * Cells a scored pair of these token lengths needs without truncation: one per token but
 * the last, which is only predicted, never fed to the model.
 */
export function loglikelihoodCells(contextTokens: number, continuationTokens: number): number {
  return contextTokens + continuationTokens - 1;
}

/**
 * Cells a generation needs: the prompt plus every generated token but the last (it is
 * never evaluated). Nothing when nothing is generated.
 */
export function generationCells(promptTokens: number, maxTokens: number): number {
  const cap = generationCap(maxTokens);
  return cap === 0 ? 0 : promptTokens + cap - 1;
}

/** The number of tokens a generation may produce: the cap, as a whole number ≥ 0. */
export function generationCap(maxTokens: number): number {
  return Math.max(0, Math.floor(maxTokens));
}

/**
 * A scored pair keeps the last `maxLength + 1` tokens of context + continuation and feeds
 * all but the last: `min(total − 1, maxLength)` cells, the length of `scoringWindow`
 * (tokenization.ts) whenever the pair can be scored at all. Never throws, so that a check
 * can count any request; the planner rejects unscorable pairs through `scoringWindow`.
 */
export function loglikelihoodLayout(contextTokens: number, continuationTokens: number, maxLength: number): RequestLayout {
  const untruncatedCells = loglikelihoodCells(contextTokens, continuationTokens);
  return { untruncatedCells, cells: Math.min(untruncatedCells, maxLength) };
}

/**
 * A generation keeps the last `maxLength − maxTokens` prompt tokens (Stability's
 * `greedy_until`, see `truncateGenerationContext`) and then grows by the generated tokens.
 * Returns the prompt as it is evaluated and the cells it needs.
 */
export function generationLayout(prompt: number[], maxTokens: number, maxLength: number): RequestLayout & { prompt: number[] } {
  // The cap as given, not floored: a fractional cap cuts the same tokens as its floor
  // (`slice` truncates its start), and a cap below 1 generates nothing.
  const kept = truncateGenerationContext(prompt, maxLength, maxTokens);
  return {
    prompt: kept,
    untruncatedCells: generationCells(prompt.length, maxTokens),
    cells: generationCells(kept.length, maxTokens),
  };
}
