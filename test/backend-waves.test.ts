// The wave helpers of the llama backend (src/backend/llama/waves.ts), on hand-built
// inputs with expected values worked out by hand: which sequence a member gets, which
// cache copies it needs and in what order, and how short items are padded.

import { test } from "node:test";
import assert from "node:assert/strict";
import { assignSequences, commonPrefixLength, paddedLengths, planCopies } from "../src/backend/llama/waves.js";

test("commonPrefixLength counts equal leading tokens", () => {
  assert.equal(commonPrefixLength([1, 2, 3], [1, 2, 4]), 2);
  assert.equal(commonPrefixLength([1, 2], [1, 2, 3]), 2);
  assert.equal(commonPrefixLength([], [1]), 0);
  assert.equal(commonPrefixLength([5], [6]), 0);
});

test("assignSequences: each member gets the free sequence sharing most with it; on a tie the emptiest, then the lowest index", () => {
  // Member 0 shares most with sequence 2; member 1 would like 2 too but it is taken: 0 (tie 0/1 → 0).
  assert.deepEqual(assignSequences([[1, 0, 9], [3, 3, 10]], [0, 0, 0]), [2, 0]);
  // All equal: in order.
  assert.deepEqual(assignSequences([[0, 0, 0], [0, 0, 0], [0, 0, 0]], [0, 0, 0]), [0, 1, 2]);
  // A member that shares nothing with any cache takes an empty sequence, not one holding 600 tokens.
  assert.deepEqual(assignSequences([[300, 0, 0, 0], [0, 0, 0, 0]], [378, 608, 0, 0]), [0, 2]);
  assert.throws(() => assignSequences([[0], [0]], [0]), RangeError);
});

test("planCopies: a member copies from the sequence that shares most, never from a sequence already overwritten", () => {
  // Member 0 on sequence 0 shares 300 with its own cache: no copy. Members 1 and 2 (on 1 and 2)
  // share 300 with sequence 0 and little with their own: both copy from 0.
  assert.deepEqual(
    planCopies([[300, 0, 0], [300, 5, 0], [299, 0, 7]], [0, 1, 2]),
    [
      { target: 1, source: 0, upTo: 300 },
      { target: 2, source: 0, upTo: 299 },
    ],
  );
  // Member 0 (on 1) copies from 0; member 1 (on 0) copies from 2. Sequence 0 is a source:
  // it must be read before it is overwritten, so the copy into 1 comes first.
  assert.deepEqual(
    planCopies([[50, 10, 0], [0, 0, 40]], [1, 0]),
    [
      { target: 1, source: 0, upTo: 50 },
      { target: 0, source: 2, upTo: 40 },
    ],
  );
  // A cycle (0 ← 1 and 1 ← 0): one copy is dropped, the other kept.
  const cycle = planCopies([[0, 20], [20, 0]], [0, 1]);
  assert.equal(cycle.length, 1);
});

test("paddedLengths: short items padded to their longest within the budget and the room; long items untouched", () => {
  // Three distinct short lengths (two computes saved, budget 8): padding 2 + 1 = 3.
  assert.deepEqual(paddedLengths([1, 2, 3, 94], [100, 100, 100, 100]), [3, 3, 3, 94]);
  // Padding 7 + 5 = 12 > budget 2 × 4: left alone.
  assert.deepEqual(paddedLengths([1, 3, 8], [100, 100, 100]), [1, 3, 8]);
  // No room: capped (never shorter than the item).
  assert.deepEqual(paddedLengths([1, 4], [2, 100]), [2, 4]);
  // A single short item has nothing to match.
  assert.deepEqual(paddedLengths([2, 90], [100, 100]), [2, 90]);
});
