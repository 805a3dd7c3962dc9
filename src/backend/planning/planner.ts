// How the llama backend lays out its work, as pure functions: tokenized requests in, an
// evaluation plan out. No node-llama-cpp: test/backend-planner.test.ts checks it on
// hand-built token arrays.
//
// Scoring: requests sorted by input tokens (the depth-first order of their prefix trie)
// run one after another on a sequence that keeps its KV cache, so each evaluates only
// what it does not share with the previous one. Requests that share a scored position
// with the previous one form a group: one evaluation of that position serves all of
// them, so a group runs on one sequence.

import type { LoglikelihoodRequest } from "../../api/types.js";
import { encodePair, scoringWindow, separatePair, type Encode } from "../tokenization.js";
import { generationLayout, loglikelihoodLayout } from "./layout.js";

/** One log-likelihood request in tokens, before truncation. */
export interface TokenizedRequest {
  /** Where the request sits in the caller's list. */
  index: number;
  /** Requests of one question share this array (the sort compares it once). */
  context: readonly number[];
  continuation: readonly number[];
}

/**
 * One request in the plan. Its input is `(context + continuation)[start, start + length)`
 * (the reference's left truncation, without copying), and input position `firstScored + j`
 * predicts `continuation[j]`.
 */
export interface ScoringSlot {
  readonly index: number;
  /** Position in trie order: `plan.slots[rank] === this`. */
  readonly rank: number;
  readonly context: readonly number[];
  readonly continuation: readonly number[];
  readonly start: number;
  readonly length: number;
  readonly firstScored: number;
  /** Length of the common input prefix with the previous slot in trie order (0 for the first). */
  readonly sharedWithPrevious: number;
}

