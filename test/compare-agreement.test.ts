// The quantisation comparison (`compare --quantisation`): per task, agreement of the chosen answers
// and the log-likelihood shifts, computed here independently from the same per-doc numbers.

import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { compareRuns } from "../src/compare/compare.js";
import { DEFAULT_COMPARE_OPTIONS } from "../src/compare/comparisonTypes.js";
import { runScores } from "../src/results/read.js";
import { renderComparisonMarkdown, renderComparisonTable } from "../src/report/comparison.js";
import { tempDir, writeRun, type FixtureTask } from "./support/compareFixtures.js";

const C = ["A", "B", "C"];
// Per doc, log-likelihoods of three choices in the "F16" and "Q4" runs.
const f16 = [
  [-1.0, -2.0, -3.0],
  [-5.0, -4.0, -6.0],
  [-2.0, -2.5, -1.9],
  [-7.0, -3.0, -3.2],
];
const q4 = [
  [-1.1, -2.0, -3.0], // same choice (0), |Δ| 0.1, 0, 0
  [-5.0, -4.5, -4.4], // choice 1 -> 2: |Δ| 0, 0.5, 1.6
  [-2.0, -2.5, -2.1], // choice 2 -> 0: |Δ| 0, 0, 0.2
  [-7.0, -3.0, -3.2], // same choice (1)
];

function task(lls: number[][], gold: number[]): FixtureTask {
  const samples: number[] = lls.map((row, i) => (row.indexOf(Math.max(...row)) === gold[i] ? 1 : 0));
  return {
    key: "jcommonsenseqa",
    task: "jcommonsenseqa-1.1-0.3",
    metric: "acc",
    score: (samples.reduce((a, v) => a + v, 0) / lls.length) * 100,
    n: lls.length,
    samples,
    choices: lls.map((logprobs) => ({ continuations: C, logprobs })),
  };
}

test("agreement, mean and max |Δ log-likelihood| and the largest disagreements, against an independent count", () => {
  const root = tempDir("agree");
  const gold = [0, 1, 2, 1];
  const base = writeRun(path.join(root, "f16"), { modelPath: "/m/model-F16.gguf", tasks: [task(f16, gold)] });
  const next = writeRun(path.join(root, "q4"), { modelPath: "/m/model-Q4_K_M.gguf", modelSha256: "2".repeat(64), tasks: [task(q4, gold)] });
  const c = compareRuns(runScores(next), runScores(base), { ...DEFAULT_COMPARE_OPTIONS, bootstrapIterations: 100, agreement: true });
  // Independent reference from the arrays above.
  const argmax = (r: number[]) => r.indexOf(Math.max(...r));
  let same = 0;
  let sum = 0;
  let max = 0;
  f16.forEach((row, i) => {
    if (argmax(row) === argmax(q4[i]!)) same++;
    row.forEach((v, k) => {
      const d = Math.abs(q4[i]![k]! - v);
      sum += d;
      max = Math.max(max, d);
    });
  });
  assert.equal(same, 2);
  const a = c.agreement?.[0];
  assert.ok(a, "an agreement row");
  assert.equal(a.docs, 4);
  assert.equal(a.sameChoice, same);
  assert.equal(a.agreement, 0.5);
  assert.equal(a.choices, 12);
  assert.ok(Math.abs(a.meanAbsDelta - sum / 12) < 1e-12, `${a.meanAbsDelta} vs ${sum / 12}`);
  assert.ok(Math.abs(a.maxAbsDelta - max) < 1e-12);
  assert.ok(Math.abs(max - 1.6) < 1e-12);
  // Largest first: doc 1 (max |Δ| 1.6), then doc 2 (0.2).
  assert.deepEqual(
    a.largestDisagreements.map((d) => [d.docId, d.newChoice.index, d.baselineChoice.index]),
    [
      [1, 2, 1],
      [2, 0, 2],
    ],
  );
  const d1 = a.largestDisagreements[0]!;
  assert.deepEqual(d1.newLogprobs, [-4.4, -4.5]);
  assert.deepEqual(d1.baselineLogprobs, [-6.0, -4.0]);
  assert.equal(d1.newChoice.text, "C");
  // The paired accuracy test is the main table's row: McNemar on the same docs.
  const row = c.rows.find((r) => r.key === "jcommonsenseqa")!;
  assert.equal(row.test, "mcnemar-exact");
  // In every format.
  assert.match(renderComparisonTable(c), /jcommonsenseqa-1\.1-0\.3: 2\/4 same answer \(50\.0%\)/);
  assert.match(renderComparisonTable(c), /jcommonsenseqa-1\.1-0\.3 doc 1: 2: C vs 1: B/);
  assert.match(renderComparisonMarkdown(c), /^\| jcommonsenseqa-1\.1-0\.3 \| 4 \| 2 \| 50\.0% \| /m);
  const json = JSON.parse(JSON.stringify(c)) as { agreement: { sameChoice: number }[] };
  assert.equal(json.agreement[0]!.sameChoice, 2);
  // Without the flag there is no agreement section.
  assert.equal(compareRuns(runScores(next), runScores(base), { ...DEFAULT_COMPARE_OPTIONS, bootstrapIterations: 100 }).agreement, null);
});
