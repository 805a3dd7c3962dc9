// `run --shard i/N` then `merge` gives the unsharded run: identical results (metrics, stderrs,
// MMLU group, summary rows, averages) and identical samples, on real data and a real model.
//
// Two ways, because they test different things:
// - Engine (no cache anywhere, so every shard computes its own answers in its own batches):
//   multiple-choice (JCommonsenseQA, xWinograd), two MMLU subjects (5-shot) at N = 1, 2,
//   3, 7 (at 7, shards hold no doc of some tasks), and a generation task (MGSM) at N = 2. Per-
//   request log-likelihoods are compared within 1e-6 nats and counted bit-identical.
// - Merge (each shard reads its own copy of a cache the unsharded run filled, so the answers are
//   the unsharded run's by construction; asserted: nothing is computed): then the merge alone
//   decides the outcome, including XLSum's ROUGE-2 bootstrap (numpy's RNG shared across tasks in
//   plan order) and the MMLU group over subjects rebuilt from several shards.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runEvaluation, type RunOptions } from "../src/run/run.js";
import { mergeShards } from "../src/merge/merge.js";
import { readSampleRecords } from "../src/results/read.js";
import type { ResultsDocument } from "../src/results/document.js";
import { readRunDoc, runSamplesFile } from "./support/runFiles.js";
import { sharedSkip } from "./support/sharedData.js";

const root = process.cwd();
const model = path.resolve(root, "../shared/models/stories260K.gguf");
const dataDir = path.resolve(root, "../shared/datasets");
const skip = sharedSkip(model, dataDir);
const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-shard-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * Timing fields left out (lm-eval's date, start/end times, evaluation time, and our ISO copy of the
 * start, rakuten_eval.started), and what records the samples files (their names carry the run's
 * date) or the merge itself.
 */
function comparable(dir: string): Record<string, unknown> {
  const doc = readRunDoc(dir) as ResultsDocument & Record<string, unknown>;
  const { date: _d, total_evaluation_time_seconds: _t, start_time: _s, end_time: _e, ...rest } = doc;
  const { merged_shards: _m, samples: _f, started: _st, ...rakuten } = doc.rakuten_eval;
  return { ...rest, rakuten_eval: rakuten };
}

/** The tasks whose samples files a run published. */
function sampleTasks(dir: string): string[] {
  return Object.values(readRunDoc(dir).rakuten_eval.samples ?? {}).map((r) => r.task).sort();
}

interface Agreement {
  requests: number;
  bitIdentical: number;
  maxAbsDiff: number;
}

/** Samples of `task` in two run folders: equal but for log-likelihoods within 1e-6 nats (counted). */
function compareSamples(a: string, b: string, file: string, tally: Agreement): void {
  const left = readSampleRecords(runSamplesFile(a, file));
  const right = readSampleRecords(runSamplesFile(b, file));
  assert.equal(right.length, left.length, file);
  left.forEach((l, i) => {
    const r = right[i]!;
    const strip = (s: typeof l) => ({ ...s, responses: s.responses.map((x) => (typeof x === "object" && x !== null && "logprob" in x ? { ...x, logprob: 0 } : x)) });
    assert.deepEqual(strip(r), strip(l), `${file} record ${i}`);
    l.responses.forEach((x, k) => {
      if (typeof x !== "object" || x === null || !("logprob" in x)) return;
      const y = r.responses[k] as { logprob: number };
      const diff = Math.abs(y.logprob - (x as { logprob: number }).logprob);
      assert.ok(diff <= 1e-6, `${file} doc ${l.doc_id} request ${k}: |Δ log-likelihood| ${diff} > 1e-6`);
      tally.requests++;
      if (Object.is(y.logprob, (x as { logprob: number }).logprob)) tally.bitIdentical++;
      tally.maxAbsDiff = Math.max(tally.maxAbsDiff, diff);
    });
  });
}

const quiet: Pick<RunOptions, "log" | "warn"> = { log: () => {}, warn: () => {} };

async function runShards(base: RunOptions, count: number, dir: string, cacheOf?: (i: number) => string): Promise<{ dirs: string[]; computed: number }> {
  const dirs: string[] = [];
  let computed = 0;
  for (let index = 1; index <= count; index++) {
    const outputDir = path.join(dir, `shard-${index}`);
    const cacheDir = cacheOf?.(index);
    const outcome = await runEvaluation({ ...base, ...quiet, outputDir, shard: { index, count }, ...(cacheDir ? { cacheDir, noCache: false } : {}) });
    assert.deepEqual({ index: outcome.doc.rakuten_eval.shard?.index, count: outcome.doc.rakuten_eval.shard?.count }, { index, count });
    computed += outcome.cache.reduce((a, c) => a + c.computed, 0);
    dirs.push(outputDir);
  }
  return { dirs, computed };
}

const engineRun: RunOptions = {
  model,
  dataDir,
  // Multiple choice (JCommonsenseQA 0-shot: its 3-shot byte-fallback prompts cost a test too
  // much CPU; the few-shot path is covered by the MMLU subjects and the merge test below).
  tasks: ["jcommonsenseqa-1.1-0.3", "xwinograd_ja", "hendrycksTest-anatomy", "hendrycksTest-abstract_algebra"],
  shots: [0, 0, 5, 5],
  limit: 3,
  noCache: true,
};

