// Paper rows of the results JSON: which figure goes in which paper column.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { TaskResult } from "../src/evaluation/evaluator.js";
import { buildResultsDocument, paperRows, type ResultsMeta } from "../src/results/document.js";
import { findTask, mmluTaskNames } from "../src/tasks/registry.js";

function result(name: string, metrics: TaskResult["metrics"], n: number, group?: string): TaskResult {
  const split = { records: [], path: "x", absolutePath: "x", sha256: "0".repeat(64), partial: null, verified: "sha256" as const, mismatches: [] };
  return { task: findTask(name), ...(group ? { group } : {}), shots: 5, requestedShots: 5, nOriginal: n, nEffective: n, metrics, samples: [], data: { eval: split } };
}

const META: ResultsMeta = {
  engine: { modelPath: "m.gguf", modelSha256: "0".repeat(64) } as unknown as ResultsMeta["engine"],
  harness: { name: "rakuten-eval", version: "0", git_commit: null },
  limit: null,
  dataDir: "d",
  date: "2026-01-01T00:00:00.000Z",
  durationSeconds: 0,
  complete: true,
};

test("MMLU is the unweighted mean of subject accuracies, with the pooled stderr of independent subjects", () => {
  // All 57 subjects: the first two differ, the other 55 score 0.5 ± 0.
  const names = mmluTaskNames();
  const rows = paperRows(
    names.map((name, i) =>
      result(name, { acc: i === 0 ? { value: 0.5, stderr: 0.03 } : i === 1 ? { value: 0.25, stderr: 0.04 } : { value: 0.5, stderr: 0 } }, i === 0 ? 135 : i === 1 ? 152 : 10, "mmlu"),
    ),
  );
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.key, "mmlu");
  assert.equal(rows[0]!.task, "mmlu (57 subjects)");
  assert.ok(Math.abs(rows[0]!.score - ((0.5 + 0.25 + 55 * 0.5) / 57) * 100) < 1e-12); // not weighted by doc counts
  assert.ok(Math.abs(rows[0]!.stderr! - (0.05 / 57) * 100) < 1e-12); // sqrt(0.03² + 0.04²) / 57 × 100
  assert.equal(rows[0]!.n, 135 + 152 + 55 * 10);
  assert.equal(rows[0]!.published["rakuten-ai-7b"], 61.31);
});

test("an MMLU subset is its own row (mmlu_subset), without the paper's figure, and stays out of the EN average", () => {
  const subset = [
    result("hendrycksTest-anatomy", { acc: { value: 0.5, stderr: 0.03 } }, 135),
    result("hendrycksTest-astronomy", { acc: { value: 0.25, stderr: 0.04 } }, 152),
  ];
  const rows = paperRows(subset);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.key, "mmlu_subset");
  assert.equal(rows[0]!.task, "mmlu subset (2 of 57 subjects)");
  assert.ok(Math.abs(rows[0]!.score - 37.5) < 1e-12); // (0.5 + 0.25) / 2 × 100, not weighted by 135/152
  assert.ok(Math.abs(rows[0]!.stderr! - 2.5) < 1e-12); // sqrt(0.03² + 0.04²) / 2 × 100
  assert.equal(rows[0]!.n, 287);
  assert.equal(rows[0]!.published["rakuten-ai-7b"], null);
  // The same through the `mmlu` group with subjects missing (skipped or interrupted): still a subset.
  assert.equal(paperRows(mmluTaskNames().slice(0, 56).map((n) => result(n, { acc: { value: 0.5, stderr: 0.01 } }, 10, "mmlu")))[0]!.key, "mmlu_subset");

  const others = [
    result("arc_challenge", { acc_norm: { value: 0.6, stderr: 0.01 } }, 1172),
    result("hellaswag", { acc_norm: { value: 0.8, stderr: 0.01 } }, 10042),
    result("truthfulqa_mc", { mc2: { value: 0.4, stderr: 0.01 } }, 817),
  ];
  const doc = buildResultsDocument([...others, ...subset], [], META);
  const en = doc.rakuten_eval.averages.find((a) => a.id === "en_avg")!;
  assert.equal(en.value, null);
  assert.deepEqual(en.missing, ["mmlu"]);
  assert.ok(Math.abs(en.partialValue! - (60 + 80 + 40) / 3) < 1e-9); // the subset is not among the rest
  assert.deepEqual(Object.keys(doc.groups ?? {}), ["mmlu_subset"]);
  assert.deepEqual(doc.group_subtasks["mmlu_subset"], ["hendrycksTest-anatomy", "hendrycksTest-astronomy"]);
  assert.ok(doc.rakuten_eval.notes.some((n) => n.startsWith("mmlu subset (2 of 57 subjects): not the paper's MMLU")));
  assert.ok(!doc.rakuten_eval.summary.some((r) => r.key === "mmlu"));
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
      ["mmlu_subset", 100],
    ],
  );
});
