// merge's refusals that need no real run: a doc claimed by two shards, and a shard's samples
// file holding other docs than its results file lists. The shards are hand-made results
// documents holding only what the checks read; the expected lines follow from the shard record
// (src/shard/shard.ts: each planned doc in exactly one shard).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after } from "node:test";
import { mergeProblems, type Shard } from "../src/merge/agreement.js";
import { mergedSamples } from "../src/merge/merge.js";
import { SHARD_RULE } from "../src/shard/shard.js";
import type { ResultsDocument } from "../src/results/types.js";

const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-merge-checks-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const TASK = "xwinograd_ja";

/** Shard `index`/`count` of a 4-doc run of one task, having scored the docs at `positions`. */
function shard(index: number, count: number, positions: number[]): Shard {
  const record = {
    index,
    count,
    rule: SHARD_RULE,
    tasks: [
      {
        task: TASK,
        shots: 0,
        requested_shots: 0,
        n_original: 4,
        planned_docs: 4,
        shuffled_indices: positions,
        splits: { eval: { path: "xwinograd/ja.jsonl", sha256: "ab".repeat(32), records: 4, verified: true, partial: null, warnings: [] } },
      },
    ],
  };
  const doc = {
    config: { model_sha256: "cd".repeat(32), limit: null, random_seed: 0, numpy_seed: 1234, bootstrap_iters: 100000 },
    versions: { [TASK]: 1 },
    configs: {},
    rakuten_eval: { shard: record, complete: true, engine: { engine: "llama.cpp" }, harness: { name: "rakuten-eval", version: "0", git_commit: null }, skipped: [] },
  } as unknown as ResultsDocument;
  const dir = path.join(scratch, `shard-${index}-${positions.join("-")}`);
  mkdirSync(dir, { recursive: true });
  return { source: dir, file: path.join(dir, "results.json"), doc, shard: doc.rakuten_eval.shard! };
}

/** Writes the shard's samples file (the older layout: the record itself plus `task`) with docs at `positions`. */
function writeSamples(s: Shard, positions: number[]): string {
  const file = path.join(path.dirname(s.file), `samples_${TASK}.jsonl`);
  writeFileSync(file, positions.map((p) => JSON.stringify({ task: TASK, doc_id: 10 + p, shuffled_index: p, responses: [], metrics: { acc: 1 } })).join("\n") + "\n");
  return file;
}

test("a doc in two shards is refused, naming the position and both shards", () => {
  // Docs 0..3; shard 1 has 0, 1, 2 and shard 2 has 2, 3: position 2 is claimed twice, none is missing.
  const a = shard(1, 2, [0, 1, 2]);
  const b = shard(2, 2, [2, 3]);
  assert.deepEqual(mergeProblems([a, b]), [
    `${TASK}: 1 doc(s) are in more than one shard (shuffled positions 2, in ${a.source}, ${b.source}); merge only the shards of one run (the same command with --shard 1/N … N/N).`,
  ]);
  // The same shards without the overlap merge.
  assert.deepEqual(mergeProblems([shard(1, 2, [0, 2]), shard(2, 2, [1, 3])]), []);
});

test("a samples file must hold exactly the docs its results file lists for the shard", () => {
  const a = shard(1, 2, [0, 2]);
  const b = shard(2, 2, [1, 3]);
  writeSamples(a, [0, 2]);
  writeSamples(b, [1, 3]);
  // As listed: the records of both, in shuffled order.
  assert.deepEqual(
    mergedSamples([a, b], 0).map((r) => r.shuffled_index),
    [0, 1, 2, 3],
  );
  // Shard 2's file holds doc 2 (shard 1's) instead of doc 3: same count, other docs.
  const other = writeSamples(b, [1, 2]);
  assert.throws(() => mergedSamples([a, b], 0), { message: `${other} holds other docs than results.json lists for shard 2/2 (2 records, 2 listed); rerun that shard.` });
  // One doc more than listed.
  writeSamples(b, [1, 3, 0]);
  assert.throws(() => mergedSamples([a, b], 0), { message: `${other} holds other docs than results.json lists for shard 2/2 (3 records, 2 listed); rerun that shard.` });
});
