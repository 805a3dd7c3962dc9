// Executes a scoring plan on the engine. Log-probabilities come from the single-pass
// logits path of `controlledEvaluate` (see ../shared/spec/llama-backend.md): for target t
// at a position, log P(t) = logit(t) − logit(argmax) − ln(Σ exp(logit − max)).

import type { ControlledEvaluateInputItem, LlamaContextSequence } from "node-llama-cpp";
import type { LoglikelihoodRequest, LoglikelihoodResponse, OnResult } from "../../api/types.js";
import { asToken, asTokens, type LlamaEngine } from "./engine.js";
import type { EvaluationProbe, WorkCounters } from "./instrumentation.js";
import { planScoring, positionsToScore, slotInput, tokenizeScoringRequests, type ScoreTarget, type ScoringSlot } from "./planner.js";
import type { ModelTokenizer } from "./tokenizer.js";

export interface ScorerParts {
  engine: LlamaEngine;
  tokenizer: ModelTokenizer;
  counters: WorkCounters;
  probe: EvaluationProbe;
}

/**
 * The scores read so far, per slot (by rank): a continuation token's log P and whether it
 * was the argmax, written when its position is evaluated (by its own request or by one
 * that shares the position).
 */
class ScoreSheet {
  private readonly logprobs: Float64Array[];
  private readonly greedy: Uint8Array[];
  private readonly filled: Uint8Array[];
  private readonly filledCount: number[];

  constructor(slots: readonly ScoringSlot[]) {
    this.logprobs = slots.map((slot) => new Float64Array(slot.continuation.length));
    this.greedy = slots.map((slot) => new Uint8Array(slot.continuation.length));
    this.filled = slots.map((slot) => new Uint8Array(slot.continuation.length));
    this.filledCount = slots.map(() => 0);
  }

  isScored = ({ slot, tokenIndex }: ScoreTarget): boolean => this.filled[slot.rank]![tokenIndex] === 1;

  isComplete(slot: ScoringSlot): boolean {
    return this.filledCount[slot.rank] === slot.continuation.length;
  }

  /** The first input position of `slot` whose score is still missing (past the end when none is). */
  firstUnscored(slot: ScoringSlot): number {
    let position = slot.firstScored;
    while (this.filled[slot.rank]![position - slot.firstScored] === 1) position++;
    return position;
  }

  record({ slot, tokenIndex }: ScoreTarget, logprob: number, isGreedy: boolean): void {
    this.logprobs[slot.rank]![tokenIndex] = logprob;
    this.greedy[slot.rank]![tokenIndex] = isGreedy ? 1 : 0;
    const filled = this.filled[slot.rank]!;
    if (filled[tokenIndex] !== 1) {
      filled[tokenIndex] = 1;
      this.filledCount[slot.rank]!++;
    }
  }

  /** Summed in token order, as when the request is evaluated alone. */
  response(slot: ScoringSlot): LoglikelihoodResponse {
    const logprobs = this.logprobs[slot.rank]!;
    const greedy = this.greedy[slot.rank]!;
    let logprob = 0;
    let isGreedy = true;
    for (let j = 0; j < slot.continuation.length; j++) {
      logprob += logprobs[j]!;
      if (greedy[j] !== 1) isGreedy = false;
    }
    return { logprob, isGreedy };
  }
}

export async function scoreRequests(
  parts: ScorerParts,
  requests: LoglikelihoodRequest[],
  onProgress?: (done: number, total: number) => void,
  onResult?: OnResult<LoglikelihoodResponse>,
): Promise<LoglikelihoodResponse[]> {
  const { engine, tokenizer, counters, probe } = parts;
  const encode = (text: string): number[] => tokenizer.tokenize(text);
  const plan = planScoring(tokenizeScoringRequests(requests, encode, tokenizer.eosId), engine.settings.maxLength);
  const sheet = new ScoreSheet(plan.slots);
  const results: LoglikelihoodResponse[] = new Array(requests.length);
  let finished = 0;
  const finish = (slot: ScoringSlot): void => {
    const response = sheet.response(slot);
    results[slot.index] = response;
    onResult?.(slot.index, response);
    finished++;
    onProgress?.(finished, requests.length);
  };
  counters.requestTokens += plan.requestTokens;
  counters.prefixTrieTokens += plan.prefixTrieTokens;
  // An empty continuation scores nothing: the sum of nothing.
  for (const slot of plan.slots) if (slot.continuation.length === 0) finish(slot);
  if (plan.groups.length === 0) return results;
  await engine.ensureCapacity(plan.longest);
  await engine.onSequences(plan.groups, async (sequence, group) => {
    for (let g = 0; g < group.length; g++) {
      if (!sheet.isComplete(group[g]!)) await evaluateSlot(parts, sheet, sequence, group, g);
      finish(group[g]!);
    }
  });
  await probe.scoringDone(engine.firstSequence);
  return results;
}

/**
 * Evaluates what `group[g]` still needs, reusing the sequence's cache up to its first
 * unscored position, and reads every position `positionsToScore` lists.
 */
async function evaluateSlot(parts: ScorerParts, sheet: ScoreSheet, sequence: LlamaContextSequence, group: ScoringSlot[], g: number): Promise<void> {
  const { engine, counters, probe } = parts;
  const slot = group[g]!;
  const input = asTokens(slotInput(slot));
  const reuse = await engine.reusePrefix(sequence, input, sheet.firstUnscored(slot));
  const scored = positionsToScore(group, g, reuse, sheet.isScored);

  const items: ControlledEvaluateInputItem[] = input.slice(reuse);
  for (const { position, candidates } of scored) {
    // `token: true` with the default (greedy) sampler gives the argmax; `includeSelected`
    // adds its logit. `includeMax` is broken in 3.22.1 and is not used.
    const tokens = candidates.map(asToken);
    items[position - reuse] = [input[position]!, { generateNext: { token: true, logits: { filter: { tokens, includeSelected: true } }, totalLogitWeight: true } }];
  }
  await probe.score(sequence, items, (outputs) => {
    counters.tokensEvaluated += items.length;
    counters.scoredPositions += scored.length;
    for (const { position, targets } of scored) {
      const next = outputs[position - reuse]?.next;
      const argmax = next?.token;
      const maxLogit = argmax == null ? undefined : next?.logits?.get(argmax);
      const totalWeight = next?.totalLogitWeight;
      if (argmax == null || maxLogit === undefined || totalWeight === undefined) {
        throw new Error(`internal error: llama.cpp returned no logits for scored position ${position}`);
      }
      const logTotal = Math.log(totalWeight);
      for (const target of targets) {
        const token = target.slot.continuation[target.tokenIndex]!;
        const logit = next?.logits?.get(asToken(token));
        if (logit === undefined) throw new Error(`internal error: llama.cpp returned no logit for token ${token} at position ${position}`);
        sheet.record(target, logit - maxLogit - logTotal, argmax === token);
      }
    }
    if (!sheet.isComplete(slot)) throw new Error("internal error: a scored position was left out");
  });
}
