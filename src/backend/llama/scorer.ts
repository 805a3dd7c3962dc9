// Executes a scoring plan on the engine. Log-probabilities come from the single-pass
// logits path of `controlledEvaluate` (see ../shared/spec/llama-backend.md): for target t
// at a position, log P(t) = logit(t) − logit(argmax) − ln(Σ exp(logit − max)).
//
// The slots run in trie order, in waves of up to one per sequence launched together, so
// that node-llama-cpp merges them into one llama_decode (waves.ts: which sequence, which
// cache copy). A wave whose later members share more with its first member than any
// cache holds runs that member alone first, then copies its cache: a question's context
// is evaluated once and its choices' remaining tokens go into one decode; the suffixes of
// questions under one few-shot prefix go into one decode as well.

import type { ControlledEvaluateInputItem, Token } from "node-llama-cpp";
import type { LoglikelihoodRequest, LoglikelihoodResponse, OnResult } from "../../api/types.js";
import { asToken, asTokens, type LlamaEngine } from "./engine.js";
import type { EvaluationOutputs, EvaluationProbe, WorkCounters } from "./instrumentation.js";
import { planScoring, positionsToScore, slotInput, tokenizeScoringRequests, type ScoredPosition, type ScoreTarget, type ScoringSlot } from "../planning/planner.js";
import { assignSequences, commonPrefixLength, paddedLengths, planCopies } from "./waves.js";
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

  const place = new Map<ScoringSlot, SlotPlace>();
  for (const group of plan.groups) group.forEach((slot, g) => place.set(slot, { group, g }));
  const ordered = plan.groups.flat();
  const width = engine.allSequences.length;
  let cursor = 0;
  while (cursor < ordered.length) {
    const waveStart = cursor;
    // Targets the wave's evaluations will read, predicted with the most reuse each can
    // have (less reuse only reads more): a slot they cover needs no evaluation of its own.
    const predicted = new ClaimSheet(plan.slots);
    const wave: ScoringSlot[] = [];
    while (wave.length < width && cursor < ordered.length) {
      const slot = ordered[cursor++]!;
      if (sheet.isComplete(slot) || predicted.covers(slot, sheet)) continue;
      const { group, g } = place.get(slot)!;
      for (const { targets } of positionsToScore(group, g, sheet.firstUnscored(slot), (t) => sheet.isScored(t) || predicted.has(t))) predicted.claim(targets);
      wave.push(slot);
    }
    await runWave(parts, sheet, place, wave);
    for (let k = waveStart; k < cursor; k++) {
      const slot = ordered[k]!;
      // Only a wrong prediction leaves a slot open; evaluating it alone is always complete.
      if (!sheet.isComplete(slot)) await evaluateTogether(parts, sheet, place, [slot]);
      finish(slot);
    }
  }
  await probe.scoringDone(engine.firstSequence);
  return results;
}

interface SlotPlace {
  group: ScoringSlot[];
  g: number;
}

/** Targets some evaluation has taken on (read or about to be read). */
class ClaimSheet {
  private readonly claimed: Uint8Array[];

  constructor(slots: readonly ScoringSlot[]) {
    this.claimed = slots.map((slot) => new Uint8Array(slot.continuation.length));
  }

  has = ({ slot, tokenIndex }: ScoreTarget): boolean => this.claimed[slot.rank]![tokenIndex] === 1;

  claim(targets: readonly ScoreTarget[]): void {
    for (const { slot, tokenIndex } of targets) this.claimed[slot.rank]![tokenIndex] = 1;
  }

  covers(slot: ScoringSlot, sheet: ScoreSheet): boolean {
    for (let tokenIndex = 0; tokenIndex < slot.continuation.length; tokenIndex++) {
      if (!this.has({ slot, tokenIndex }) && !sheet.isScored({ slot, tokenIndex })) return false;
    }
    return true;
  }
}

/**
 * Runs a wave in stages: a member that shares more with an earlier member than with any
 * sequence's cache waits for that member, and then copies its cache, so a shared prefix is
 * evaluated once. The members of a stage run together. Without cache copies, one stage.
 */
async function runWave(parts: ScorerParts, sheet: ScoreSheet, place: Map<ScoringSlot, SlotPlace>, wave: ScoringSlot[]): Promise<void> {
  const { engine } = parts;
  let remaining = wave;
  while (remaining.length > 0) {
    if (!engine.canCopySequences) {
      await evaluateTogether(parts, sheet, place, remaining);
      return;
    }
    const inputs = remaining.map((slot) => asTokens(slotInput(slot)));
    const stage: ScoringSlot[] = [];
    const later: ScoringSlot[] = [];
    remaining.forEach((slot, m) => {
      const keep = sheet.firstUnscored(slot);
      let cached = 0;
      for (const sequence of engine.allSequences) cached = Math.max(cached, Math.min(sequence.compareContextTokens(inputs[m]!).firstDifferentIndex, keep));
      let helped = false;
      for (let k = 0; k < m && !helped; k++) helped = Math.min(commonPrefixLength(inputs[k]!, inputs[m]!), keep) > cached;
      (helped ? later : stage).push(slot);
    });
    await evaluateTogether(parts, sheet, place, stage);
    // A member the stage completed (its positions read by another) needs nothing more.
    remaining = later.filter((slot) => !sheet.isComplete(slot));
  }
}

