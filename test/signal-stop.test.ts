// SIGTERM (a CI timeout, `docker stop`, a pod eviction) and SIGHUP (a closed terminal) end a
// run as Ctrl-C does, through the CLI with real signals at each moment a job can be stopped:
// while the model loads, mid-scoring, mid-generation, while publishing, from outside, and twice.
// Each time: the exit code is 128 + the signal (143, 129), one line names the signal, what
// finished is kept (partial results marked complete: false with the signal as the reason, every
// stored answer reused by the rerun, which computes exactly the rest), all within seconds.
//
// The in-process stops come from RAKUTEN_EVAL_KILL_AT=<point>:<n>:SIGTERM (src/util/killPoint.ts).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { readRunDoc } from "./support/runFiles.js";
import { sharedSkip } from "./support/sharedData.js";

const root = process.cwd();
const model = path.resolve(root, "../shared/models/stories260K.gguf");
const dataDir = path.resolve(root, "../shared/datasets");
const skip = sharedSkip(model, dataDir);

const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-signal-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

// 8 JCommonsenseQA questions 0-shot (5 choices) and 8 xWinograd pairs: 56 loglikelihood requests.
const SCORING = ["--tasks", "jcs,xwinograd_ja", "--shots", "0", "--limit", "8"];
const SCORING_REQUESTS = 56;
// 3 JSQuAD questions 0-shot: one generation each.
const GENERATION = ["--tasks", "jsquad", "--shots", "0", "--limit", "3"];

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** Milliseconds from the (first) signal sent from outside to the exit; 0 when none was sent. */
  afterSignalMs: number;
}

function start(name: string, taskArgs: string[], stopAt?: string): { child: ChildProcess; done: Promise<Finished>; signalled: (at: number) => void; out: string; cache: string } {
  const out = path.join(scratch, name, "out");
  const cache = path.join(scratch, name, "cache");
  const env = { ...process.env };
  delete env["RAKUTEN_EVAL_KILL_AT"];
  if (stopAt !== undefined) env["RAKUTEN_EVAL_KILL_AT"] = stopAt;
  const args = ["bin/run.js", "run", ...taskArgs, "--model", model, "--data-dir", dataDir, "--output", out, "--cache-dir", cache, "--threads", "1"];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "ignore", "pipe"], env });
  let stderr = "";
  let sentAt = 0;
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
  const done = new Promise<Finished>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stderr, afterSignalMs: sentAt === 0 ? 0 : Date.now() - sentAt })));
  return { child, done, signalled: (at) => (sentAt = at), out, cache };
}

function storedAnswers(cacheDir: string, kind?: string): number {
  const file = path.join(cacheDir, "requests.sqlite");
  if (!existsSync(file)) return 0;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(`SELECT COUNT(*) AS n FROM answers${kind ? " WHERE kind = ?" : ""}`).get(...(kind ? [kind] : [])) as { n: number }).n;
  } catch {
    return 0;
  } finally {
    db.close();
  }
}

