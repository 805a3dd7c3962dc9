// The suite module (src/paper/suites.ts) is the one place the paper's suites are defined; these
// checks tie it to what else states the same facts: the task definitions, the published tables
// (results/published/paper-tables.json) and the spec (reference-harnesses.md §1, §7, §8.3).
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { sampleScaleOf } from "../src/api/task.js";
import { DatasetError } from "../src/util/errors.js";
import { planTask } from "../src/evaluation/taskPlan.js";
import { publishedTables } from "../src/paper/published.js";
import { allColumns, columnKeyOfTask, MMLU_GROUP, PAPER_AVERAGES, PAPER_SUITES, SUITE_IDS } from "../src/paper/suites.js";
import { allTasks, findTask, mmluTaskNames, paperKeyOf, SUITES } from "../src/tasks/registry.js";
import { sharedSkip } from "./support/sharedData.js";

test("each column's task exists with the column's shots, primary metric and scale", () => {
  for (const suite of SUITE_IDS) {
    for (const c of PAPER_SUITES[suite].columns) {
      const task = findTask(c.task === MMLU_GROUP ? mmluTaskNames()[0]! : c.task);
      assert.equal(task.suite, suite, c.key);
      assert.equal(task.defaultShots, c.shots, `${c.key} shots`);
      assert.equal(task.primaryMetric, c.metric, `${c.key} metric`);
      assert.equal(task.metrics[c.metric]?.scale, c.metricScale, `${c.key} scale`);
    }
  }
});

test("the paper's tables name the same columns, metrics and shots as the suite module", () => {
  const tables = publishedTables();
  assert.deepEqual(Object.keys(tables.metrics), allColumns().map((c) => c.key));
  for (const c of allColumns()) {
    assert.equal(tables.metrics[c.key]!.split(" ")[0], c.metric, c.key);
    assert.equal(tables.shots[c.key], c.shots, c.key);
  }
  for (const m of tables.models) {
    for (const suite of SUITE_IDS) {
      const part = m[suite];
      if (!part) continue;
      assert.deepEqual(Object.keys(part.tasks), PAPER_SUITES[suite].columns.map((c) => c.key), `${m.id} ${suite} columns`);
      assert.deepEqual(Object.keys(part.averages).sort(), PAPER_AVERAGES.filter((a) => a.suite === suite).map((a) => a.id).sort(), `${m.id} ${suite} averages`);
    }
  }
});

test("averages: JA over 8, JA 7-Avg without XLSum, EN over 4 (spec §7)", () => {
  const byId = Object.fromEntries(PAPER_AVERAGES.map((a) => [a.id, a.columns]));
  assert.deepEqual(byId.ja_avg, ["jcommonsenseqa", "jnli", "marc_ja", "jsquad", "jaqket_v2", "xlsum_ja", "xwinograd_ja", "mgsm"]);
  assert.deepEqual(byId.ja_7avg, ["jcommonsenseqa", "jnli", "marc_ja", "jsquad", "jaqket_v2", "xwinograd_ja", "mgsm"]);
  assert.deepEqual(byId.en_avg, ["arc_challenge", "hellaswag", "mmlu", "truthfulqa_mc"]);
});

test("paper doc counts are the N behind RakutenAI-7B's cells (spec §8.3)", () => {
  const n = Object.fromEntries(allColumns().map((c) => [c.key, c.paperDocs]));
  assert.deepEqual(
    [n.jcommonsenseqa, n.jnli, n.marc_ja, n.jsquad, n.jaqket_v2, n.xwinograd_ja, n.mgsm, n.arc_challenge],
    [1119, 2434, 5654, 4442, 1164, 959, 250, 1172],
  );
});

test("every task reports into the column it did before the suite module (variants share their family's)", () => {
  const expected: Record<string, string | undefined> = {
    "jcommonsenseqa-1.1-0.3": "jcommonsenseqa",
    "jnli-1.1-0.3": "jnli",
    "marc_ja-1.1-0.3": "marc_ja",
    "jsquad-1.1-0.3": "jsquad",
    "jaqket_v2-0.1-0.3": "jaqket_v2",
    "xlsum_ja-1.0-0.3": "xlsum_ja",
    xwinograd_ja: "xwinograd_ja",
    "mgsm-1.0-0.3": "mgsm",
    "jnli-1.3-0.3": "jnli",
    "jaqket_v2-0.2-0.3": "jaqket_v2",
    "mgsm-1.0-0.3-head": "mgsm",
    arc_challenge: "arc_challenge",
    hellaswag: "hellaswag",
    truthfulqa_mc: "truthfulqa_mc",
  };
  for (const t of allTasks()) {
    const want = t.name.startsWith("hendrycksTest-") ? "mmlu" : expected[t.name];
    assert.equal(columnKeyOfTask(t.name), want, t.name);
    assert.equal(paperKeyOf(t.name), want, t.name);
  }
  // Unversioned reference names have no variants.
  assert.equal(columnKeyOfTask("hellaswag-2"), undefined);
});

test("the registry's suites are the suite module's columns", () => {
  for (const suite of SUITE_IDS) {
    assert.equal(SUITES[suite].title, PAPER_SUITES[suite].title);
    assert.deepEqual(
      SUITES[suite].entries,
      PAPER_SUITES[suite].columns.map((c) => ({ name: c.task, shots: c.shots, paperKey: c.key })),
    );
  }
});

test("XLSum's rouge2: per-doc F 0-1 (sampleScale 100) under a 0-100 aggregate (scale 1)", () => {
  const spec = findTask("xlsum_ja-1.0-0.3").metrics.rouge2!;
  assert.equal(spec.scale, 1);
  assert.equal(sampleScaleOf(spec), 100);
  assert.equal(sampleScaleOf(findTask("jsquad-1.1-0.3").metrics.exact_match!), 1);
  assert.equal(sampleScaleOf(findTask("jnli-1.1-0.3").metrics.acc!), 100);
});

const dataDir = path.resolve(process.cwd(), "../shared/datasets");
const noData = sharedSkip(dataDir);

test("each suite's loglikelihood requests use the suite's tokenization rule", { skip: noData }, async () => {
  let checked = 0;
  for (const suite of SUITE_IDS) {
    for (const c of PAPER_SUITES[suite].columns) {
      const task = findTask(c.task === MMLU_GROUP ? mmluTaskNames()[0]! : c.task);
      let plan;
      try {
        plan = await planTask({ task, shots: 0 }, { dataDir, limit: 1 });
      } catch (e) {
        if (e instanceof DatasetError && e.reason === "missing") continue;
        throw e;
      }
      for (const r of plan.docs.flatMap((d) => d.requests)) {
        if (r.type !== "loglikelihood") continue;
        assert.equal(r.tokenization, PAPER_SUITES[suite].tokenization, c.key);
        checked++;
      }
    }
  }
  assert.ok(checked > 0, "no task of either suite had its data");
});