test("sharded runs without a cache, merged, equal the unsharded run (N = 1, 2, 3, 7)", { skip, timeout: 900_000 }, async (t) => {
  const full = path.join(scratch, "engine-full");
  await runEvaluation({ ...engineRun, ...quiet, outputDir: full });
  const samplesFiles = sampleTasks(full);
  assert.equal(samplesFiles.length, 4);
  const tally: Agreement = { requests: 0, bitIdentical: 0, maxAbsDiff: 0 };
  for (const count of [1, 2, 3, 7]) {
    const { dirs } = await runShards(engineRun, count, path.join(scratch, `engine-n${count}`));
    // Every shard plans the whole run: its docs are a share of the 12, within one doc of the others.
    const sizes = dirs.map((d) => readRunDoc(d).rakuten_eval.shard!.tasks.reduce((a, x) => a + x.shuffled_indices.length, 0));
    assert.equal(sizes.reduce((a, b) => a + b, 0), 12);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `shard sizes ${sizes.join(",")}`);
    const merged = path.join(scratch, `engine-n${count}-merged`);
    const outcome = await mergeShards({ inputs: [...dirs].reverse(), outputDir: merged });
    assert.equal(outcome.shards, count);
    assert.deepEqual(comparable(merged), comparable(full), `N = ${count}: results`);
    assert.deepEqual(sampleTasks(merged), samplesFiles);
    for (const f of samplesFiles) compareSamples(full, merged, f, tally);
  }
  t.diagnostic(`log-likelihoods: ${tally.bitIdentical} of ${tally.requests} bit-identical, max |Δ| ${tally.maxAbsDiff}`);
  // Per N: 3 docs × (5 JCommonsenseQA + 2 xWinograd + 4 + 4 MMLU choices) = 45 requests.
  assert.equal(tally.requests, 4 * 45);
});

const mergeRun: RunOptions = {
  model,
  dataDir,
  tasks: ["jcommonsenseqa-1.1-0.3", "mgsm-1.0-0.3", "xlsum_ja", "hendrycksTest-anatomy", "hendrycksTest-abstract_algebra"],
  // XLSum and MGSM 0-shot keep the generations short enough for a test (the shared folder has no XLSum train split).
  shots: [3, 0, 0, 5, 5],
  limit: 2,
};

test("merge rebuilds XLSum's bootstrap, the MMLU group and every row from shards answered with the unsharded run's answers (N = 3, 7)", { skip, timeout: 900_000 }, async (t) => {
  const cache = path.join(scratch, "merge-cache");
  const full = path.join(scratch, "merge-full");
  const first = await runEvaluation({ ...mergeRun, ...quiet, outputDir: full, cacheDir: cache });
  assert.ok(first.cache.reduce((a, c) => a + c.computed, 0) > 0);
  const doc = readRunDoc(full);
  assert.equal(typeof doc.results["xlsum_ja-1.0-0.3"]?.["rouge2,none"], "number", "XLSum scored");
  assert.equal(typeof doc.groups!["mmlu_subset"]?.["acc,none"], "number", "MMLU group scored");
  for (const count of [3, 7]) {
    const dir = path.join(scratch, `merge-n${count}`);
    const { dirs, computed } = await runShards(mergeRun, count, dir, (i) => {
      const own = path.join(dir, `cache-${i}`);
      cpSync(cache, own, { recursive: true });
      return own;
    });
    assert.equal(computed, 0, "every shard answered from its copy of the unsharded run's cache");
    const merged = path.join(dir, "merged");
    await mergeShards({ inputs: dirs, outputDir: merged });
    assert.deepEqual(comparable(merged), comparable(full), `N = ${count}: results`);
    for (const task of sampleTasks(full)) {
      assert.equal(readFileSync(runSamplesFile(merged, task), "utf8"), readFileSync(runSamplesFile(full, task), "utf8"), `N = ${count}: ${task} samples byte-identical`);
    }
  }
  // The same generations computed by two shards of their own (no cache): the engine, not the cache, agrees.
  const mgsm: RunOptions = { model, dataDir, tasks: ["mgsm-1.0-0.3"], shots: [0], limit: 2, noCache: true };
  const { dirs } = await runShards(mgsm, 2, path.join(scratch, "mgsm-n2"));
  const merged = path.join(scratch, "mgsm-n2-merged");
  await mergeShards({ inputs: dirs, outputDir: merged });
  const name = "mgsm-1.0-0.3";
  assert.equal(readFileSync(runSamplesFile(merged, name), "utf8"), readFileSync(runSamplesFile(full, name), "utf8"), "MGSM generations of two shards equal the unsharded run's");
  const mergedDoc = readRunDoc(merged);
  assert.deepEqual(mergedDoc.results["mgsm-1.0-0.3"], doc.results["mgsm-1.0-0.3"]);
  t.diagnostic("XLSum rouge2 " + String(doc.results["xlsum_ja-1.0-0.3"]?.["rouge2,none"]) + ", mmlu_subset acc " + String(doc.groups!["mmlu_subset"]?.["acc,none"]));
});
