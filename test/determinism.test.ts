// Two runs of the same command on the same files give the same results JSON, apart from the
// date and the duration, and byte-identical samples files (no cache involved: --no-cache).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const root = process.cwd();
const model = path.resolve(root, "../shared/models/stories260K.gguf");
const dataDir = path.resolve(root, "../shared/datasets");
const skip = (!existsSync(model) || !existsSync(dataDir)) && "../shared/models/stories260K.gguf or ../shared/datasets absent";
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
  const load = (dir: string) => JSON.parse(readFileSync(path.join(dir, "results.json"), "utf8")) as Record<string, unknown>;
  const docA = load(a);
  const docB = load(b);
  // What may differ: when and how long (and nothing else).
  for (const doc of [docA, docB]) {
    assert.equal(typeof doc["date"], "string");
    assert.equal(typeof doc["total_evaluation_time_seconds"], "number");
    delete doc["date"];
    delete doc["total_evaluation_time_seconds"];
  }
  assert.deepEqual(docA, docB);
  const files = readdirSync(a).sort();
  assert.deepEqual(files, readdirSync(b).sort());
  assert.deepEqual(files, ["results.json", "samples_jcommonsenseqa-1.1-0.3.jsonl", "samples_xwinograd_ja.jsonl"]);
  for (const f of files.filter((n) => n.startsWith("samples_"))) assert.equal(readFileSync(path.join(a, f), "utf8"), readFileSync(path.join(b, f), "utf8"), f);
});
