// The promise of the request cache and of the output folder, end to end through the CLI on a
// real model. A run is killed with SIGKILL at several moments (during model load, at two points
// mid-scoring, at two steps of publishing its outputs) and rerun each time on the same cache:
// every answer stored before a kill is reused, exactly the rest is computed, no output folder
// ever holds a results file beside samples of another run, an earlier run's files are never
// replaced, no temporary or orphaned file survives, and the final results equal those of a run
// that was never interrupted. Ctrl-C (SIGINT) writes partial
// results marked incomplete and exits with 130.
//
// The kills come from RAKUTEN_EVAL_KILL_AT=<point>:<n> (src/util/killPoint.ts): the process
// SIGKILLs itself the n-th time it passes that point, e.g. right after committing its n-th
// answer, so the number of answers that must survive is known exactly.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { samplesFileProblems } from "../src/results/samplesFiles.js";
import type { ResultsDocument } from "../src/results/document.js";
import { readAllRunSamples, readRunDoc, runResultsFile, runSamplesFile } from "./support/runFiles.js";
import { sharedSkip } from "./support/sharedData.js";

const root = process.cwd();
const model = path.resolve(root, "../shared/models/stories260K.gguf");
const dataDir = path.resolve(root, "../shared/datasets");
const skip = sharedSkip(model, dataDir);

const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-resume-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

// Small enough for a few seconds a run on 2 cores: JCommonsenseQA 0-shot has 5 choices per
// question and xWinograd 2 options, so 8 docs each give 8·5 + 8·2 = 56 loglikelihood requests.
const TASK_ARGS = ["--tasks", "jcs,xwinograd_ja", "--shots", "0", "--limit", "8"];
const EXPECTED_REQUESTS = 8 * 5 + 8 * 2;
const TASKS = ["jcommonsenseqa-1.1-0.3", "xwinograd_ja"];
/** lm-eval's layout: <output>/<model name>/ holds the run's files. */
const modelDir = (out: string) => path.join(out, "stories260K");
/** A folder listing with date ids replaced, so that runs can be told apart by count. */
const withoutDates = (names: string[]) => names.map((f) => f.replace(/_\d{4}-\d\d-\d\dT[\d.-]+\.json/, "_<date>.json")).sort();

function runArgs(output: string, cache: string[]): string[] {
  return ["bin/run.js", "run", ...TASK_ARGS, "--model", model, "--data-dir", dataDir, "--output", output, "--threads", "1", ...cache];
}

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function start(args: string[], killAt?: string): { child: ChildProcess; done: Promise<Finished> } {
  const env = { ...process.env };
  delete env["RAKUTEN_EVAL_KILL_AT"];
  if (killAt !== undefined) env["RAKUTEN_EVAL_KILL_AT"] = killAt;
  const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "ignore", "pipe"], env });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
  const done = new Promise<Finished>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stderr })));
  return { child, done };
}

