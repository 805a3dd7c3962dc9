// compare reads the per-doc scale results.json records (summary `sampleScale`) instead of
// guessing it; only files written before it was recorded fall back to the guess.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { compareRuns } from "../src/compare/compare.js";
import { DEFAULT_COMPARE_OPTIONS } from "../src/compare/comparisonTypes.js";
import { sampleScale } from "../src/compare/pairing.js";
import { runScores } from "../src/results/read.js";
import { tempDir, writeRun, type FixtureTask } from "./support/compareFixtures.js";

const close = (actual: number | null | undefined, expected: number, tol: number, what = "") => {
  assert.ok(actual !== null && actual !== undefined && Math.abs(actual - expected) <= tol, `${what}: ${actual} != ${expected}`);
};

const opts = { ...DEFAULT_COMPARE_OPTIONS, bootstrapIterations: 500, seed: 1234 };
const xl = (samples: number[], score: number, sampleScale?: 1 | 100): FixtureTask => ({
  key: "xlsum_ja",
  task: "xlsum_ja-1.0-0.3",
  metric: "rouge2",
  score,
  n: 5,
  samples,
  ...(sampleScale !== undefined ? { sampleScale } : {}),
});

test("the recorded scale wins over the guess; without one the legacy guess decides", () => {
  const row = { key: "k", task: "t", metric: "rouge2", score: 17, shots: 1, stderr: null, n: 5 };
  assert.equal(sampleScale({ ...row, sampleScale: 100 }, () => 17), 100);
  assert.equal(sampleScale({ ...row, sampleScale: 1 }, () => 0.17), 1);
  assert.equal(sampleScale({ ...row, sampleScale: null }, () => 0.17), 100);
  assert.equal(sampleScale({ ...row, sampleScale: null }, () => 17), 1);
});

test("XLSum's per-doc F (0-1) with sampleScale 100 gives the interval of the 0-100 values", () => {
  const root = tempDir("scale");
  const base = writeRun(path.join(root, "b"), { tasks: [xl([0.12, 0.18, 0.05, 0.3, 0.2], 17, 100)] });
  const next = writeRun(path.join(root, "n"), { tasks: [xl([0.1, 0.2, 0, 0.3, 0.15], 15, 100)] });
  assert.equal(runScores(next).rows[0]!.sampleScale, 100);
  const r = compareRuns(runScores(next), runScores(base), opts).rows.find((x) => x.key === "xlsum_ja")!;
  // compare-gate.test.ts: diffs [-2, 2, -5, 0, -5] on 0-100, random.Random(1234), 500 resamples, order statistics 13 and 488.
  close(r.ci?.[0], -4.4, 1e-6, "lo");
  close(r.ci?.[1], 0.4, 1e-6, "hi");
  close(r.diff, -2, 1e-12, "diff");
});

test("a recorded scale is read, not guessed: scale 1 on the same 0-1 values keeps them 0-1", () => {
  // Deliberately inconsistent with the score (the guess would pick ×100): the recorded factor
  // is applied as it is, so the interval is a hundredth of the one above.
  const root = tempDir("scale1");
  const base = writeRun(path.join(root, "b"), { tasks: [xl([0.12, 0.18, 0.05, 0.3, 0.2], 17, 1)] });
  const next = writeRun(path.join(root, "n"), { tasks: [xl([0.1, 0.2, 0, 0.3, 0.15], 15, 1)] });
  const r = compareRuns(runScores(next), runScores(base), opts).rows.find((x) => x.key === "xlsum_ja")!;
  close(r.ci?.[0], -0.044, 1e-8, "lo");
  close(r.ci?.[1], 0.004, 1e-8, "hi");
});
