// Expected values: CPython 3.11.7 (`round`, lm-eval's `mean` / `mean_stderr` formulas) run on the
// same inputs; the stored-above/below facts are re-derived with an independent exact decimal
// expansion (test/support/exactDecimal.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mean, pythonRound, sampleStderr } from "../src/metrics/stats.js";
import { compareExactToDecimal, exactDecimal } from "./support/exactDecimal.js";

test("exactDecimal helper reproduces known expansions", () => {
  assert.equal(exactDecimal(2.675), "2.67499999999999982236431605997495353221893310546875");
  assert.equal(exactDecimal(62.825), "62.8250000000000028421709430404007434844970703125");
  assert.equal(exactDecimal(0.125), "0.125");
  assert.equal(exactDecimal(1250), "1250");
});

test("pythonRound: binary value decides, not the decimal literal", () => {
  assert.equal(compareExactToDecimal(2.675, "2.675"), -1);
  assert.equal(pythonRound(2.675, 2), 2.67);
  // 62.825 is stored ABOVE 62.825, so it rounds up (Python: 62.83).
  assert.equal(compareExactToDecimal(62.825, "62.825"), 1);
  assert.equal(pythonRound(62.825, 2), 62.83);
  assert.equal(pythonRound(-62.825, 2), -62.83);
  assert.equal(compareExactToDecimal(59.9725, "59.9725"), -1);
  assert.equal(pythonRound(59.9725, 2), 59.97);
  assert.equal(compareExactToDecimal(29.865, "29.865"), -1);
  assert.equal(pythonRound(29.865, 2), 29.86);
  assert.equal(compareExactToDecimal(54.075, "54.075"), 1);
  assert.equal(pythonRound(54.075, 2), 54.08);
  assert.equal(pythonRound(0.285, 2), 0.28);
  assert.equal(pythonRound(1.005, 2), 1.0);
});

test("pythonRound: exact ties go to even", () => {
  assert.equal(compareExactToDecimal(0.125, "0.125"), 0);
  assert.equal(pythonRound(0.125, 2), 0.12);
  assert.equal(pythonRound(0.375, 2), 0.38);
  assert.equal(pythonRound(2.5, 0), 2);
  assert.equal(pythonRound(3.5, 0), 4);
  assert.equal(pythonRound(-2.5, 0), -2);
  assert.equal(pythonRound(0.5, 0), 0);
  assert.equal(pythonRound(1.5, 0), 2);
});

test("pythonRound: negative ndigits, zeros and signs", () => {
  assert.equal(pythonRound(1234.5, -1), 1230);
  assert.equal(pythonRound(1250, -2), 1200);
  assert.equal(pythonRound(1350, -2), 1400);
  assert.ok(Object.is(pythonRound(-0.001, 2), -0));
  assert.ok(Object.is(pythonRound(0, 2), 0));
  assert.ok(Object.is(pythonRound(-0, 2), -0));
  assert.equal(pythonRound(1.5e23, -23), 2e23);
  assert.equal(pythonRound(7.5e-300, 300), 7e-300);
  assert.equal(pythonRound(2.5e-300, 300), 2e-300);
});

test("pythonRound: results are the nearest double to the rounded decimal", () => {
  assert.equal(pythonRound(0.1 + 0.2, 15), 0.3);
  assert.equal(pythonRound(2.0000000000000004, 15), 2);
  assert.equal(pythonRound(69.80285714, 2), 69.8);
  assert.equal(pythonRound(1e300, 2), 1e300);
  assert.equal(pythonRound(1.7976931348623157e308, -300), 1.79769313e308);
});

test("pythonRound: extreme ndigits, non-finite input, overflow", () => {
  assert.equal(pythonRound(123.456, 400), 123.456);
  assert.equal(pythonRound(123.456, -309), 0);
  assert.equal(pythonRound(5e-324, 323), 0);
  assert.ok(Number.isNaN(pythonRound(NaN, 2)));
  assert.equal(pythonRound(Infinity, 2), Infinity);
  assert.throws(() => pythonRound(1.7976931348623157e308, -308), RangeError);
  assert.throws(() => pythonRound(1.5, 0.5), TypeError);
});

test("mean is a left-to-right sum divided by the length", () => {
  assert.equal(mean(new Array<number>(10).fill(0.1)), 0.09999999999999999);
  assert.equal(mean([1e16, 1, -1e16]), 0); // (1e16 + 1) rounds back to 1e16
  assert.equal(mean([84.27, 48.69, 96.29, 79.09, 80.67, 14.08, 77.16, 22.4]), 62.83125);
  assert.throws(() => mean([]), RangeError);
});

test("Stability average formula on the RakutenAI-7B row gives 62.83", () => {
  const scores = [84.27, 48.69, 96.29, 79.09, 80.67, 14.08, 77.16, 22.4];
  let total = 0;
  for (const s of scores) total += s;
  assert.equal(pythonRound((total / (scores.length * 100)) * 100, 2), 62.83);
});

test("sampleStderr = sample stddev (ddof=1) / sqrt(n); NaN below two values", () => {
  assert.equal(sampleStderr([1, 0, 1, 1, 0.5]), 0.19999999999999998);
  assert.equal(sampleStderr([2, 2, 2]), 0);
  assert.ok(Number.isNaN(sampleStderr([1])));
  assert.ok(Number.isNaN(sampleStderr([])));
});