function rows(cacheDir: string): { key: string; created: number; response: string }[] {
  const file = path.join(cacheDir, "requests.sqlite");
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare("SELECT request_key AS key, created_at AS created, response FROM answers ORDER BY request_key").all() as { key: string; created: number; response: string }[];
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

function comparable(resultsFile: string): Record<string, unknown> {
  const doc = JSON.parse(readFileSync(resultsFile, "utf8")) as Record<string, unknown>;
  delete doc["date"];
  delete doc["total_evaluation_time_seconds"];
  delete doc["start_time"];
  delete doc["end_time"];
  delete (doc["rakuten_eval"] as Record<string, unknown>)["started"];
  // The samples' hashes are compared through the samples themselves (below), with a tolerance.
  delete (doc["rakuten_eval"] as Record<string, unknown>)["samples"];
  delete doc["task_hashes"];
  return doc;
}

/** The newest run's samples by task and doc, log-likelihoods as our records hold them (`responses`). */
function samples(out: string): Map<string, Record<string, unknown>> {
  const result = new Map<string, Record<string, unknown>>();
  for (const s of readAllRunSamples(out)) {
    // resps and filtered_resps print the same log-likelihoods as text: compared through `responses`.
    const { resps: _r, filtered_resps: _f, rakuten_eval: _e, ...rest } = s as Record<string, unknown>;
    result.set(`${s.task}#${s.doc_id}`, rest);
  }
  return result;
}

/** The reuse line of a run: [from cache, distinct, to compute]. */
function reuse(stderr: string): [number, number, number] {
  const phase = /^loglikelihood: (\d+) of (\d+) requests from cache, (\d+) to compute/m.exec(stderr);
  assert.ok(phase, `a reuse line on stderr:\n${stderr}`);
  return [Number(phase[1]), Number(phase[2]), Number(phase[3])];
}

function readDoc(out: string): ResultsDocument {
  return readRunDoc(out);
}

/** Samples equal but for log-likelihoods, which must agree within `tolerance` nats; the largest difference. */
function assertSamplesClose(actual: Map<string, Record<string, unknown>>, expected: Map<string, Record<string, unknown>>, tolerance: number): number {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
  let largest = 0;
  for (const [id, want] of expected) {
    const got = actual.get(id)!;
    const strip = (s: Record<string, unknown>) => ({ ...s, responses: undefined });
    assert.deepEqual(strip(got), strip(want), id);
    const a = got["responses"] as { logprob: number; isGreedy: boolean }[];
    const b = want["responses"] as { logprob: number; isGreedy: boolean }[];
    assert.equal(a.length, b.length, id);
    for (let i = 0; i < a.length; i++) {
      assert.equal(a[i]!.isGreedy, b[i]!.isGreedy, `${id} response ${i}: isGreedy`);
      const difference = Math.abs(a[i]!.logprob - b[i]!.logprob);
      assert.ok(difference <= tolerance, `${id} response ${i}: ${a[i]!.logprob} vs ${b[i]!.logprob}`);
      largest = Math.max(largest, difference);
    }
  }
  return largest;
}

// One uninterrupted run that both tests compare with.
const baselineOut = path.join(scratch, "baseline");
let baselineRun: Promise<Finished> | undefined;
function baselineDone(): Promise<Finished> {
  baselineRun ??= start(runArgs(baselineOut, ["--no-cache"])).done;
  return baselineRun;
}

test("SIGKILL at model load, three times mid-scoring and twice while publishing: nothing stored is recomputed, no mixed or stray output, the same results", { skip, timeout: 240_000 }, async () => {
  const baseline = await baselineDone();
  assert.equal(baseline.code, 0, baseline.stderr);

  const cacheDir = path.join(scratch, "cache-kill");
  const out = path.join(scratch, "resumed");
  // The folder holds an earlier run's outputs: they must survive every kill and the rerun unchanged.
  cpSync(baselineOut, out, { recursive: true });
  const earlierFile = runResultsFile(out);
  const earlier = readDoc(out);
  const earlierFiles = readdirSync(modelDir(out)).sort();
  const earlierBytes = new Map(earlierFiles.map((f) => [f, readFileSync(path.join(modelDir(out), f), "utf8")]));
  const args = runArgs(out, ["--cache-dir", cacheDir]);
  const killedAt = async (point: string) => {
    const killed = await start(args, point).done;
    assert.equal(killed.signal, "SIGKILL", `killed at ${point}, not ended on its own: ${killed.stderr}`);
    return killed;
  };
  const earlierOutputsIntact = (when: string) => {
    assert.equal(runResultsFile(out), earlierFile, `${when}: no newer results file`);
    assert.equal(readDoc(out).date, earlier.date, `${when}: the earlier results file stays`);
    assert.deepEqual(samplesFileProblems(runResultsFile(out), readDoc(out)), [], `${when}: and its samples are the ones it names`);
  };

  // 1. During model load: nothing is stored, the earlier outputs are untouched.
  await killedAt("model-load:1");
  assert.equal(rows(cacheDir).length, 0);
  earlierOutputsIntact("killed at model load");

  // 2. Mid-scoring, right after the 5th answer was committed: exactly 5 are stored.
  let killed = await killedAt("stored:5");
  assert.deepEqual(reuse(killed.stderr), [0, EXPECTED_REQUESTS, EXPECTED_REQUESTS]);
  const first = rows(cacheDir);
  assert.equal(first.length, 5);

  // 3. Mid-scoring again, 14 answers later: all 5 reused, 14 more stored. In prefix order the 16
  //    xWinograd requests (empty context) come first, so the 19th is the 3rd of 5 choices of a
  //    JCommonsenseQA question: the rerun computes its other two choices without it.
  killed = await killedAt("stored:14");
  assert.deepEqual(reuse(killed.stderr), [5, EXPECTED_REQUESTS, EXPECTED_REQUESTS - 5]);
  const second = rows(cacheDir);
  assert.equal(second.length, 19);
  earlierOutputsIntact("killed mid-scoring");

  // 3b. From outside, at whatever moment the run is in once 25 answers are stored (perhaps in
  //     the middle of a commit): every committed answer survives and is reused.
  killed = await interruptOnceStored(cacheDir, args, "SIGKILL", 25);
  assert.equal(killed.signal, "SIGKILL", `the run ended before it could be killed: ${killed.stderr}`);
  assert.deepEqual(reuse(killed.stderr), [19, EXPECTED_REQUESTS, EXPECTED_REQUESTS - 19]);
  const third = rows(cacheDir);
  assert.ok(third.length >= 25 && third.length < EXPECTED_REQUESTS, `stored before the kill: ${third.length}`);
  earlierOutputsIntact("killed from outside");

  // 4. Publishing, after two files were written into the temporary folder: every answer is
  //    stored; the earlier outputs are still whole; a temporary folder is left behind.
  killed = await killedAt("publish-write:2");
  assert.deepEqual(reuse(killed.stderr), [third.length, EXPECTED_REQUESTS, EXPECTED_REQUESTS - third.length]);
  const all = rows(cacheDir);
  assert.equal(all.length, EXPECTED_REQUESTS);
  earlierOutputsIntact("killed while writing the outputs");
  assert.equal(readdirSync(modelDir(out)).filter((n) => n.startsWith(".tmp-")).length, 1, "the killed run's temporary folder");

  // 5. Publishing, after the first samples file was renamed in: no results file names it, the
  //    earlier run's results and samples are untouched (a new run never replaces them).
  killed = await killedAt("publish-rename:1");
  assert.deepEqual(reuse(killed.stderr), [EXPECTED_REQUESTS, EXPECTED_REQUESTS, 0]);
  earlierOutputsIntact("killed while renaming the outputs in");
  assert.equal(withoutDates(readdirSync(modelDir(out)).filter((n) => !n.startsWith("."))).length, earlierFiles.length + 1, "one orphaned samples file");

  // 6. The rerun finishes: nothing computed, the stale temporaries and the retired samples are gone.
  const rerun = await start(args).done;
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.deepEqual(reuse(rerun.stderr), [EXPECTED_REQUESTS, EXPECTED_REQUESTS, 0]);
  assert.match(rerun.stderr, new RegExp(`^cache: ${EXPECTED_REQUESTS} answers reused, 0 computed and stored in `, "m"));
  // The earlier run's files and the new run's, nothing else (the orphan and the temporaries are gone).
  const files = readdirSync(modelDir(out)).sort();
  assert.deepEqual(withoutDates(files), withoutDates([...earlierFiles, ...earlierFiles]));
  for (const [f, text] of earlierBytes) assert.equal(readFileSync(path.join(modelDir(out), f), "utf8"), text, `${f} unchanged`);
  assert.notEqual(runResultsFile(out), earlierFile, "the rerun's results file is the newest");
  assert.deepEqual(samplesFileProblems(runResultsFile(out), readDoc(out)), []);
  assert.deepEqual(Object.values(readDoc(out).rakuten_eval.samples ?? {}).map((r) => r.task).sort(), TASKS);

  // Answers stored before a kill were never written again (their rows are unchanged).
  const final = new Map(rows(cacheDir).map((r) => [r.key, r]));
  assert.equal(final.size, EXPECTED_REQUESTS);
  for (const r of [...first, ...second, ...third, ...all]) assert.deepEqual(final.get(r.key), r);

  // The same results as the uninterrupted run; log-likelihoods within 1e-6 nats (README).
  assert.deepEqual(comparable(runResultsFile(out)), comparable(runResultsFile(baselineOut)));
  const largest = assertSamplesClose(samples(out), samples(baselineOut), 1e-6);
  const identical = TASKS.every((t) => readFileSync(runSamplesFile(out, t), "utf8") === readFileSync(runSamplesFile(baselineOut, t), "utf8"));
  console.log(`kills at model-load, stored:5, stored:14, from outside after ${third.length} answers, publish-write:2, publish-rename:1; largest log-likelihood difference ${largest}; samples byte-identical: ${identical}`);
});

test("Ctrl-C: partial results marked incomplete, exit 130, each scored doc as in the full run", { skip, timeout: 120_000 }, async () => {
  const baseline = await baselineDone();
  assert.equal(baseline.code, 0, baseline.stderr);
  const sigintCache = path.join(scratch, "cache-sigint");
  const partialOut = path.join(scratch, "partial");
  const interrupted = await interruptOnceStored(sigintCache, runArgs(partialOut, ["--cache-dir", sigintCache]), "SIGINT", 12);
  assert.equal(interrupted.code, 130, interrupted.stderr);
  assert.match(interrupted.stderr, /^interrupted: partial results \(\d+ of 16 docs\) written to .*results_[\d.T-]+\.json with rakuten_eval\.complete false; rerun the same command to resume/m);
  const partial = readDoc(partialOut);
  assert.equal(partial.rakuten_eval.complete, false);
  assert.equal(partial.rakuten_eval.incomplete_reason, "interrupted");
  assert.deepEqual(samplesFileProblems(runResultsFile(partialOut), partial), []);
  const full = samples(baselineOut);
  const some = samples(partialOut);
  // 12 or more answers were stored before the signal, in prefix order: xWinograd's requests
  // (empty context) come first, so at least one doc is complete; the run stopped long before the 56th.
  assert.ok(some.size >= 1 && some.size < 16, `some docs but fewer than the full run: ${some.size}`);
  for (const [id, s] of some) assert.deepEqual(s, full.get(id), id);
  assert.deepEqual(readdirSync(modelDir(partialOut)).filter((n) => n.startsWith(".")), [], "no temporary or lock file left");
});
