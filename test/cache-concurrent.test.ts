// Two runs sharing one request cache at the same time, through the CLI on a real model: both
// finish without an error or a lock timeout, the second reuses what the first had committed
// when it started and what the first commits while it runs (the store is read again before
// each chunk), every answer is stored once, and both give the same results as a run alone.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { readAllRunSamples, readRunDoc } from "./support/runFiles.js";
import { sharedSkip } from "./support/sharedData.js";

const root = process.cwd();
const model = path.resolve(root, "../shared/models/stories260K.gguf");
const dataDir = path.resolve(root, "../shared/datasets");
const skip = sharedSkip(model, dataDir);
const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-concurrent-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

// JCommonsenseQA 0-shot, 5 choices × 8 docs, and xWinograd, 2 × 8: 56 requests.
const EXPECTED_REQUESTS = 56;

function run(output: string, cacheDir: string): { done: Promise<{ code: number | null; stderr: string }> } {
  const args = ["bin/run.js", "run", "--tasks", "jcs,xwinograd_ja", "--shots", "0", "--limit", "8", "--model", model, "--data-dir", dataDir, "--output", output, "--threads", "1", "--cache-dir", cacheDir];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
  return { done: new Promise((resolve) => child.on("close", (code) => resolve({ code, stderr }))) };
}

function stored(cacheDir: string): number {
  const file = path.join(cacheDir, "requests.sqlite");
  if (!existsSync(file)) return 0;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM answers").get() as { n: number }).n;
  } catch {
    return 0;
  } finally {
    db.close();
  }
}

/** Every sample's responses by task and doc (log-likelihoods as numbers). */
function responses(dir: string): Map<string, { logprob: number; isGreedy: boolean }[]> {
  const out = new Map<string, { logprob: number; isGreedy: boolean }[]>();
  for (const s of readAllRunSamples(dir)) out.set(`${s.task}#${s.doc_id}`, s.responses);
  return out;
}

/** The same docs and greedy flags, log-likelihoods within 1e-6 nats (a run that shares work may batch differently). */
function assertClose(dir: string, reference: string): void {
  const got = responses(dir);
  const want = responses(reference);
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
  for (const [id, w] of want) {
    const g = got.get(id)!;
    assert.deepEqual(g.map((r) => r.isGreedy), w.map((r) => r.isGreedy), id);
    g.forEach((r, i) => assert.ok(Math.abs(r.logprob - w[i]!.logprob) <= 1e-6, `${id}: ${r.logprob} vs ${w[i]!.logprob}`));
  }
}

function results(dir: string): unknown {
  return readRunDoc(dir).results;
}

function cacheLine(stderr: string): { reused: number; computed: number } {
  const m = /^cache: (\d+) answers reused, (\d+) computed and stored in /m.exec(stderr);
  assert.ok(m, stderr);
  return { reused: Number(m[1]), computed: Number(m[2]) };
}

const aloneOut = path.join(scratch, "alone");
let aloneDone: Promise<unknown> | undefined;

test("two runs at once on one cache: no errors, the second reuses the first's answers, each answer stored once", { skip, timeout: 120_000 }, async () => {
  const cacheDir = path.join(scratch, "cache");
  const first = run(path.join(scratch, "a"), cacheDir);
  // The second starts once the first has committed some answers.
  for (let waited = 0; stored(cacheDir) < 8 && waited < 60_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  const atStart = stored(cacheDir);
  const second = run(path.join(scratch, "b"), cacheDir);
  const [a, b] = await Promise.all([first.done, second.done]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  for (const stderr of [a.stderr, b.stderr]) assert.doesNotMatch(stderr, /warning|locked|SQLITE_BUSY|error/i);

  const phase = /^loglikelihood: (\d+) of 56 requests from cache, (\d+) to compute$/m.exec(b.stderr);
  assert.ok(phase, b.stderr);
  assert.ok(Number(phase[1]) >= atStart, `the second run reused the ${atStart} answers stored when it started: ${phase[0]}`);
  const ca = cacheLine(a.stderr);
  const cb = cacheLine(b.stderr);
  assert.equal(ca.reused + ca.computed, EXPECTED_REQUESTS);
  assert.equal(cb.reused + cb.computed, EXPECTED_REQUESTS);
  assert.ok(cb.reused >= atStart && cb.reused >= 8);
  assert.equal(stored(cacheDir), EXPECTED_REQUESTS, "every answer stored exactly once");
  console.log(`second run started with ${atStart} answers stored; it reused ${cb.reused} and computed ${cb.computed}; the first computed ${ca.computed}`);

  // Both give what a run alone gives.
  const alone = run(aloneOut, path.join(scratch, "cache-alone"));
  aloneDone = alone.done;
  assert.equal((await alone.done).code, 0);
  for (const dir of ["a", "b"]) {
    assertClose(path.join(scratch, dir), aloneOut);
    assert.deepEqual(results(path.join(scratch, dir)), results(aloneOut));
  }
});

test("two runs started at the same moment: no errors, every answer stored once, the work shared through claims", { skip, timeout: 120_000 }, async () => {
  const cacheDir = path.join(scratch, "cache-together");
  const first = run(path.join(scratch, "c"), cacheDir);
  const second = run(path.join(scratch, "d"), cacheDir);
  const [c, d] = await Promise.all([first.done, second.done]);
  assert.equal(c.code, 0, c.stderr);
  assert.equal(d.code, 0, d.stderr);
  for (const stderr of [c.stderr, d.stderr]) assert.doesNotMatch(stderr, /warning|locked|SQLITE_BUSY|error/i);
  const [cc, cd] = [cacheLine(c.stderr), cacheLine(d.stderr)];
  assert.equal(cc.reused + cc.computed, EXPECTED_REQUESTS);
  assert.equal(cd.reused + cd.computed, EXPECTED_REQUESTS);
  assert.equal(stored(cacheDir), EXPECTED_REQUESTS);
  console.log(`started together: one computed ${cc.computed}, the other ${cd.computed} (of ${EXPECTED_REQUESTS})`);
  if (aloneDone) {
    await aloneDone;
    for (const dir of ["c", "d"]) {
      assertClose(path.join(scratch, dir), aloneOut);
      assert.deepEqual(results(path.join(scratch, dir)), results(aloneOut));
    }
  }
});
