// Paper rows of the results JSON: which figure goes in which paper column.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { TaskResult } from "../src/evaluator.js";
import { paperRows } from "../src/results/document.js";
import { findTask } from "../src/tasks/registry.js";

function result(name: string, metrics: TaskResult["metrics"], n: number, group?: string): TaskResult {
  const split = { records: [], path: "x", absolutePath: "x", sha256: "0".repeat(64), partial: null, verified: "sha256" as const, mismatches: [] };
  return { task: findTask(name), ...(group ? { group } : {}), shots: 5, requestedShots: 5, nOriginal: n, nEffective: n, metrics, samples: [], data: { eval: split } };
}

test("MMLU is the unweighted mean of subject accuracies, with the pooled stderr of independent subjects", () => {
  const rows = paperRows([
    result("hendrycksTest-anatomy", { acc: { value: 0.5, stderr: 0.03 } }, 135, "mmlu"),
    result("hendrycksTest-astronomy", { acc: { value: 0.25, stderr: 0.04 } }, 152, "mmlu"),
  ]);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.key, "mmlu");
  assert.ok(Math.abs(rows[0]!.score - 37.5) < 1e-12); // (0.5 + 0.25) / 2 × 100, not weighted by 135/152
  assert.ok(Math.abs(rows[0]!.stderr! - 2.5) < 1e-12); // sqrt(0.03² + 0.04²) / 2 × 100 = 0.05 / 2 × 100
  assert.equal(rows[0]!.n, 287);
  assert.equal(rows[0]!.published["rakuten-ai-7b"], 61.31);
});

test("acc is printed ×100, exact_match as stored; a variant does not take its family's paper column twice", () => {
  const rows = paperRows([
    result("jcommonsenseqa-1.1-0.3", { acc: { value: 0.8427, stderr: 0.01 } }, 1119),
    result("jsquad-1.1-0.3", { exact_match: { value: 79.09, stderr: 0.6 } }, 4442),
    result("jnli-1.1-0.3", { acc: { value: 0.5, stderr: 0.01 } }, 2434),
    result("jnli-1.3-0.3", { acc: { value: 0.6, stderr: 0.01 } }, 2434),
  ]);
  assert.ok(Math.abs(rows[0]!.score - 84.27) < 1e-9);
  assert.equal(rows[0]!.published["rakuten-ai-7b"], 84.27);
  assert.equal(rows[1]!.score, 79.09);
  assert.equal(rows[2]!.key, "jnli");
  assert.equal(rows[3]!.key, "jnli-1.3-0.3");
  assert.equal(rows[3]!.published["rakuten-ai-7b"], null);
});

test("each row records the factor from its per-doc values to the 0-100 score (sampleScale)", () => {
  const rows = paperRows([
    result("jcommonsenseqa-1.1-0.3", { acc: { value: 0.8427, stderr: 0.01 } }, 1119),
    result("jsquad-1.1-0.3", { exact_match: { value: 79.09, stderr: 0.6 } }, 4442),
    result("xlsum_ja-1.0-0.3", { rouge2: { value: 14.08, stderr: 0.5 } }, 766),
    result("hendrycksTest-anatomy", { acc: { value: 0.5, stderr: 0.03 } }, 135, "mmlu"),
  ]);
  assert.deepEqual(
    rows.map((r) => [r.key, r.sampleScale]),
    [
      ["jcommonsenseqa", 100],
      ["jsquad", 1],
      ["xlsum_ja", 100],
      ["mmlu", 100],
    ],
  );
});
