// The llama backend's planner and layout without a model. Every expected value is worked
// out by hand from the token arrays below (comments show the work), not computed by the
// planner: trie order, shared prefixes, groups, truncation windows, positions read.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { LoglikelihoodRequest } from "../src/api/types.js";
import { generationLayout, loglikelihoodLayout } from "../src/backend/planning/layout.js";
import {
  planGeneration,
  planScoring,
  positionsToScore,
  slotInput,
  tokenizeScoringRequests,
  type ScoreTarget,
  type ScoringSlot,
  type TokenizedRequest,
} from "../src/backend/planning/planner.js";
import { scoringWindow } from "../src/backend/tokenization.js";

const LONG = 2048;
const indexes = (slots: readonly ScoringSlot[]) => slots.map((slot) => slot.index);

// One question Q = [1, 2, 3] with two single-token choices, a request whose input [1, 2, 7]
// branches off Q after two tokens, one that is a prefix of all of them, and three more
// whose order is numeric, not textual ([9, 100] before [10]).
const Q = [1, 2, 3];
const TRIE_CASE: TokenizedRequest[] = [
  { index: 0, context: [5, 1], continuation: [9] }, // input [5, 1], first scored 1
  { index: 1, context: Q, continuation: [4] }, // input [1, 2, 3], first scored 2
  { index: 2, context: [1, 2], continuation: [7, 8] }, // input [1, 2, 7], first scored 1
  { index: 3, context: Q, continuation: [6] }, // input [1, 2, 3], first scored 2
  { index: 4, context: [1], continuation: [2] }, // input [1], first scored 0
  { index: 5, context: [10], continuation: [3] }, // input [10], first scored 0
  { index: 6, context: [9], continuation: [100, 4] }, // input [9, 100], first scored 0
];

