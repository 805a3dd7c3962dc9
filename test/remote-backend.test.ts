// The remote backend against a loopback server that speaks vLLM's and SGLang's protocols,
// computed by node-llama-cpp on the tokens it is sent: `run --backend openai` must give the
// in-process backend's numbers (≤ 1e-4 nats per continuation token, same greedy flags, same
// generations) on real requests from ../shared/datasets; a server without prompt
// log-probabilities is refused in one line; injected faults lose and duplicate nothing.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { LoglikelihoodRequest, LoglikelihoodResponse, ResolvedGenerateRequest } from "../src/api/types.js";
import { createLlamaBackend } from "../src/backend/llama/index.js";
import { createRemoteBackend } from "../src/backend/remote/index.js";
import { resolveGenerate } from "../src/evaluation/evaluator.js";
import { planTasks } from "../src/evaluation/taskPlan.js";
import { selectTasks } from "../src/tasks/registry.js";
import { LoopbackServer, type Fault } from "./support/loopbackServer.js";
import { readRunDoc, readRunSamples, runSamplesFiles } from "./support/runFiles.js";
import { sharedSkip } from "./support/sharedData.js";

const root = process.cwd();
const model = path.resolve(root, "../shared/models/stories260K.gguf");
const dataDir = path.resolve(root, "../shared/datasets");
const skip = sharedSkip(model, dataDir);
const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-remote-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The CLI, asynchronously: the loopback server answers from this process meanwhile. */
function cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(root, "bin/run.js"), ...args], { cwd: root, encoding: "utf8", maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

interface Sample {
  doc_id: number;
  requests: (LoglikelihoodRequest | ResolvedGenerateRequest)[];
  responses: (LoglikelihoodResponse | string)[];
  metrics: Record<string, number>;
}

/** Each task's samples of a run (lm-eval's layout; our request records brought to the top level). */
function samplesOf(dir: string): Map<string, Sample[]> {
  const out = new Map<string, Sample[]>();
  for (const task of runSamplesFiles(dir).keys()) out.set(task, readRunSamples(dir, task) as unknown as Sample[]);
  return out;
}

/** Counts of compared answers; asserts every pair agrees (log-likelihoods per continuation token). */
function compareSamples(local: Map<string, Sample[]>, remote: Map<string, Sample[]>, tokenCount: (r: LoglikelihoodRequest) => number): { ll: number; gen: number; maxPerToken: number } {
  assert.ok(remote.size > 0);
  let ll = 0;
  let gen = 0;
  let maxPerToken = 0;
  for (const [file, other] of remote) {
    const samples = local.get(file)!;
    assert.ok(samples, `${file} in the in-process run`);
    assert.equal(other.length, samples.length, file);
    samples.forEach((sample, d) => {
      const twin = other[d]!;
      assert.equal(twin.doc_id, sample.doc_id);
      assert.deepEqual(twin.requests, sample.requests, `${file} doc ${sample.doc_id}: the same requests`);
      sample.responses.forEach((response, k) => {
        const answer = twin.responses[k]!;
        if (typeof response === "string") {
          gen++;
          assert.equal(answer, response, `${file} doc ${sample.doc_id} generation ${k}`);
          return;
        }
        ll++;
        const got = answer as LoglikelihoodResponse;
        const perToken = Math.abs(got.logprob - response.logprob) / Math.max(1, tokenCount(sample.requests[k] as LoglikelihoodRequest));
        maxPerToken = Math.max(maxPerToken, perToken);
        assert.ok(perToken <= 1e-4, `${file} doc ${sample.doc_id} request ${k}: ${got.logprob} vs ${response.logprob}`);
        assert.equal(got.isGreedy, response.isGreedy, `${file} doc ${sample.doc_id} request ${k}: isGreedy`);
      });
      assert.deepEqual(twin.metrics, sample.metrics);
    });
  }
  return { ll, gen, maxPerToken };
}

// A generous bound on continuation tokens (stories260K: byte fallback, so ≤ UTF-8 bytes + 1).
const continuationBound = (r: LoglikelihoodRequest): number => Buffer.byteLength(r.continuation, "utf8") + 1;

// JSQuAD's generations stop on a token ("\n"); MGSM's run to their 256-token cap with this model.
// JCommonsenseQA with 6 shots is ~2,500 tokens: cut to the model's 2,048-token window, so the
// server gets full windows (2,049 tokens + 1 generated = the loopback's max_model_len 2,050).
const TASKS = ["--tasks", "jcommonsenseqa-1.1-0.3,hendrycksTest-anatomy,jsquad-1.1-0.3", "--shots", "6,5,2"];
const ALL_TASKS = ["--tasks", "jcommonsenseqa-1.1-0.3,hendrycksTest-anatomy,jsquad-1.1-0.3,mgsm-1.0-0.3", "--shots", "6,5,2,5"];
let localDir = "";

before(async () => {
  if (skip) return;
  localDir = path.join(scratch, "local");
  const local = await cli("run", ...ALL_TASKS, "--limit", "2", "--model", model, "--kv-cache-type", "f32", "--data-dir", dataDir, "--no-cache", "--output", localDir, "-q");
  assert.equal(local.status, 0, local.stderr);
});

test("run --backend openai on the vLLM protocol gives the in-process numbers (JCommonsenseQA, MMLU anatomy, JSQuAD, MGSM)", { skip }, async () => {
  const server = await LoopbackServer.start(model, { kind: "vllm", servedModel: "stories" });
  try {
    const out = path.join(scratch, "vllm");
    const cacheDir = path.join(scratch, "cache-vllm");
    const args = ["run", ...ALL_TASKS, "--limit", "2", "--backend", "openai", "--base-url", server.url, "--served-model", "stories", "--tokenizer", model, "--concurrency", "4", "--data-dir", dataDir, "--cache-dir", cacheDir, "--output", out];
    const run = await cli(...args, "-q");
    assert.equal(run.status, 0, run.stderr);
    const { ll, gen, maxPerToken } = compareSamples(samplesOf(localDir), samplesOf(out), continuationBound);
    assert.equal(ll, 2 * 5 + 2 * 4);
    assert.equal(gen, 2 + 2);
    console.log(`vLLM protocol: ${ll} log-likelihoods (max |Δ| ${maxPerToken.toExponential(2)} nats per token), ${gen} generations equal`);
    const doc = readRunDoc(out) as unknown as { rakuten_eval: { engine: Record<string, unknown> } };
    assert.equal(doc.rakuten_eval.engine.server, "vllm");
    assert.equal(doc.rakuten_eval.engine.engineVersion, "vllm 0.0.0-loopback");
    // The request cache answers a rerun: the server sees only the identity calls and the probe.
    const posts = server.posts;
    const again = await cli(...args);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(server.posts, posts + 1, "only the first-request probe reaches the server on a cached rerun");
    assert.match(again.stderr, /cache: 22 answers reused, 0 computed/);
  } finally {
    await server.close();
  }
});

test("the SGLang protocol (/generate, detected) and the OpenAI echo form give the in-process numbers", { skip }, async () => {
  for (const [kind, server] of [["sglang", "auto"], ["vllm", "openai-echo"]] as const) {
    const loopback = await LoopbackServer.start(model, { kind, servedModel: "stories" });
    try {
      const out = path.join(scratch, `${kind}-${server}`);
      const run = await cli("run", ...TASKS, "--limit", "2", "--backend", "openai", "--base-url", loopback.url, "--served-model", "stories", "--server", server, "--tokenizer", model, "--data-dir", dataDir, "--no-cache", "--output", out, "-q");
      assert.equal(run.status, 0, run.stderr);
      const { ll, gen, maxPerToken } = compareSamples(samplesOf(localDir), samplesOf(out), continuationBound);
      assert.equal(ll + gen, 20);
      console.log(`${kind} server, --server ${server}: ${ll} log-likelihoods (max |Δ| ${maxPerToken.toExponential(2)} nats per token), ${gen} generations equal`);
      const doc = readRunDoc(out) as unknown as { rakuten_eval: { engine: Record<string, unknown> } };
      assert.equal(doc.rakuten_eval.engine.server, server === "auto" ? "sglang" : server);
    } finally {
      await loopback.close();
    }
  }
});

test("a server without prompt log-probabilities is refused in one line on the first request (exit 2)", { skip }, async () => {
  const server = await LoopbackServer.start(model, { kind: "no-prompt-logprobs", servedModel: "stories" });
  try {
    const run = await cli("run", "--tasks", "jcommonsenseqa-1.1-0.3", "--limit", "2", "--backend", "openai", "--base-url", server.url, "--served-model", "stories", "--tokenizer", model, "--data-dir", dataDir, "--no-cache", "--output", path.join(scratch, "refused"));
    assert.equal(run.status, 2, run.stderr);
    const lines = run.stderr.trim().split("\n").filter((l) => l.startsWith("error:"));
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, /^error: The inference server cannot score: with --server openai-echo it returned 0 token log-probabilities|^error: The inference server cannot score: with --server openai-echo its completions carry no logprobs.*scored at chance/);
    assert.ok(!existsSync(path.join(scratch, "refused")) || readdirSync(path.join(scratch, "refused"), { recursive: true }).every((f) => !String(f).endsWith(".json")), "nothing is written");
    assert.equal(server.posts, 1, "refused on the first request");
    // Told to speak vLLM's protocol, the same server is refused the same way.
    await assert.rejects(createRemoteBackend({ baseUrls: [server.url], servedModel: "stories", server: "vllm", tokenizerPath: model }), /^UserError: The inference server cannot score: with --server vllm its completions carry no prompt_logprobs/);
    assert.equal(server.posts, 2);
  } finally {
    await server.close();
  }
});

