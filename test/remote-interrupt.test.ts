// Ctrl-C and SIGTERM reach the remote backend. Through the Backend contract's stop signal: once
// it fires, no new HTTP batch starts, the batches in flight are committed, the call rejects. And
// through the CLI, a `run --backend openai` against
// the loopback server, stopped while the server holds the answers to the batches in flight. On
// the server's side (a proxy in front of it counts the POSTs, one per HTTP batch): no batch
// starts after the signal, even once the held answers are let go; the run exits 130 (143) with
// partial results; every answer the server sent before the signal is in the cache; and the rerun
// with that cache sends the server exactly the requests that were not answered.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import type { LoglikelihoodRequest } from "../src/api/types.js";
import { InterruptedError } from "../src/backend/interruption.js";
import { createLlamaBackend } from "../src/backend/llama/index.js";
import { createRemoteBackend } from "../src/backend/remote/index.js";
import { runEvaluation } from "../src/run/run.js";
import { HoldingProxy } from "./support/holdingProxy.js";
import { LoopbackServer } from "./support/loopbackServer.js";
import { readRunDoc } from "./support/runFiles.js";
import { sharedSkip } from "./support/sharedData.js";

const root = process.cwd();
const model = path.resolve(root, "../shared/models/stories260K.gguf");
const dataDir = path.resolve(root, "../shared/datasets");
const skip = sharedSkip(model, dataDir);
const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-remote-stop-"));

// 16 JCommonsenseQA questions 0-shot, 5 choices each: 80 log-likelihood requests. The caching
// backend sends them in chunks of 4, 8, 16, 32, ... requests, a question's choices together
// (5, 10, 20, 35, 10), each cut into HTTP batches of up to 16 prompts, 2 in flight: 4 scoring
// batches (5, 10, 16, 4) pass, then the answers to the 5th and 6th (16 each, of the 35-request
// chunk) are held, and that chunk has a third batch (3) left to start.
const TASK = ["--tasks", "jcommonsenseqa-1.1-0.3", "--shots", "0", "--limit", "16"];
const REQUESTS = 80;
/** The first POST is the backend's probe (one prompt, never cached); then 4 scoring batches pass. */
const PASS_FIRST = 1 + 4;

let server: LoopbackServer | undefined;
before(async () => {
  if (!skip) server = await LoopbackServer.start(model, { kind: "vllm", servedModel: "stories" });
});
after(async () => {
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

interface Child {
  exited: Promise<{ code: number | null; stderr: string }>;
  stderr: () => string;
  kill: (signal: NodeJS.Signals) => void;
}

function startRun(name: string, baseUrl: string): Child {
  const args = ["bin/run.js", "run", ...TASK, "--backend", "openai", "--base-url", baseUrl, "--served-model", "stories", "--tokenizer", model, "--concurrency", "2"];
  args.push("--data-dir", dataDir, "--cache-dir", path.join(scratch, name, "cache"), "--output", path.join(scratch, name, "out"));
  const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on("close", (code) => resolve({ code, stderr })));
  return { exited, stderr: () => stderr, kill: (signal) => child.kill(signal) };
}

function storedAnswers(name: string): number {
  const file = path.join(scratch, name, "cache", "requests.sqlite");
  if (!existsSync(file)) return 0;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM answers").get() as { n: number }).n;
  } catch {
    return 0; // the table is not made yet
  } finally {
    db.close();
  }
}

async function until(what: string, condition: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function stopMidRun(signal: "SIGINT" | "SIGTERM", exitCode: number): Promise<void> {
  const name = signal.toLowerCase();
  const proxy = await HoldingProxy.start(server!.url, PASS_FIRST);
  let figures: string;
  try {
    const run = startRun(name, proxy.url);
    await Promise.race([proxy.firstHeld(), run.exited.then((r) => assert.fail(`the run ended before a batch was held:\n${r.stderr}`))]);
    // The other call in flight reaches the server too; everything answered so far is stored.
    await until("two batches in flight", () => proxy.posts.length >= PASS_FIRST + 2);
    const answeredBefore = proxy.answeredPrompts - 1;
    await until(`the ${answeredBefore} answered requests stored`, () => storedAnswers(name) === answeredBefore);
    const postsAtSignal = proxy.posts.length;
    const heldPrompts = proxy.heldPrompts;
    run.kill(signal);
    // The run has taken the signal (its abort has fired) before the held answers go out.
    await until("the run to take the signal", () => /: stopping; finished answers are kept/.test(run.stderr()));
    proxy.release();
    const stopped = await run.exited;
    assert.equal(stopped.code, exitCode, stopped.stderr);
    // The CLI exits within milliseconds of writing the partial results, so this count alone
    // could miss a batch started late; the library test below waits for one after the return.
    assert.equal(proxy.posts.length, postsAtSignal, "no HTTP batch starts after the signal");
    const doc = readRunDoc(path.join(scratch, name, "out"));
    assert.equal(doc.rakuten_eval.complete, false);
    assert.equal(doc.rakuten_eval.incomplete_reason, signal === "SIGINT" ? "interrupted" : `interrupted by ${signal}`);
    const stored = storedAnswers(name);
    assert.ok(stored >= answeredBefore && stored <= answeredBefore + heldPrompts, `${stored} stored: the ${answeredBefore} answered before the signal, and at most the ${heldPrompts} held`);
    figures = `${signal}: ${postsAtSignal - 1} scoring batches started before the signal (2 in flight, ${heldPrompts} requests held), 0 after; ${stored} of ${REQUESTS} answers stored`;
  } finally {
    await proxy.close();
  }

  // The rerun, through a proxy that holds nothing: only the requests not stored reach the server.
  const stored = storedAnswers(name);
  const counting = await HoldingProxy.start(server!.url);
  try {
    const rerun = await startRun(name, counting.url).exited;
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stderr, new RegExp(`^loglikelihood: ${stored} of ${REQUESTS} requests from cache, ${REQUESTS - stored} to compute$`, "m"));
    const sent = counting.posts.reduce((a, p) => a + p.prompts, 0) - 1;
    assert.equal(sent, REQUESTS - stored, "the rerun sends the server exactly the requests not stored (the probe aside)");
    assert.equal(storedAnswers(name), REQUESTS);
    console.log(`${figures}; the rerun sent ${sent} requests in ${counting.posts.length - 1} batches`);
  } finally {
    await counting.close();
  }
}

