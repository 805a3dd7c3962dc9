import { test } from "node:test";
import assert from "node:assert/strict";
import { jaTasks } from "../src/tasks/ja/index.js";

// The paper's Japanese columns, shots and metrics (spec §1), and the reference registry names (§1).
const PAPER: [name: string, shots: number, metric: string, version: string][] = [
  ["jcommonsenseqa-1.1-0.3", 3, "acc", "1.1"],
  ["jnli-1.1-0.3", 3, "acc", "1.1"],
  ["marc_ja-1.1-0.3", 3, "acc", "1.1"],
  ["jsquad-1.1-0.3", 2, "exact_match", "1.1"],
  ["jaqket_v2-0.1-0.3", 1, "exact_match", "0.1"],
  ["xlsum_ja-1.0-0.3", 1, "rouge2", "1.0"],
  ["xwinograd_ja", 0, "acc", "1.0"],
  ["mgsm-1.0-0.3", 5, "acc", "1.0"],
];

test("the paper's eight Japanese tasks come first, in table order, with its shots and metrics", () => {
  assert.deepEqual(
    jaTasks.slice(0, 8).map((t) => [t.name, t.defaultShots, t.primaryMetric, t.version]),
    PAPER,
  );
  for (const t of jaTasks) {
    assert.equal(t.suite, "ja");
    assert.ok(t.metrics[t.primaryMetric], `${t.name}: the primary metric has a spec`);
    assert.ok(t.fewshotSource.length > 0);
    if (t.fewshot.kind === "none") assert.equal(t.defaultShots, 0);
    else assert.ok(t.fewshotData, `${t.name}: shots need a few-shot split`);
  }
});

test("later variants are selectable by name", () => {
  const names = jaTasks.map((t) => t.name);
  for (const n of ["jnli-1.3-0.3", "jaqket_v2-0.2-0.3", "mgsm-1.0-0.3-head"]) assert.ok(names.includes(n), n);
});

test("names and aliases are unique across the Japanese tasks", () => {
  const all = jaTasks.flatMap((t) => [t.name, ...t.aliases]);
  assert.equal(new Set(all).size, all.length);
  const byAlias = new Map(jaTasks.flatMap((t) => t.aliases.map((a) => [a, t.name] as const)));
  assert.equal(byAlias.get("jcs"), "jcommonsenseqa-1.1-0.3");
  assert.equal(byAlias.get("jnli"), "jnli-1.1-0.3");
  assert.equal(byAlias.get("mgsm"), "mgsm-1.0-0.3");
  assert.equal(byAlias.get("jaqket_v2"), "jaqket_v2-0.1-0.3");
});

test("acc and XLSum's per-doc P/R are stored 0–1 (scale 100 to print); exact_match and rouge2 are 0–100 (scale 1)", () => {
  const zeroToOne = (metric: string) => metric.startsWith("acc") || metric === "rouge2_precision" || metric === "rouge2_recall";
  for (const t of jaTasks) {
    for (const [metric, spec] of Object.entries(t.metrics)) {
      assert.equal(spec.higherIsBetter, true);
      assert.equal(spec.scale, zeroToOne(metric) ? 100 : 1, `${t.name}.${metric}`);
    }
  }
});
