// The gate's two other equalities, read off its documented rule (src/compare/gate.ts): a row is
// significant when its adjusted p is *below* alpha (p = alpha is not), and a test is underpowered
// when the smallest drop it could detect is *larger* than the allowed drop (a test that detects
// exactly the allowance is not). The drop exactly equal to --max-drop itself is
// compare-gate-edges.test.ts's "a drop exactly equal to --max-drop passes; a hair less allowance fails".
import { test } from "node:test";
import assert from "node:assert/strict";
import { underpowered, verdictOf } from "../src/compare/gate.js";
import type { DraftRow } from "../src/compare/comparisonTypes.js";

/** A row with both scores and a test; only what verdictOf and underpowered read. */
function draft(minimalDetectable: number | null, maxDrop: number): DraftRow {
  return { absent: null, absentAllowed: false, newScore: 50, baselineScore: 52, tested: {}, minimalDetectable, maxDrop } as unknown as DraftRow;
}

test("p exactly alpha is not significant: the drop rule passes it, and fails it a hair below", () => {
  const row = draft(1, 2);
  assert.deepEqual(verdictOf(row, 0.05, 0.05, "drop", false), { verdict: "pass", failed: false });
  assert.deepEqual(verdictOf(row, 0.0499999, 0.05, "drop", false), { verdict: "FAIL", failed: true });
});

test("a test that detects exactly the allowed drop is not underpowered; a hair less power is", () => {
  assert.equal(underpowered(draft(2, 2)), false);
  assert.equal(underpowered(draft(2.0001, 2)), true);
  assert.equal(underpowered(draft(null, 2)), true, "no drop of any size detectable");
  // Non-inferiority passes a row shown within the margin only on a test that could see the margin.
  assert.deepEqual(verdictOf(draft(2, 2), 0.01, 0.05, "non-inferiority", false), { verdict: "pass", failed: false });
  assert.deepEqual(verdictOf(draft(2.0001, 2), 0.01, 0.05, "non-inferiority", false), { verdict: "FAIL", failed: true });
});
