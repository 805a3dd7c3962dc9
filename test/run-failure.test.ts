// A run that fails after work began (not an interrupt) writes what finished: partial results
// marked `complete: false` with the reason, published with their samples, and then fails with
// the original error. Injected failures, no model: a backend whose generation crashes, and a
// task whose metric throws.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Backend, BackendDescription, LoglikelihoodRequest, LoglikelihoodResponse, ResolvedGenerateRequest } from "../src/api/types.js";
import { runEvaluation } from "../src/run/run.js";
import { findTask } from "../src/tasks/registry.js";
import { samplesFileProblems } from "../src/results/samplesFiles.js";
import type { ResultsDocument } from "../src/results/document.js";
import { readRunDoc, runResultsFile, runSamplesFile } from "./support/runFiles.js";
import { sharedSkip } from "./support/sharedData.js";

const dataDir = path.resolve(process.cwd(), "../shared/datasets");
const skip = sharedSkip(dataDir);
const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-failure-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Answers log-likelihoods from the text; generation crashes when `crash` says so. */
class FakeBackend implements Backend {
  constructor(private readonly crashGeneration: boolean) {}
  async loglikelihood(requests: LoglikelihoodRequest[]): Promise<LoglikelihoodResponse[]> {
    return requests.map((r) => ({ logprob: -r.continuation.length / 3 - r.context.length / 1000, isGreedy: r.continuation.length < 3 }));
  }
  async generate(requests: ResolvedGenerateRequest[]): Promise<string[]> {
    if (this.crashGeneration) throw new Error("engine crashed in generation");
    return requests.map(() => "答えは 3 です。");
  }
  tokenize(text: string): number[] {
    return [...text].map((c) => c.codePointAt(0)!);
  }
  eosText(): string {
    return "</s>";
  }
  describe(): BackendDescription {
    return { engine: "fake", engineVersion: "1", modelPath: "fake.gguf", modelSha256: "f".repeat(64), contextSize: 2048, batchSize: 512, threads: 1, kvCacheType: "f16", flashAttention: false, gpu: false };
  }
  async dispose(): Promise<void> {}
}

function options(out: string, tasks: string[], backend: Backend) {
  return { model: "fake.gguf", tasks, shots: [0], limit: 3, dataDir, outputDir: out, noCache: true, backend };
}

function readDoc(dir: string): ResultsDocument {
  return readRunDoc(dir);
}

/** The run's own folder (lm-eval's <output>/<model name>), where its samples and results are. */
function modelDir(out: string): string {
  return path.dirname(runResultsFile(out));
}

test("a crash in generation after scoring writes the scored task as partial results, then fails with the crash", { skip }, async () => {
  // What JCommonsenseQA alone gives with the same backend: the expected partial scores.
  const alone = path.join(scratch, "jcs-alone");
  await runEvaluation(options(alone, ["jcs"], new FakeBackend(false)));

  const out = path.join(scratch, "gen-crash");
  const warnings: string[] = [];
  await assert.rejects(runEvaluation({ ...options(out, ["jcs", "mgsm"], new FakeBackend(true)), warn: (l: string) => warnings.push(l) }), /^Error: engine crashed in generation$/);
  const doc = readDoc(out);
  assert.equal(doc.rakuten_eval.complete, false);
  assert.equal(doc.rakuten_eval.incomplete_reason, "failed: engine crashed in generation");
  assert.deepEqual(Object.keys(doc.results), ["jcommonsenseqa-1.1-0.3"]);
  assert.deepEqual(doc.results, readDoc(alone).results);
  assert.deepEqual(doc["n-samples"], { "jcommonsenseqa-1.1-0.3": { original: 1119, effective: 3 } });
  assert.deepEqual(doc.rakuten_eval.skipped, [{ task: "mgsm-1.0-0.3", reason: "stopped before any of its docs was scored" }]);
  assert.ok(doc.rakuten_eval.notes.some((n) => /^failed: engine crashed in generation: partial results, 3 of 6 docs scored; fix the cause and rerun/.test(n)), doc.rakuten_eval.notes.join("\n"));
  assert.deepEqual(readdirSync(modelDir(out)).map((f) => f.replace(/_\d{4}-\d\d-\d\dT[\d.-]+\.json/, "_<date>.json")).sort(), ["results_<date>.json", "samples_jcommonsenseqa-1.1-0.3_<date>.jsonl"]);
  assert.deepEqual(samplesFileProblems(runResultsFile(out), doc), []);
  assert.equal(readFileSync(runSamplesFile(out, "jcommonsenseqa-1.1-0.3"), "utf8"), readFileSync(runSamplesFile(alone, "jcommonsenseqa-1.1-0.3"), "utf8"));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /^error after work began: partial results \(3 of 6 docs\) written to .*results_[\d.T-]+\.json with rakuten_eval\.complete false; nothing was kept for a resume \(--no-cache\)\.$/);
});

test("a task whose metric throws: the other task's results are written, the failing one is listed with the reason", { skip }, async () => {
  const task = findTask("xwinograd_ja");
  const original = task.processResults;
  task.processResults = () => {
    throw new Error("metric exploded");
  };
  try {
    const out = path.join(scratch, "metric-crash");
    await assert.rejects(runEvaluation(options(out, ["jcs", "xwinograd_ja"], new FakeBackend(false))), /metric exploded/);
    const doc = readDoc(out);
    assert.equal(doc.rakuten_eval.complete, false);
    assert.equal(doc.rakuten_eval.incomplete_reason, "failed: metric exploded");
    assert.deepEqual(Object.keys(doc.results), ["jcommonsenseqa-1.1-0.3"]);
    assert.deepEqual(doc.rakuten_eval.skipped, [{ task: "xwinograd_ja", reason: "scoring failed: metric exploded" }]);
    assert.deepEqual(samplesFileProblems(runResultsFile(out), doc), []);
  } finally {
    task.processResults = original;
  }
});

test("a failure before any answer writes nothing and keeps an earlier run's outputs", { skip }, async () => {
  const out = path.join(scratch, "early");
  await runEvaluation(options(out, ["jcs"], new FakeBackend(false)));
  const before = readdirSync(modelDir(out)).sort();
  const earlier = readFileSync(runResultsFile(out), "utf8");
  const broken = new FakeBackend(false);
  broken.loglikelihood = async () => {
    throw new Error("engine crashed at once");
  };
  await assert.rejects(runEvaluation(options(out, ["jcs"], broken)), /engine crashed at once/);
  assert.deepEqual(readdirSync(modelDir(out)).sort(), before);
  assert.equal(readFileSync(runResultsFile(out), "utf8"), earlier);
});