test("Ctrl-C during a remote run: no HTTP batch after it, exit 130, answers kept; the rerun computes only the rest", { skip, timeout: 120_000 }, () => stopMidRun("SIGINT", 130));

test("SIGTERM during a remote run: no HTTP batch after it, exit 143, answers kept; the rerun computes only the rest", { skip, timeout: 120_000 }, () => stopMidRun("SIGTERM", 143));

test("the remote backend's stop signal: no batch starts once it fires, the batches in flight are committed, the call rejects", { skip, timeout: 60_000 }, async () => {
  // 20 distinct requests, 4 prompts per HTTP call: 5 batches, 2 in flight. The first passes, the
  // answers to the 2nd and 3rd are held; the signal fires while they are held, then they go out.
  const requests: LoglikelihoodRequest[] = Array.from({ length: 20 }, (_, i) => ({ type: "loglikelihood", context: `Once upon a time there were ${i} cats.`, continuation: " They", tokenization: "separate" }));
  const proxy = await HoldingProxy.start(server!.url, 1 + 1);
  const remote = await createRemoteBackend({ baseUrls: [proxy.url], servedModel: "stories", tokenizerPath: model, concurrency: 2, promptsPerCall: 4 });
  try {
    const stop = new AbortController();
    const committed = new Set<number>();
    const call = remote.loglikelihood(requests, undefined, (index) => committed.add(index), stop.signal);
    await proxy.firstHeld();
    await until("two batches in flight", () => proxy.posts.length === 1 + 3);
    stop.abort("SIGTERM");
    proxy.release();
    await assert.rejects(call, (error: unknown) => error instanceof InterruptedError && error.signal === "SIGTERM" && error.exitCode === 143);
    assert.equal(proxy.posts.length, 1 + 3, "the probe and 3 batches: none after the signal");
    assert.equal(committed.size, 3 * 4, "the batch answered before the signal and the 2 in flight, 4 requests each");
  } finally {
    await remote.dispose();
    await proxy.close();
  }
});

test("the in-process backend's stop signal: a call asked for after it fired computes nothing and rejects", { skip, timeout: 60_000 }, async () => {
  const local = await createLlamaBackend({ modelPath: model });
  try {
    const stop = new AbortController();
    stop.abort("SIGINT");
    const request: LoglikelihoodRequest = { type: "loglikelihood", context: "Once upon a time", continuation: " there", tokenization: "separate" };
    await assert.rejects(local.loglikelihood([request], undefined, undefined, stop.signal), (error: unknown) => error instanceof InterruptedError && error.exitCode === 130);
    await assert.rejects(local.generate([{ context: "Once", until: ["\n"], maxTokens: 4 }], undefined, undefined, stop.signal), InterruptedError);
    assert.equal(local.stats?.().tokensEvaluated, 0);
    // Without a signal the same call is answered.
    assert.equal((await local.loglikelihood([request])).length, 1);
  } finally {
    await local.dispose();
  }
});

test("a run stopped through its signal (as the CLI stops it) starts no HTTP batch afterwards, even when the answers in flight come in later", { skip, timeout: 60_000 }, async () => {
  // The library entry: runEvaluation returns (InterruptedError, partial results) while batches
  // are in flight; the caching backend has passed the signal on, so their answers start none.
  const proxy = await HoldingProxy.start(server!.url, PASS_FIRST);
  try {
    const stop = new AbortController();
    const run = runEvaluation({
      model: "stories",
      remote: { baseUrls: [proxy.url], servedModel: "stories", tokenizerPath: model, concurrency: 2 },
      tasks: ["jcommonsenseqa-1.1-0.3"],
      shots: [0],
      limit: 16,
      dataDir,
      cacheDir: path.join(scratch, "library", "cache"),
      outputDir: path.join(scratch, "library", "out"),
      signal: stop.signal,
    });
    await proxy.firstHeld();
    await until("two batches in flight", () => proxy.posts.length === PASS_FIRST + 2);
    stop.abort("SIGINT");
    await assert.rejects(run, InterruptedError);
    proxy.release();
    await until("the held answers sent", () => proxy.posts.every((p) => p.answered));
    // A batch started on those answers would reach the proxy within milliseconds.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(proxy.posts.length, PASS_FIRST + 2, "no batch after the signal");
  } finally {
    await proxy.close();
  }
});