/** The reuse line of a phase: [from cache, distinct, to compute]. */
function reuse(stderr: string, kind: "loglikelihood" | "generate"): [number, number, number] {
  const m = new RegExp(`^${kind}: (\\d+) of (\\d+) requests from cache, (\\d+) to compute`, "m").exec(stderr);
  assert.ok(m, `a ${kind} reuse line:\n${stderr}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

const errorLines = (stderr: string, signal: string) => stderr.split("\n").filter((l) => l.startsWith(`interrupted by ${signal}: `));

/** The rerun of a stopped run: exit 0, complete, and exactly the answers not stored before computed. */
async function rerunComputesTheRest(name: string, taskArgs: string[], kind: "loglikelihood" | "generate", total: number, stored: number): Promise<void> {
  const rerun = await start(name, taskArgs).done;
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.deepEqual(reuse(rerun.stderr, kind), [stored, total, total - stored], `${name}: the rerun reuses the ${stored} stored answers and computes the rest`);
  assert.equal(storedAnswers(path.join(scratch, name, "cache"), kind), total);
}

test("SIGTERM while the model loads: exit 143, one line naming it, nothing written; the rerun computes everything", { skip, timeout: 120_000 }, async () => {
  const { done, out, cache } = start("load", SCORING, "model-load:1:SIGTERM");
  const stopped = await done;
  assert.equal(stopped.code, 143, stopped.stderr);
  assert.deepEqual(errorLines(stopped.stderr, "SIGTERM"), ["interrupted by SIGTERM: stopped while loading the model, before any request was scored; nothing was written."]);
  assert.equal(existsSync(path.join(out, "stories260K")), false, "no results");
  assert.equal(storedAnswers(cache), 0);
  await rerunComputesTheRest("load", SCORING, "loglikelihood", SCORING_REQUESTS, 0);
});

test("SIGTERM mid-scoring: exit 143, partial results marked complete: false by SIGTERM; the rerun computes only what was not stored", { skip, timeout: 120_000 }, async () => {
  const { done, out, cache } = start("scoring", SCORING, "stored:5:SIGTERM");
  const stopped = await done;
  assert.equal(stopped.code, 143, stopped.stderr);
  const lines = errorLines(stopped.stderr, "SIGTERM");
  assert.equal(lines.length, 1, stopped.stderr);
  assert.match(lines[0]!, /^interrupted by SIGTERM: partial results \(\d+ of 16 docs\) written to .*results_[\d.T-]+\.json with rakuten_eval\.complete false; rerun the same command to resume/);
  const doc = readRunDoc(out);
  assert.equal(doc.rakuten_eval.complete, false);
  assert.equal(doc.rakuten_eval.incomplete_reason, "interrupted by SIGTERM");
  const stored = storedAnswers(cache);
  assert.ok(stored >= 5 && stored < SCORING_REQUESTS, `answers stored before the stop: ${stored}`);
  await rerunComputesTheRest("scoring", SCORING, "loglikelihood", SCORING_REQUESTS, stored);
});

test("SIGTERM mid-generation: exit 143, partial results; the rerun generates only what was not stored", { skip, timeout: 180_000 }, async () => {
  const { done, out, cache } = start("generation", GENERATION, "stored-generate:1:SIGTERM");
  const stopped = await done;
  assert.equal(stopped.code, 143, stopped.stderr);
  assert.equal(errorLines(stopped.stderr, "SIGTERM").length, 1, stopped.stderr);
  assert.equal(readRunDoc(out).rakuten_eval.incomplete_reason, "interrupted by SIGTERM");
  const stored = storedAnswers(cache, "generate");
  assert.ok(stored >= 1 && stored < 3, `generations stored before the stop: ${stored}`);
  await rerunComputesTheRest("generation", GENERATION, "generate", 3, stored);
});

test("SIGTERM while publishing: the run finishes, its results complete, exit 0 and one line naming the signal; the rerun computes nothing", { skip, timeout: 120_000 }, async () => {
  const { done, out } = start("publish", SCORING, "publish-write:1:SIGTERM");
  const stopped = await done;
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.match(stopped.stderr, /^SIGTERM received after the last answer: the run finished; its results are complete \(.*results_[\d.T-]+\.json\)\.$/m);
  const doc = readRunDoc(out);
  assert.equal(doc.rakuten_eval.complete, true);
  assert.deepEqual(readdirSync(path.join(out, "stories260K")).filter((n) => n.startsWith(".")), [], "no temporary left");
  await rerunComputesTheRest("publish", SCORING, "loglikelihood", SCORING_REQUESTS, SCORING_REQUESTS);
});

/** Sends `signals` from outside once the cache holds `minRows` answers; the run's outcome. */
async function signalOnceStored(name: string, signals: NodeJS.Signals[], minRows: number): Promise<Finished> {
  const { child, done, signalled, cache } = start(name, SCORING);
  let ended = false;
  void done.then(() => (ended = true));
  while (!ended) {
    if (storedAnswers(cache) >= minRows) {
      signalled(Date.now());
      for (const s of signals) child.kill(s);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return done;
}

test("SIGHUP from outside mid-scoring: exit 129 within seconds, partial results by SIGHUP; the rerun computes the rest", { skip, timeout: 120_000 }, async () => {
  const stopped = await signalOnceStored("hangup", ["SIGHUP"], 10);
  assert.equal(stopped.code, 129, stopped.stderr);
  assert.equal(errorLines(stopped.stderr, "SIGHUP").length, 1, stopped.stderr);
  assert.ok(stopped.afterSignalMs < 10_000, `exited ${stopped.afterSignalMs} ms after the signal`);
  assert.equal(readRunDoc(path.join(scratch, "hangup", "out")).rakuten_eval.incomplete_reason, "interrupted by SIGHUP");
  const stored = storedAnswers(path.join(scratch, "hangup", "cache"));
  await rerunComputesTheRest("hangup", SCORING, "loglikelihood", SCORING_REQUESTS, stored);
});

test("a second SIGTERM ends the run at once with 143; what was stored is reused", { skip, timeout: 120_000 }, async () => {
  const stopped = await signalOnceStored("twice", ["SIGTERM", "SIGTERM"], 10);
  assert.equal(stopped.code, 143, stopped.stderr);
  assert.equal(stopped.signal, null, "exited by itself, not killed by the default handler");
  assert.ok(stopped.afterSignalMs < 5_000, `exited ${stopped.afterSignalMs} ms after the signals`);
  const stored = storedAnswers(path.join(scratch, "twice", "cache"));
  assert.ok(stored >= 10, `${stored}`);
  await rerunComputesTheRest("twice", SCORING, "loglikelihood", SCORING_REQUESTS, stored);
});