/** One member of a launch: a slot on a sequence, the items it evaluates and the positions it reads. */
interface Launch {
  sequenceIndex: number;
  reuse: number;
  items: ControlledEvaluateInputItem[];
  scored: ScoredPosition[];
  /** Tokens added after the input so that the launch's short items have one length. */
  padding: number;
}

/**
 * Evaluates what the members (at most one per sequence) still need, each on its own
 * sequence, in one merged decode: sequences are assigned and caches copied (waves.ts), each
 * member reads its unscored positions and those of later slots of its group that no
 * earlier member reads.
 */
async function evaluateTogether(parts: ScorerParts, sheet: ScoreSheet, place: Map<ScoringSlot, SlotPlace>, members: ScoringSlot[]): Promise<void> {
  const { engine, counters, probe } = parts;
  const sequences = engine.allSequences;
  const inputs = members.map((slot) => asTokens(slotInput(slot)));
  const keep = members.map((slot) => sheet.firstUnscored(slot));
  const shared = members.map((_, m) => sequences.map((sequence) => Math.min(sequence.compareContextTokens(inputs[m]!).firstDifferentIndex, keep[m]!)));
  const assigned = assignSequences(shared, sequences.map((sequence) => sequence.nextTokenIndex));
  for (const copy of planCopies(shared, assigned)) await engine.copyPrefix(sequences[copy.target]!, sequences[copy.source]!, copy.upTo);

  // Targets taken by an earlier member of this launch: read once.
  const claims = new Set<string>();
  const launches: Launch[] = [];
  for (const [m, slot] of members.entries()) {
    const sequence = sequences[assigned[m]!]!;
    const input = inputs[m]!;
    const reuse = await engine.reusePrefix(sequence, input, keep[m]!);
    const { group, g } = place.get(slot)!;
    const key = (t: ScoreTarget): string => `${t.slot.rank}:${t.tokenIndex}`;
    const scored = positionsToScore(group, g, reuse, (t) => sheet.isScored(t) || claims.has(key(t)));
    for (const { targets } of scored) for (const target of targets) claims.add(key(target));
    if (scored.length === 0) continue;
    const items: ControlledEvaluateInputItem[] = input.slice(reuse);
    for (const { position, candidates } of scored) {
      // `token: true` with the default (greedy) sampler gives the argmax; `includeSelected`
      // adds its logit. `includeMax` is broken in 3.22.1 and is not used.
      const tokens = candidates.map(asToken);
      items[position - reuse] = [input[position]!, { generateNext: { token: true, logits: { filter: { tokens, includeSelected: true } }, totalLogitWeight: true } }];
    }
    launches.push({ sequenceIndex: assigned[m]!, reuse, items, scored, padding: 0 });
  }
  if (launches.length === 0) return;
  if (launches.length > 1) {
    const lengths = paddedLengths(
      launches.map((launch) => launch.items.length),
      launches.map((launch) => sequences[launch.sequenceIndex]!.contextSize - 1 - launch.reuse),
    );
    launches.forEach((launch, l) => {
      const last = launch.items[launch.items.length - 1]!;
      const filler = (Array.isArray(last) ? last[0] : last) as Token;
      launch.padding = lengths[l]! - launch.items.length;
      for (let k = 0; k < launch.padding; k++) launch.items.push(filler);
    });
  }
  // Launched in sequence order within one tick: node-llama-cpp batches them in this order.
  launches.sort((a, b) => a.sequenceIndex - b.sequenceIndex);
  const batchTokens = launches.reduce((sum, launch) => sum + launch.items.length, 0);
  counters.decodes += Math.ceil(batchTokens / Math.max(1, engine.batchSize));
  await Promise.all(launches.map((launch) => probe.score(sequences[launch.sequenceIndex]!, launch.items, (outputs) => readScores(sheet, counters, launch, outputs))));
  for (const slot of members) if (!sheet.isComplete(slot)) throw new Error("internal error: a scored position was left out");
}

function readScores(sheet: ScoreSheet, counters: WorkCounters, launch: Launch, outputs: EvaluationOutputs): void {
  const { items, scored, reuse } = launch;
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
}
