// The evaluator's request plan against the spec's harness simulation (reference-harnesses.md §5):
// per-task Random(42), one shuffle of the eval docs, then one sample per doc in shuffled order.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { planTask } from "../src/evaluation/taskPlan.js";
import { findTask } from "../src/tasks/registry.js";
import { sharedSkip } from "./support/sharedData.js";

const dataDir = path.resolve(process.cwd(), "../shared/datasets");
const skip = sharedSkip(dataDir);

test("JCommonsenseQA 3-shot: shuffled doc ids and shots match the spec's simulation", { skip }, async () => {
  const plan = await planTask({ task: findTask("jcommonsenseqa-1.1-0.3"), shots: 3 }, { dataDir, limit: 8 });
  assert.deepEqual(plan.docs.map((d) => d.docId), [1032, 816, 575, 91, 403, 921, 629, 27]);
  assert.deepEqual(plan.docs.slice(0, 3).map((d) => d.shotIds), [[8903, 6180, 7460], [5272, 3090, 3912], [6274, 3826, 6730]]);
  assert.equal(plan.nOriginal, 1119);
  assert.equal(plan.docs[0]!.requests.length, 5);
});

test("MGSM 5-shot takes the pool branch of sample: spec's shots", { skip }, async () => {
  const plan = await planTask({ task: findTask("mgsm-1.0-0.3"), shots: 5 }, { dataDir, limit: 3 });
  assert.deepEqual(plan.docs.map((d) => d.docId), [44, 98, 184]);
  assert.deepEqual(plan.docs.map((d) => d.shotIds), [[6, 1, 0, 5, 3], [5, 3, 6, 7, 0], [1, 0, 3, 2, 6]]);
});

test("xWinograd and TruthfulQA only shuffle: spec's first shuffled ids; a global --shots keeps 0 with a note", { skip }, async () => {
  const xw = await planTask({ task: findTask("xwinograd_ja"), shots: 3 }, { dataDir, limit: 8 });
  assert.deepEqual(xw.docs.map((d) => d.docId), [184, 434, 857, 723, 355, 198, 683, 523]);
  assert.equal(xw.shots, 0);
  assert.match(xw.shotsNote ?? "", /keeps 0 shots/);
  const tq = await planTask({ task: findTask("truthfulqa_mc"), shots: 0 }, { dataDir, limit: 8 });
  assert.deepEqual(tq.docs.map((d) => d.docId), [740, 724, 678, 632, 237, 584, 664, 748]);
});

test("ARC-Challenge 25-shot (set branch): first doc's 25 shots as in the spec", { skip }, async () => {
  const plan = await planTask({ task: findTask("arc_challenge"), shots: 25 }, { dataDir, limit: 2 });
  assert.deepEqual(plan.docs.map((d) => d.docId), [595, 716]);
  assert.deepEqual(plan.docs[0]!.shotIds, [888, 201, 205, 908, 340, 613, 59, 94, 664, 114, 600, 734, 767, 882, 298, 500, 1087, 843, 368, 348, 358, 161, 783, 493, 1019]);
});

test("JSQuAD: shuffled ids as in the spec; the stand-in pool never offers the evaluated question as a shot", { skip }, async () => {
  const plan = await planTask({ task: findTask("jsquad-1.1-0.3"), shots: 2 }, { dataDir, limit: 8 });
  assert.deepEqual(plan.docs.map((d) => d.docId), [2917, 3, 3733, 2155, 2851, 4192, 232, 908]);
  assert.ok(plan.data.fewshot?.partial, "the 74-question stand-in is used and flagged");
  // Doc 3 of the validation split is also question 3 of the stand-in (it holds validation's first 74).
  for (const d of plan.docs) {
    assert.equal(d.shotIds.length, 2);
    if (d.docId < 74) assert.ok(!d.shotIds.includes(d.docId), `doc ${d.docId} offered itself as a shot`);
  }
  // Across many docs that are in the stand-in, self-exclusion must have been needed at least once
  // for the check above to mean anything; count how often the k+1 draw contained the doc.
  const all = await planTask({ task: findTask("jsquad-1.1-0.3"), shots: 2 }, { dataDir });
  const inPool = all.docs.filter((d) => d.docId < 74);
  assert.equal(inPool.length, 74);
  for (const d of inPool) assert.ok(!d.shotIds.includes(d.docId));
});

test("limit larger than the split evaluates every doc once", { skip }, async () => {
  const plan = await planTask({ task: findTask("mgsm-1.0-0.3"), shots: 0 }, { dataDir, limit: 1000 });
  assert.equal(plan.docs.length, 250);
  assert.equal(new Set(plan.docs.map((d) => d.docId)).size, 250);
});

test("a missing few-shot split is a one-line dataset error naming the file", { skip }, async () => {
  await assert.rejects(planTask({ task: findTask("jnli-1.1-0.3"), shots: 3 }, { dataDir, limit: 2 }), (e: Error) => {
    assert.match(e.message, /jnli\/train-v1\.1\.json/);
    assert.equal(e.message.includes("\n"), false);
    return true;
  });
  // 0-shot JNLI needs no train split and runs.
  const plan = await planTask({ task: findTask("jnli-1.1-0.3"), shots: 0 }, { dataDir, limit: 8 });
  assert.deepEqual(plan.docs.map((d) => d.docId), [548, 135, 1499, 2043, 1381, 412, 45, 1679]);
});
