// The promise of the request cache, end to end through the CLI on a real model: a run killed
// with SIGKILL part way is rerun, reuses every answer that was stored, computes only the rest,
// and ends with the same results as a run that was never interrupted. Ctrl-C (SIGINT) writes
// partial results marked incomplete and exits with 130.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";

const root = process.cwd();
const model = path.resolve(root, "../shared/models/stories260K.gguf");
const dataDir = path.resolve(root, "../shared/datasets");
const skip = (!existsSync(model) || !existsSync(dataDir)) && "../shared/models/stories260K.gguf or ../shared/datasets absent";

const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-resume-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

// Small enough for ~20 s on 2 cores: JCommonsenseQA 0-shot has 5 choices per question and
// xWinograd 2 options, so 8 docs each give 8·5 + 8·2 = 56 loglikelihood requests.
const TASK_ARGS = ["--tasks", "jcs,xwinograd_ja", "--shots", "0", "--limit", "8"];
const EXPECTED_REQUESTS = 8 * 5 + 8 * 2;

function runArgs(output: string, cache: string[]): string[] {
  return ["bin/run.js", "run", ...TASK_ARGS, "--model", model, "--data-dir", dataDir, "--output", output, "--threads", "1", ...cache];
}

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function start(args: string[]): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
  const done = new Promise<Finished>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stderr })));
  return { child, done };
}

function rows(cacheDir: string): { key: string; created: number }[] {
  const file = path.join(cacheDir, "requests.sqlite");
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare("SELECT request_key AS key, created_at AS created FROM answers ORDER BY request_key").all() as { key: string; created: number }[];
  } catch {
    return []; // tables not created yet
  } finally {
    db.close();
  }
}

/** Sends `signal` as soon as the cache holds at least `minRows` answers. */
async function interruptOnceStored(cacheDir: string, args: string[], signal: NodeJS.Signals, minRows: number): Promise<Finished> {
  const { child, done } = start(args);
  let ended = false;
  void done.then(() => (ended = true));
  for (;;) {
    if (ended) break;
    if (rows(cacheDir).length >= minRows) {
      child.kill(signal);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return done;
}

function comparable(resultsFile: string): unknown {
  const doc = JSON.parse(readFileSync(resultsFile, "utf8")) as Record<string, unknown>;
  delete doc["date"];
  delete doc["total_evaluation_time_seconds"];
  return doc;
}

function samples(dir: string): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const f of readdirSync(dir).filter((n) => n.startsWith("samples_"))) {
    for (const line of readFileSync(path.join(dir, f), "utf8").split("\n").filter(Boolean)) {
      const s = JSON.parse(line) as Record<string, unknown>;
      out.set(`${String(s["task"])}#${String(s["doc_id"])}`, s);
    }
  }
  return out;
}

test("SIGKILL part way, rerun: nothing finished is recomputed and the results equal an uninterrupted run's", { skip, timeout: 120_000 }, async () => {
  const baselineOut = path.join(scratch, "baseline");
  const baseline = await start(runArgs(baselineOut, ["--no-cache"])).done;
  assert.equal(baseline.code, 0, baseline.stderr);

  const cacheDir = path.join(scratch, "cache-kill");
  const out = path.join(scratch, "resumed");
  const killed = await interruptOnceStored(cacheDir, runArgs(out, ["--cache-dir", cacheDir]), "SIGKILL", 10);
  assert.equal(killed.signal, "SIGKILL", `the run ended before it could be killed: ${killed.stderr}`);
  assert.ok(!existsSync(path.join(out, "results.json")), "a killed run writes no results");

  const before = rows(cacheDir);
  assert.ok(before.length > 0 && before.length < EXPECTED_REQUESTS, `some but not all answers stored: ${before.length}`);

  const rerun = await start(runArgs(out, ["--cache-dir", cacheDir])).done;
  assert.equal(rerun.code, 0, rerun.stderr);
  const phase = /^loglikelihood: (\d+) of (\d+) requests from cache, (\d+) to compute/m.exec(rerun.stderr);
  assert.ok(phase, `a reuse line on stderr:\n${rerun.stderr}`);
  const [fromCache, distinct, toCompute] = [Number(phase[1]), Number(phase[2]), Number(phase[3])];
  assert.equal(distinct, EXPECTED_REQUESTS);
  assert.equal(fromCache, before.length, "every stored answer is reused");
  assert.equal(toCompute, EXPECTED_REQUESTS - before.length, "only the rest is computed");
  assert.match(rerun.stderr, new RegExp(`^cache: ${before.length} answers reused, ${EXPECTED_REQUESTS - before.length} computed and stored in `, "m"));

  // The answers stored before the kill were not written again (their timestamps are unchanged).
  const afterRows = rows(cacheDir);
  assert.equal(afterRows.length, EXPECTED_REQUESTS);
  const created = new Map(afterRows.map((r) => [r.key, r.created]));
  for (const r of before) assert.equal(created.get(r.key), r.created);

  assert.deepEqual(comparable(path.join(out, "results.json")), comparable(path.join(baselineOut, "results.json")));
  for (const f of readdirSync(baselineOut).filter((n) => n.startsWith("samples_"))) {
    assert.equal(readFileSync(path.join(out, f), "utf8"), readFileSync(path.join(baselineOut, f), "utf8"), f);
  }
  // Outputs are renamed into place: no temporary file is left behind.
  assert.deepEqual(readdirSync(out).sort(), ["results.json", "samples_jcommonsenseqa-1.1-0.3.jsonl", "samples_xwinograd_ja.jsonl"]);

  // Ctrl-C: partial results, marked incomplete, exit code 130; each scored doc as in the full run.
  const sigintCache = path.join(scratch, "cache-sigint");
  const partialOut = path.join(scratch, "partial");
  const interrupted = await interruptOnceStored(sigintCache, runArgs(partialOut, ["--cache-dir", sigintCache]), "SIGINT", 12);
  assert.equal(interrupted.code, 130, interrupted.stderr);
  assert.match(interrupted.stderr, /^interrupted: partial results \(\d+ of 16 docs\) written to .*results\.json with rakuten_eval\.complete false; rerun the same command to resume/m);
  const partial = JSON.parse(readFileSync(path.join(partialOut, "results.json"), "utf8")) as { rakuten_eval: { complete: boolean } };
  assert.equal(partial.rakuten_eval.complete, false);
  const full = samples(baselineOut);
  const some = samples(partialOut);
  // 12 or more answers were stored before the signal (chunks of 4, 8, ... in prefix order), so
  // at least one doc is complete; the run stopped long before the 56th.
  assert.ok(some.size >= 1 && some.size < 16, `some docs but fewer than the full run: ${some.size}`);
  console.log(`SIGKILL after ${before.length} of ${EXPECTED_REQUESTS} answers; SIGINT run scored ${some.size} of 16 docs`);
  for (const [id, s] of some) assert.deepEqual(s, full.get(id), id);
});
