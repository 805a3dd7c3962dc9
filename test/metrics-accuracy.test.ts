import { test } from "node:test";
import assert from "node:assert/strict";
import { argmaxFirst } from "../src/metrics/accuracy.js";

// Expected indices follow numpy's documented np.argmax semantics ("In case of multiple
// occurrences of the maximum values, the indices corresponding to the first occurrence are
// returned"; NaN propagates as the maximum, first NaN wins).
test("argmaxFirst picks the maximum", () => {
  assert.equal(argmaxFirst([-3.2, -1.5, -7]), 1);
  assert.equal(argmaxFirst([-9, -8, -7, -0.5]), 3);
  assert.equal(argmaxFirst([5]), 0);
});

test("argmaxFirst: ties go to the first occurrence", () => {
  assert.equal(argmaxFirst([-2, -1, -1, -3]), 1);
  assert.equal(argmaxFirst([0, 0, 0]), 0);
  assert.equal(argmaxFirst([-1, -2, -1]), 0);
  assert.equal(argmaxFirst([-0, 0]), 0); // -0 == 0: a tie
});

test("argmaxFirst: infinities", () => {
  assert.equal(argmaxFirst([-Infinity, -Infinity]), 0);
  assert.equal(argmaxFirst([-Infinity, -5]), 1);
  assert.equal(argmaxFirst([1, Infinity, Infinity]), 1);
});

test("argmaxFirst: the first NaN wins, like numpy", () => {
  assert.equal(argmaxFirst([1, NaN, 3, NaN]), 1);
  assert.equal(argmaxFirst([NaN, 5]), 0);
  assert.equal(argmaxFirst([Infinity, NaN]), 1);
});

test("argmaxFirst: empty input throws", () => {
  assert.throws(() => argmaxFirst([]), RangeError);
});