test("slots come in prefix-trie order (numeric, prefixes first, ties in the given order) with their shared prefixes", () => {
  const plan = planScoring(TRIE_CASE, LONG);
  // [1] < [1,2,3] = [1,2,3] < [1,2,7] < [5,1] < [9,100] < [10]
  assert.deepEqual(indexes(plan.slots), [4, 1, 3, 2, 0, 6, 5]);
  assert.deepEqual(plan.slots.map(slotInput), [[1], [1, 2, 3], [1, 2, 3], [1, 2, 7], [5, 1], [9, 100], [10]]);
  assert.deepEqual(plan.slots.map((slot) => slot.rank), [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(plan.slots.map((slot) => slot.sharedWithPrevious), [0, 1, 3, 2, 0, 0, 0]);
  assert.deepEqual(plan.slots.map((slot) => slot.firstScored), [0, 2, 2, 1, 1, 0, 0]);
  // 1 + 3 + 3 + 3 + 2 + 2 + 1 tokens alone; trie nodes [1] [1,2] [1,2,3] [1,2,7] [5] [5,1] [9] [9,100] [10].
  assert.equal(plan.requestTokens, 15);
  assert.equal(plan.prefixTrieTokens, 9);
  assert.equal(plan.longest, 3);
});

test("a slot joins the previous slot's group only when it shares one of its scored positions", () => {
  const plan = planScoring(TRIE_CASE, LONG);
  // [1,2,3] (index 1) shares 1 token with [1], not past its first scored position 2: new group.
  // Index 3 shares 3 > 2 with index 1; index 2 shares 2 > 1 with index 3: both join.
  // [5,1] shares nothing; [9,100] and [10] share 0, which is not > their first scored 0.
  assert.deepEqual(plan.groups.map(indexes), [[4], [1, 3, 2], [0], [6], [5]]);
});

test("an empty continuation is in no group and breaks the chain of the slots around it", () => {
  const plan = planScoring(
    [
      { index: 0, context: [1], continuation: [2] }, // input [1], first scored 0
      { index: 1, context: [1, 2], continuation: [] }, // input [1], scores nothing
      { index: 2, context: [1], continuation: [3] }, // input [1], first scored 0
    ],
    LONG,
  );
  assert.deepEqual(indexes(plan.slots), [0, 1, 2]);
  assert.deepEqual(plan.slots.map((slot) => slot.sharedWithPrevious), [0, 1, 1]);
  // Index 2 shares 1 > 0 with index 1, but index 1 is not in a group: index 2 starts its own.
  assert.deepEqual(plan.groups.map(indexes), [[0], [2]]);
  assert.equal(plan.prefixTrieTokens, 1);
});

test("windows follow the reference's left truncation, and equal contexts cut differently share nothing", () => {
  const C = [1, 2, 3, 4, 5, 6];
  const plan = planScoring(
    [
      // 8 tokens > maxLength + 1 = 5: keep (C + [7, 8])[3:8] = [4,5,6,7,8], feed [4,5,6,7], score from 2.
      { index: 0, context: C, continuation: [7, 8] },
      // 7 tokens: keep [3,4,5,6,9], feed [3,4,5,6], score position 3.
      { index: 1, context: C, continuation: [9] },
      // exactly maxLength + 1 = 5 tokens: nothing cut, feed [1,2,3,4], score from 2.
      { index: 2, context: [1, 2, 3], continuation: [4, 5] },
    ],
    4,
  );
  assert.deepEqual(indexes(plan.slots), [2, 1, 0]);
  assert.deepEqual(plan.slots.map(slotInput), [[1, 2, 3, 4], [3, 4, 5, 6], [4, 5, 6, 7]]);
  assert.deepEqual(plan.slots.map((slot) => [slot.start, slot.length, slot.firstScored]), [[0, 4, 2], [2, 4, 3], [3, 4, 2]]);
  // Indexes 0 and 1 share the context array but their windows start at 3 and 2.
  assert.deepEqual(plan.slots.map((slot) => slot.sharedWithPrevious), [0, 0, 0]);
  assert.deepEqual(plan.groups.map(indexes), [[2], [1], [0]]);
  assert.equal(plan.longest, 4);
  assert.equal(plan.prefixTrieTokens, 12);
  // A continuation longer than maxLength has no position to be predicted from.
  assert.throws(() => planScoring([{ index: 0, context: [1], continuation: [2, 3, 4, 5, 6] }], 4), /cannot score a continuation of 5 tokens after 1 context tokens with max length 4/);
});

test("an evaluation reads its own positions and those of later group members it computes, one filter list per position", () => {
  const plan = planScoring(TRIE_CASE, LONG);
  const group = plan.groups[1]!; // indexes 1, 3, 2: inputs [1,2,3], [1,2,3], [1,2,7]
  const none = () => false;
  const view = (positions: ReturnType<typeof positionsToScore>) =>
    positions.map(({ position, targets, candidates }) => ({ position, targets: targets.map((t) => [t.slot.index, t.tokenIndex]), candidates }));
  // From scratch: index 1 reads position 2 (token 4); index 3 shares all 3 tokens, reads
  // position 2 too (token 6); index 2 shares min(3, 2) = 2 tokens, so its position 1 (token 7) is computed here.
  assert.deepEqual(view(positionsToScore(group, 0, 0, none)), [
    { position: 1, targets: [[2, 0]], candidates: [7] },
    { position: 2, targets: [[1, 0], [3, 0]], candidates: [4, 6] },
  ]);
  // With two tokens cached, position 1 is not evaluated, and index 2 shares nothing beyond the cache.
  assert.deepEqual(view(positionsToScore(group, 0, 2, none)), [{ position: 2, targets: [[1, 0], [3, 0]], candidates: [4, 6] }]);
  // Later, index 2 on its own from position 2: its first token was read already.
  const read = new Set(["1:0", "3:0", "2:0"]);
  const isScored = ({ slot, tokenIndex }: ScoreTarget) => read.has(`${slot.index}:${tokenIndex}`);
  assert.deepEqual(view(positionsToScore(group, 2, 2, isScored)), [{ position: 2, targets: [[2, 1]], candidates: [8] }]);
  // Two identical requests: one position, both targets, the token once in the filter.
  const D = [1, 2];
  const twins = planScoring(
    [
      { index: 0, context: D, continuation: [3] },
      { index: 1, context: D, continuation: [3] },
    ],
    LONG,
  );
  assert.deepEqual(twins.groups.map(indexes), [[0, 1]]);
  assert.deepEqual(view(positionsToScore(twins.groups[0]!, 0, 0, none)), [{ position: 1, targets: [[0, 0], [1, 0]], candidates: [3] }]);
});

/** Runs a plan on one simulated sequence as the scorer does: reuse the cache up to the first unread position. */
function simulateOneSequence(groups: ScoringSlot[][]): { evaluated: number; reads: number; readCounts: Map<string, number> } {
  const common = (a: number[], b: number[]) => {
    let k = 0;
    while (k < a.length && k < b.length && a[k] === b[k]) k++;
    return k;
  };
  const readCounts = new Map<string, number>();
  const key = ({ slot, tokenIndex }: ScoreTarget) => `${slot.index}:${tokenIndex}`;
  const isScored = (target: ScoreTarget) => readCounts.has(key(target));
  let cache: number[] = [];
  let evaluated = 0;
  let reads = 0;
  for (const group of groups) {
    group.forEach((slot, g) => {
      let firstUnread = slot.firstScored;
      while (firstUnread < slot.length && isScored({ slot, tokenIndex: firstUnread - slot.firstScored })) firstUnread++;
      if (firstUnread === slot.length) return;
      const input = slotInput(slot);
      const reuse = Math.min(common(cache, input), firstUnread);
      const positions = positionsToScore(group, g, reuse, isScored);
      for (const { targets } of positions) for (const target of targets) readCounts.set(key(target), (readCounts.get(key(target)) ?? 0) + 1);
      evaluated += input.length - reuse;
      reads += positions.length;
      cache = input;
    });
  }
  return { evaluated, reads, readCounts };
}

test("on one sequence the plan evaluates each trie node once, reads each scored node once and every target exactly once", () => {
  const plan = planScoring(TRIE_CASE, LONG);
  const run = simulateOneSequence(plan.groups);
  // [1] 1, then [1,2,3] after [1] 2, [1,2,7] after [1,2,3] 1 (its position 1 was read with index 1), [5,1] 2, [9,100] 2, [10] 1.
  assert.equal(run.evaluated, 9);
  // Scored nodes: [1], [1,2], [1,2,3], [1,2,7], [5,1], [9], [9,100], [10].
  assert.equal(run.reads, 8);
  // 1 + 1 + 2 + 1 + 1 + 1 + 2 continuation tokens, each read once.
  assert.equal(run.readCounts.size, 9);
  assert.ok([...run.readCounts.values()].every((count) => count === 1));
  // Had index 2 been its own group, it would evaluate position 1 ([1,2] → 7) again: one token more.
  const split = plan.groups.flatMap((group) => (group.some((slot) => slot.index === 2) ? [group.filter((slot) => slot.index !== 2), group.filter((slot) => slot.index === 2)] : [group]));
  assert.deepEqual(split.map(indexes), [[4], [1, 3], [2], [0], [6], [5]]);
  assert.equal(simulateOneSequence(split).evaluated, 10);
});

test("requests are tokenized with their reference rule, in text order, and one question's choices share the context array", () => {
  const encode = (text: string) => [...text].map((c) => c.codePointAt(0)!);
  const request = (context: string, continuation: string, tokenization: LoglikelihoodRequest["tokenization"]): LoglikelihoodRequest => ({ type: "loglikelihood", context, continuation, tokenization });
  const tokenized = tokenizeScoringRequests(
    [request("ab ", "c", "encode_pair"), request("ab ", "d", "encode_pair"), request("", "xy", "separate"), request("ab ", "c", "separate")],
    encode,
    0,
  );
  // Text order: ("", …) first, then "ab " with "c" (encode_pair < separate), then "d".
  assert.deepEqual(
    tokenized.map(({ index, context, continuation }) => ({ index, context: [...context], continuation: [...continuation] })),
    [
      { index: 2, context: [0], continuation: [120, 121] }, // empty context: [EOS]
      { index: 0, context: [97, 98], continuation: [32, 99] }, // the trailing space moves to the continuation
      { index: 3, context: [97, 98, 32], continuation: [99] }, // separate: encoded on their own
      { index: 1, context: [97, 98], continuation: [32, 100] },
    ],
  );
  assert.equal(tokenized[1]!.context, tokenized[3]!.context, "the choices of one question share one array");
});

test("generation: prompts cut to leave room for the cap, in token order, sized without empty prompts or zero caps", () => {
  const plan = planGeneration(
    [
      { prompt: [3, 1, 2], maxTokens: 2 }, // keeps the last 8 − 2 = 6: all 3; cells 3 + 2 − 1 = 4
      { prompt: [1, 2, 3, 4, 5, 6, 7, 8, 9], maxTokens: 3 }, // keeps the last 5: [5..9]; cells 5 + 3 − 1 = 7
      { prompt: [1, 2], maxTokens: 0 }, // generates nothing: 0 cells
      { prompt: [], maxTokens: 9 }, // 0 + 9 − 1 = 8 cells, but an empty prompt is refused, not sized
      { prompt: [5, 6, 7, 1], maxTokens: 1 }, // keeps the last 7: all 4; cells 4
    ],
    8,
  );
  assert.deepEqual(plan.prompts, [[3, 1, 2], [5, 6, 7, 8, 9], [1, 2], [], [5, 6, 7, 1]]);
  // [] < [1,2] < [3,1,2] < [5,6,7,1] < [5,6,7,8,9]
  assert.deepEqual(plan.order, [3, 2, 0, 4, 1]);
  assert.equal(plan.longest, 7);
  assert.equal(plan.requestTokens, 14);
  assert.equal(plan.prefixTrieTokens, 0 + 2 + 3 + 4 + (5 - 3));
});

test("layout: cells after and before truncation, as the planner's windows take them", () => {
  // 6 + 2 tokens with maxLength 4: 7 cells uncut, 4 after the cut.
  assert.deepEqual(loglikelihoodLayout(6, 2, 4), { untruncatedCells: 7, cells: 4 });
  assert.deepEqual(loglikelihoodLayout(3, 2, 4), { untruncatedCells: 4, cells: 4 });
  // A prompt of 10 with cap 3 and maxLength 8 keeps 5 tokens: 5 + 2 cells (10 + 2 uncut).
  const cut = generationLayout([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 3, 8);
  assert.deepEqual(cut, { prompt: [6, 7, 8, 9, 10], untruncatedCells: 12, cells: 7 });
  // A cap above maxLength drops cap − maxLength tokens from the front (Python slice with a start ≥ 0).
  assert.deepEqual(generationLayout([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 9, 8), { prompt: [2, 3, 4, 5, 6, 7, 8, 9, 10], untruncatedCells: 18, cells: 17 });
  assert.deepEqual(generationLayout([1, 2], 0, 8), { prompt: [1, 2], untruncatedCells: 0, cells: 0 });
  // Wherever the reference can score a pair, its cells are the window the scorer evaluates,
  // and it is cut exactly when the window does not start at 0.
  for (let maxLength = 1; maxLength <= 6; maxLength++) {
    for (let context = 1; context <= 8; context++) {
      for (let continuation = 0; continuation <= 8; continuation++) {
        let window: ReturnType<typeof scoringWindow>;
        try {
          window = scoringWindow(context, continuation, maxLength);
        } catch {
          continue;
        }
        const layout = loglikelihoodLayout(context, continuation, maxLength);
        assert.equal(layout.cells, window.length, `${context}+${continuation}, max ${maxLength}`);
        assert.equal(layout.untruncatedCells > maxLength, window.start > 0, `${context}+${continuation}, max ${maxLength}`);
      }
    }
  }
});
