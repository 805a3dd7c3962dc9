// selectShard deals a whole plan out, doc k of the run's evaluation order to shard (k mod N) + 1,
// leaving every doc's prompt, few-shot picks and requests as the whole plan has them (the
// few-shot RNG is advanced over every doc before anything is dealt). No model needed.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { planTasks } from "../src/evaluation/taskPlan.js";
import { findTask } from "../src/tasks/registry.js";
import { parseShardFlag, selectShard, shardOfPosition } from "../src/shard/shard.js";
import { sharedSkip } from "./support/sharedData.js";

const dataDir = path.resolve(process.cwd(), "../shared/datasets");
const skip = sharedSkip(dataDir);

test("--shard i/N parses 1-based i/N and nothing else", () => {
  assert.deepEqual(parseShardFlag("2/8").shard, { index: 2, count: 8 });
  assert.deepEqual(parseShardFlag(" 1 / 1 ").shard, { index: 1, count: 1 });
  for (const bad of ["0/8", "9/8", "8", "1/0", "a/2", "1.0/2", "-1/2", "", "1/2/3"]) assert.ok(parseShardFlag(bad).problem, bad);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((k) => shardOfPosition(k, 3)), [1, 2, 3, 1, 2, 3, 1]);
});

test("shards of a plan: each doc once, as the whole plan has it, shard sizes within one doc", { skip }, async () => {
  // Random shots (JCommonsenseQA: one rnd.sample per doc after the shuffle), JSQuAD's stand-in
  // pool that holds eval docs (k + 1 draws, the doc itself removed) and the first-k MMLU shots.
  const selections = [
    { task: findTask("jcommonsenseqa-1.1-0.3"), shots: 3 },
    { task: findTask("jsquad-1.1-0.3"), shots: 2 },
    { task: findTask("hendrycksTest-anatomy"), shots: 5, group: "mmlu" },
  ];
  const { planned } = await planTasks(selections, { dataDir, limit: 11 });
  const whole = planned.flatMap((p) => p.docs.map((d) => ({ task: p.task.name, ...d })));
  assert.equal(whole.length, 33);
  for (const count of [1, 2, 3, 7, 40]) {
    const seen = new Map<string, number>();
    const sizes: number[] = [];
    for (let index = 1; index <= count; index++) {
      const { planned: mine, record } = selectShard(planned, { index, count });
      assert.deepEqual(mine.map((p) => p.task.name), planned.map((p) => p.task.name), "every task, in plan order");
      assert.deepEqual(record.tasks.map((t) => t.planned_docs), [11, 11, 11]);
      let size = 0;
      mine.forEach((p, ti) => {
        assert.deepEqual(record.tasks[ti]!.shuffled_indices, p.docs.map((d) => d.shuffledIndex));
        for (const d of p.docs) {
          const original = planned[ti]!.docs[d.shuffledIndex]!;
          // The same object: prompt, shots and requests untouched.
          assert.equal(d, original);
          const key = `${p.task.name}#${d.shuffledIndex}`;
          seen.set(key, (seen.get(key) ?? 0) + 1);
          const k = planned.slice(0, ti).reduce((a, q) => a + q.docs.length, 0) + d.shuffledIndex;
          assert.equal(k % count, index - 1, `${key} dealt by the rule`);
          size++;
        }
      });
      sizes.push(size);
    }
    assert.equal(seen.size, 33, `N = ${count}: every doc`);
    assert.ok([...seen.values()].every((v) => v === 1), `N = ${count}: once`);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `N = ${count}: sizes ${sizes.join(",")}`);
  }
});