test("dropped connections, 500s, 429 with Retry-After and slow answers: every request answered exactly once, none lost", { skip }, async () => {
  // Faults by call number, from the second call (the first is the probe), each kind twice;
  // generation calls, which take long on a busy machine, get no slow answers. Short requests
  // (xWinograd, JSQuAD 0-shot) keep honest answers well inside the timeout.
  let faults: Fault[] = ["drop", "500", "slow", "429", "drop", "500", "429", "slow"];
  let first = 2;
  const server = await LoopbackServer.start(model, { kind: "vllm", servedModel: "stories", faultFor: (n) => faults[n - first] ?? null, slowMs: 5000, retryAfterSeconds: 1 });
  const lines: string[] = [];
  const options = { baseUrls: [server.url, server.url], servedModel: "stories", tokenizerPath: model, concurrency: 2, promptsPerCall: 3, backoffMs: 5, log: (l: string) => lines.push(l) };
  const remote = await createRemoteBackend({ ...options, timeoutSeconds: 4 });
  const patient = await createRemoteBackend({ ...options, timeoutSeconds: 300 });
  const local = await createLlamaBackend({ modelPath: model, kvCacheType: "f32" });
  try {
    const winograd = await planTasks(selectTasks({ tasks: ["xwinograd_ja"] }), { dataDir, limit: 8 });
    const jsquad = await planTasks(selectTasks({ tasks: ["jsquad-1.1-0.3"], shots: [0] }), { dataDir, limit: 3 });
    const planned = [...winograd.planned, ...jsquad.planned];
    const ll = planned.flatMap((p) => p.docs.flatMap((d) => d.requests)).filter((r): r is LoglikelihoodRequest => r.type === "loglikelihood");
    const gen = planned.flatMap((p) => p.docs.flatMap((d) => d.requests)).filter((r) => r.type === "generate").map((r) => resolveGenerate(r, local));
    const committed = new Map<number, number>();
    const scores = await remote.loglikelihood(ll, undefined, (index) => committed.set(index, (committed.get(index) ?? 0) + 1));
    assert.equal(committed.size, ll.length);
    assert.ok([...committed.values()].every((n) => n === 1), "each request committed once");
    const expected = await local.loglikelihood(ll);
    scores.forEach((s, i) => {
      assert.ok(Math.abs(s.logprob - expected[i]!.logprob) <= 1e-4 * continuationBound(ll[i]!), `request ${i}`);
      assert.equal(s.isGreedy, expected[i]!.isGreedy);
    });
    // Server side: every request's prompt and the probe answered whole; more
    // than once only where the client gave up on a slow answer (the server may have finished it).
    const timedOut = lines.filter((l) => l.includes("timed out")).length;
    const answeredTotal = [...server.answered.values()].reduce((a, n) => a + n, 0);
    assert.equal(server.answered.size, new Set(ll.map((r) => `${r.context}\0${r.continuation}`)).size + 1, "each request's prompt answered by the server");
    assert.ok(answeredTotal <= ll.length + 1 + timedOut, `${answeredTotal} answers sent for ${ll.length + 1} prompts`);
    faults = ["drop", "500", "429"];
    first = server.posts + 1;
    const generated = new Map<number, number>();
    const texts = await patient.generate(gen, undefined, (index) => generated.set(index, (generated.get(index) ?? 0) + 1));
    assert.deepEqual(texts, await local.generate(gen));
    assert.ok([...generated.values()].every((n) => n === 1) && generated.size === gen.length);
    for (const cause of ["other side closed|fetch failed|socket", "HTTP 500", "HTTP 429", "timed out"]) {
      assert.ok(lines.some((l) => new RegExp(cause).test(l)), `a retry after ${cause}: ${lines.join(" | ")}`);
    }
    assert.ok(lines.some((l) => / in 1\.0 s: .*HTTP 429/.test(l)), "Retry-After honoured");
    console.log(`faults: ${server.posts} calls for ${ll.length} log-likelihood and ${gen.length} generation requests, ${lines.length} retries, nothing lost or doubled`);
  } finally {
    await remote.dispose();
    await patient.dispose();
    await local.dispose();
    await server.close();
  }
});
