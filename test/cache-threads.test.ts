// The cache key leaves the thread count out. That is sound only if scores do not depend on
// it: stories260K's scores with 1 and 2 threads must be bit-identical, and an answer cached
// with 1 thread is then served to a run with 2.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readAllRunSamples, readRunDoc } from "./support/runFiles.js";
import { sharedSkip } from "./support/sharedData.js";

const root = process.cwd();
const model = path.resolve(root, "../shared/models/stories260K.gguf");
const dataDir = path.resolve(root, "../shared/datasets");
const skip = sharedSkip(model, dataDir);
const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-threads-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function run(output: string, extra: string[]): string {
  const args = ["bin/run.js", "run", "--tasks", "jcs,xwinograd_ja", "--shots", "0", "--limit", "2", "--model", model, "--data-dir", dataDir, "--output", output, ...extra];
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stderr;
}

/** Every response of every sample, as written (JSON keeps doubles exact). */
function responses(dir: string): string[] {
  const out: string[] = [];
  for (const s of readAllRunSamples(dir)) out.push(JSON.stringify(s.responses));
  return out;
}

test("scores with 1 and 2 threads are bit-identical, so a 1-thread answer serves a 2-thread run", { skip, timeout: 60_000 }, () => {
  const cacheDir = path.join(scratch, "cache");
  const one = path.join(scratch, "t1");
  const two = path.join(scratch, "t2");
  run(one, ["--threads", "1", "--cache-dir", cacheDir]);
  run(two, ["--threads", "2", "--no-cache"]);
  const r1 = responses(one);
  assert.equal(r1.length, 4);
  assert.deepEqual(responses(two), r1);
  const threadsOf = (dir: string) => readRunDoc(dir).rakuten_eval.engine.threads;
  assert.equal(threadsOf(one), 1);
  assert.equal(threadsOf(two), 2);

  const again = path.join(scratch, "t2-cached");
  const stderr = run(again, ["--threads", "2", "--cache-dir", cacheDir]);
  // jcs 0-shot: 2 questions × 5 choices; xWinograd: 2 × 2 options.
  assert.match(stderr, /^loglikelihood: 14 of 14 requests from cache, 0 to compute$/m);
  assert.deepEqual(responses(again), r1);
});

// `mmap` is left out of the key for the same reason: mapped or read, the weights are the same
// bytes through the same kernels. Checked bit for bit, and the setting recorded as used.
test("scores with --mmap on and off are bit-identical, so a mapped run's answers serve an unmapped one", { skip, timeout: 60_000 }, () => {
  const cacheDir = path.join(scratch, "cache-mmap");
  const mapped = path.join(scratch, "mmap-on");
  const read = path.join(scratch, "mmap-off");
  run(mapped, ["--mmap", "on", "--cache-dir", cacheDir]);
  run(read, ["--mmap", "off", "--no-cache"]);
  assert.deepEqual(responses(read), responses(mapped));
  const mmapOf = (dir: string) => readRunDoc(dir).rakuten_eval.engine["mmap"];
  assert.equal(mmapOf(mapped), true);
  assert.equal(mmapOf(read), false);
  const again = path.join(scratch, "mmap-off-cached");
  const stderr = run(again, ["--mmap", "off", "--cache-dir", cacheDir]);
  assert.match(stderr, /^loglikelihood: 14 of 14 requests from cache, 0 to compute$/m);
});
