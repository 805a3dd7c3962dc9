// Two runs of the same command on the same files give the same results JSON, apart from the
// date and the duration, and byte-identical samples files (no cache involved: --no-cache).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readRunDoc, runSamplesFiles } from "./support/runFiles.js";
import { sharedSkip } from "./support/sharedData.js";

const root = process.cwd();
const model = path.resolve(root, "../shared/models/stories260K.gguf");
const dataDir = path.resolve(root, "../shared/datasets");
const skip = sharedSkip(model, dataDir);
const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-determinism-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function run(output: string): void {
  const args = ["bin/run.js", "run", "--tasks", "jcs,xwinograd_ja", "--shots", "0", "--limit", "2", "--model", model, "--data-dir", dataDir, "--output", output, "--no-cache", "-q"];
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
}

test("the same command twice: identical results apart from timestamps and durations", { skip, timeout: 60_000 }, () => {
  const a = path.join(scratch, "a");
  const b = path.join(scratch, "b");
  run(a);
  run(b);
  const load = (dir: string) => readRunDoc(dir) as unknown as Record<string, unknown> & { rakuten_eval: Record<string, unknown> };
  const docA = load(a);
  const docB = load(b);
  // What may differ: when and how long, and the samples files' names (they carry the date id).
  const samplesA = runSamplesFiles(a);
  const samplesB = runSamplesFiles(b);
  for (const doc of [docA, docB]) {
    assert.equal(typeof doc["date"], "number");
    assert.equal(typeof doc["total_evaluation_time_seconds"], "string");
    delete doc["date"];
    delete doc["total_evaluation_time_seconds"];
    delete doc["start_time"];
    delete doc["end_time"];
    delete doc.rakuten_eval["started"];
    doc.rakuten_eval["samples"] = Object.values(doc.rakuten_eval["samples"] as object);
  }
  assert.deepEqual(docA, docB);
  assert.deepEqual([...samplesA.keys()], ["jcommonsenseqa-1.1-0.3", "xwinograd_ja"]);
  assert.deepEqual([...samplesB.keys()], [...samplesA.keys()]);
  const model = readdirSync(a);
  assert.equal(model.length, 1, "one model folder");
  assert.deepEqual(readdirSync(path.join(a, model[0]!)).map((f) => f.replace(/_\d{4}-\d\d-\d\dT[\d.-]+\.json/, "_<date>.json")).sort(), [
    "results_<date>.json",
    "samples_jcommonsenseqa-1.1-0.3_<date>.jsonl",
    "samples_xwinograd_ja_<date>.jsonl",
  ]);
  for (const [task, f] of samplesA) assert.equal(readFileSync(f, "utf8"), readFileSync(samplesB.get(task)!, "utf8"), task);
});