export interface ScoringPlan {
  /** Every request, in trie order. */
  slots: ScoringSlot[];
  /** Consecutive slots that share scored positions; slots with an empty continuation are in none. */
  groups: ScoringSlot[][];
  /** The most cells one slot needs. */
  longest: number;
  /** Input tokens of the requests, each evaluated alone. */
  requestTokens: number;
  /** Nodes of the prefix trie over the inputs: the fewest tokens that evaluate them all. */
  prefixTrieTokens: number;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareRequests(a: LoglikelihoodRequest, b: LoglikelihoodRequest): number {
  return compareStrings(a.context, b.context) || compareStrings(a.continuation, b.continuation) || compareStrings(a.tokenization, b.tokenization);
}

/**
 * Tokenizes the requests with their reference rule, in text order. Text order is nearly
 * token order, which makes the token sort of `planScoring` cheap (the sort is stable and
 * fast on presorted runs), and puts the choices of one question next to each other, so
 * that they share one context array.
 */
export function tokenizeScoringRequests(requests: readonly LoglikelihoodRequest[], encode: Encode, eosId: number): TokenizedRequest[] {
  const contextMemo = new Map<string, number[]>();
  const encodeContext = (text: string): number[] => {
    let tokens = contextMemo.get(text);
    if (tokens === undefined) {
      tokens = encode(text);
      contextMemo.set(text, tokens);
    }
    return tokens;
  };
  const textOrder = requests.map((_, index) => index).sort((a, b) => compareRequests(requests[a]!, requests[b]!));
  const tokenized: TokenizedRequest[] = [];
  let previousContext: string | undefined;
  for (const index of textOrder) {
    const request = requests[index]!;
    // The memo only has to span one question's choices, which are adjacent in text order.
    if (request.context !== previousContext) contextMemo.clear();
    previousContext = request.context;
    const pair = request.tokenization === "encode_pair"
      ? encodePair(request.context, request.continuation, encode, eosId, encodeContext)
      : separatePair(request.context, request.continuation, encode, eosId, encodeContext);
    tokenized.push({ index, context: pair.contextTokens, continuation: pair.continuationTokens });
  }
  return tokenized;
}

/** The token at input position `position` of a slot. */
export function slotToken(slot: Pick<ScoringSlot, "context" | "continuation" | "start">, position: number): number {
  const at = slot.start + position;
  return at < slot.context.length ? slot.context[at]! : slot.continuation[at - slot.context.length]!;
}

/** A slot's input tokens, copied out. */
export function slotInput(slot: ScoringSlot): number[] {
  const input = new Array<number>(slot.length);
  for (let position = 0; position < slot.length; position++) input[position] = slotToken(slot, position);
  return input;
}

type SlotShape = Pick<ScoringSlot, "context" | "continuation" | "start" | "length">;

function sharedPrefixLength(a: SlotShape, b: SlotShape): number {
  const limit = Math.min(a.length, b.length);
  let position = 0;
  // The choices of one question share the context array: skip the part known to be equal.
  if (a.context === b.context && a.start === b.start) position = Math.min(limit, Math.max(0, a.context.length - a.start));
  while (position < limit && slotToken(a, position) === slotToken(b, position)) position++;
  return position;
}

/** Lexicographic order of the input tokens: the depth-first order of their prefix trie. */
function compareSlotInputs(a: SlotShape, b: SlotShape): number {
  const shared = sharedPrefixLength(a, b);
  if (shared < a.length && shared < b.length) return slotToken(a, shared) - slotToken(b, shared);
  return a.length - b.length;
}

/**
 * Cuts every request to the reference's window for `maxLength`, sorts them by input
 * tokens (stable: equal inputs keep the given order) and groups them. Throws the
 * reference rule's RangeError for a pair that cannot be scored (see `scoringWindow`).
 */
export function planScoring(requests: readonly TokenizedRequest[], maxLength: number): ScoringPlan {
  type Draft = { -readonly [K in keyof ScoringSlot]: ScoringSlot[K] };
  const drafts: Draft[] = [];
  let longest = 0;
  for (const { index, context, continuation } of requests) {
    const window = scoringWindow(context.length, continuation.length, maxLength);
    longest = Math.max(longest, loglikelihoodLayout(context.length, continuation.length, maxLength).cells);
    drafts.push({ index, rank: 0, context, continuation, start: window.start, length: window.length, firstScored: window.firstScoredPosition, sharedWithPrevious: 0 });
  }
  drafts.sort(compareSlotInputs);
  let requestTokens = 0;
  let prefixTrieTokens = 0;
  drafts.forEach((slot, rank) => {
    slot.rank = rank;
    slot.sharedWithPrevious = rank === 0 ? 0 : sharedPrefixLength(drafts[rank - 1]!, slot);
    requestTokens += slot.length;
    prefixTrieTokens += slot.length - slot.sharedWithPrevious;
  });
  const slots: ScoringSlot[] = drafts;
  // A slot that shares a scored position with the previous one goes in its group: one
  // evaluation of that position serves both, so they must run on one sequence.
  const groups: ScoringSlot[][] = [];
  slots.forEach((slot, rank) => {
    if (slot.continuation.length === 0) return;
    const last = groups[groups.length - 1];
    const lastSlot = last?.[last.length - 1];
    if (last !== undefined && lastSlot === slots[rank - 1] && slot.sharedWithPrevious > slot.firstScored) last.push(slot);
    else groups.push([slot]);
  });
  return { slots, groups, longest, requestTokens, prefixTrieTokens };
}

/** A continuation token read at a position: whose, and which of its tokens. */
export interface ScoreTarget {
  slot: ScoringSlot;
  tokenIndex: number;
}

/** One position whose next-token distribution an evaluation reads. */
export interface ScoredPosition {
  position: number;
  targets: ScoreTarget[];
  /** The distinct target tokens, in order of first appearance: one logits filter list. */
  candidates: number[];
}

/**
 * What evaluating `group[g]` from input position `reuse` on (the cache holds the rest)
 * reads: its own unscored positions, and every position of later slots of the group
 * that this evaluation also computes. A later slot shares this input up to the running
 * minimum of the consecutive shared prefixes. All candidate tokens of a position go in
 * one list (MMLU's " A".." D" after one context cost one evaluation of its last token).
 * `isScored` says which targets earlier evaluations already read. In position order.
 */
export function positionsToScore(group: readonly ScoringSlot[], g: number, reuse: number, isScored: (target: ScoreTarget) => boolean): ScoredPosition[] {
  const slot = group[g]!;
  const wanted = new Map<number, ScoreTarget[]>();
  const want = (position: number, target: ScoringSlot): void => {
    const entry = { slot: target, tokenIndex: position - target.firstScored };
    if (isScored(entry)) return;
    const list = wanted.get(position);
    if (list === undefined) wanted.set(position, [entry]);
    else list.push(entry);
  };
  for (let position = Math.max(reuse, slot.firstScored); position < slot.length; position++) want(position, slot);
  let shared = Number.POSITIVE_INFINITY;
  for (let h = g + 1; h < group.length; h++) {
    const other = group[h]!;
    shared = Math.min(shared, other.sharedWithPrevious);
    if (shared <= reuse) break;
    for (let position = Math.max(reuse, other.firstScored); position < shared; position++) want(position, other);
  }
  return [...wanted]
    .sort(([a], [b]) => a - b)
    .map(([position, targets]) => ({
      position,
      targets,
      candidates: [...new Set(targets.map(({ slot: target, tokenIndex }) => target.continuation[tokenIndex]!))],
    }));
}

/** Generation: prompts after truncation, their order, and what sizing and the counters need. */
export interface GenerationPlan {
  /** Per request (caller's order): the prompt as evaluated. */
  prompts: number[][];
  /** Request indexes in prompt token order: prompts that share a prefix (the same shots) run one after another and keep the cache. */
  order: number[];
  /** The most cells one generation needs (requests that generate nothing, or have no prompt, excluded). */
  longest: number;
  requestTokens: number;
  prefixTrieTokens: number;
}

function sharedTokenPrefix(a: readonly number[], b: readonly number[]): number {
  const limit = Math.min(a.length, b.length);
  let position = 0;
  while (position < limit && a[position] === b[position]) position++;
  return position;
}

function compareTokenArrays(a: readonly number[], b: readonly number[]): number {
  const shared = sharedTokenPrefix(a, b);
  if (shared < a.length && shared < b.length) return a[shared]! - b[shared]!;
  return a.length - b.length;
}

/** Plans generations from their encoded (untruncated) prompts and caps. */
export function planGeneration(requests: readonly { prompt: number[]; maxTokens: number }[], maxLength: number): GenerationPlan {
  const layouts = requests.map(({ prompt, maxTokens }) => generationLayout(prompt, maxTokens, maxLength));
  const prompts = layouts.map((layout) => layout.prompt);
  const order = requests.map((_, index) => index).sort((a, b) => compareTokenArrays(prompts[a]!, prompts[b]!));
  let longest = 0;
  let requestTokens = 0;
  let prefixTrieTokens = 0;
  order.forEach((index, k) => {
    const prompt = prompts[index]!;
    requestTokens += prompt.length;
    prefixTrieTokens += prompt.length - (k === 0 ? 0 : sharedTokenPrefix(prompts[order[k - 1]!]!, prompt));
    // An empty prompt is refused when it is generated from, not sized for.
    if (prompt.length > 0) longest = Math.max(longest, layouts[index]!.cells);
  });
  return { prompts, order, longest, requestTokens, prefixTrieTokens };
}
