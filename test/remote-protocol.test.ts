// The remote backend's pure parts and HTTP client: request bodies and response readers per
// server (response shapes from vLLM's and SGLang's documentation), batching, Retry-After,
// retries and refusals against a node:http server, and the flag checks of `run --backend openai`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { HttpClient, HttpRefusal, replicaRoots, retryAfterMs } from "../src/backend/remote/http.js";
import { NoPromptLogprobsError, protocolFor, type ScoringPrompt } from "../src/backend/remote/protocol.js";
import { batchesOf, runPool } from "../src/backend/remote/schedule.js";
import { sharedSkip } from "./support/sharedData.js";

const prompts: ScoringPrompt[] = [
  { tokens: [1, 10, 11, 12], firstScored: 2 },
  { tokens: [1, 10, 13], firstScored: 2 },
];

test("vLLM: prompt_logprobs as token ids, read by choice index; greedy when no other candidate is higher", () => {
  const vllm = protocolFor("vllm");
  const call = vllm.scoringCall("m", prompts);
  assert.deepEqual(call, { base: "api", path: "/completions", body: { model: "m", prompt: [[1, 10, 11, 12], [1, 10, 13]], max_tokens: 1, temperature: 0, prompt_logprobs: 1 } });
  // Choices listed out of order; entry 0 is null; each entry holds the prompt token and the top-1.
  const response = {
    choices: [
      { index: 1, text: "x", prompt_logprobs: [null, { "10": { logprob: -1, rank: 1 } }, { "13": { logprob: -3.5, rank: 4 }, "7": { logprob: -0.2, rank: 1 } }] },
      { index: 0, text: "y", prompt_logprobs: [null, { "10": { logprob: -1, rank: 1 } }, { "11": { logprob: -0.25, rank: 1 } }, { "12": { logprob: -2, rank: 2 }, "5": { logprob: -0.5, rank: 1 } }] },
    ],
  };
  assert.deepEqual(vllm.readScores(response, prompts), [
    [{ logprob: -0.25, greedy: true }, { logprob: -2, greedy: false }],
    [{ logprob: -3.5, greedy: false }],
  ]);
  assert.throws(() => vllm.readScores({ choices: [{ index: 0, text: "" }, { index: 1, text: "" }] }, prompts), NoPromptLogprobsError);
  assert.throws(() => vllm.readScores({ choices: [{ index: 0, prompt_logprobs: [] }] }, prompts), /answers 1 of 2 prompts/);
});

test("OpenAI echo: token_logprobs over prompt + generated token; an endpoint that ignores echo is refused", () => {
  const echo = protocolFor("openai-echo");
  const body = echo.scoringCall("m", [prompts[1]!]).body;
  assert.equal(body.echo, true);
  assert.equal(body.logprobs, 1);
  const response = {
    choices: [{ index: 0, text: "z", logprobs: { tokens: ["token_id:1", "token_id:10", "token_id:13", "token_id:9"], token_logprobs: [null, -1, -3.5, -0.1], top_logprobs: [null, { "token_id:10": -1 }, { "token_id:7": -0.2 }, { "token_id:9": -0.1 }], text_offset: [] } }],
  };
  assert.deepEqual(echo.readScores(response, [prompts[1]!]), [[{ logprob: -3.5, greedy: false }]]);
  // Only the generated token's log-probability: echo ignored (an OpenAI endpoint without echo, llama-server).
  const ignored = { choices: [{ index: 0, text: "z", logprobs: { tokens: ["z"], token_logprobs: [-0.1], top_logprobs: [{ z: -0.1 }] } }] };
  assert.throws(() => echo.readScores(ignored, [prompts[1]!]), NoPromptLogprobsError);
  assert.throws(() => echo.readScores({ choices: [{ index: 0, text: "z", logprobs: null }] }, [prompts[1]!]), NoPromptLogprobsError);
});

test("SGLang: /generate with input_ids and logprob_start_len; lists aligned from the prompt's end and checked by token id", () => {
  const sglang = protocolFor("sglang");
  const call = sglang.scoringCall("m", prompts);
  assert.equal(call.base, "root");
  assert.equal(call.path, "/generate");
  assert.deepEqual(call.body.input_ids, [[1, 10, 11, 12], [1, 10, 13]]);
  assert.deepEqual(call.body.logprob_start_len, [1, 1]);
  assert.equal(call.body.return_logprob, true);
  const response = [
    { text: "", meta_info: { input_token_logprobs: [[-1, 10, null], [-0.25, 11, null], [-2, 12, null]], input_top_logprobs: [[[-1, 10, null]], [[-0.25, 11, null]], [[-0.5, 5, null]]] } },
    { text: "", meta_info: { input_token_logprobs: [[-1, 10, null], [-3.5, 13, null]], input_top_logprobs: [[[-1, 10, null]], [[-0.2, 7, null]]] } },
  ];
  assert.deepEqual(sglang.readScores(response, prompts), [
    [{ logprob: -0.25, greedy: true }, { logprob: -2, greedy: false }],
    [{ logprob: -3.5, greedy: false }],
  ]);
  const shifted = structuredClone(response);
  shifted[1]!.meta_info.input_token_logprobs[1]![1] = 14;
  assert.throws(() => sglang.readScores(shifted, prompts), /for token 14, not the prompt's 13/);
  assert.throws(() => sglang.readScores([{ text: "", meta_info: {} }, { text: "", meta_info: {} }], prompts), NoPromptLogprobsError);
});

test("SGLang: the lists are read from where the server starts them, which its versions place differently (sglang test/srt/test_srt_endpoint.py)", () => {
  // SGLang documents logprob_start_len as "the start location in the prompt for returning
  // logprobs" (docs/basic_usage/sampling_params.md), and its own test_logprob_start_len states
  // where the lists start: `prompt_tokens == logprob_start_len + len(input_token_logprobs)` today,
  // `prompt_tokens == logprob_start_len + 1 + len(input_token_logprobs)` in the 0.3 releases
  // (whose test also asserts that the lists' texts end the prompt). Both end at the last prompt
  // token; the first entry is where the server began, not necessarily where it was asked to.
  // The bodies below are written in those shapes: [logprob, token_id, text] triples, the top-k
  // lists per position as lists of triples, `prompt_tokens` in meta_info.
  const sglang = protocolFor("sglang");
  const prompt: ScoringPrompt = { tokens: [1, 20, 21, 22, 23, 24], firstScored: 4 };
  assert.deepEqual(sglang.scoringCall("m", [prompt]).body.logprob_start_len, [3], "asked from the token before the first scored one");
  // Positions 4 and 5 are scored: by hand, token 23 has -0.7 (the top is 9 at -0.3: not greedy)
  // and token 24 has -1.25 (it is the top: greedy).
  const expected = [[{ logprob: -0.7, greedy: false }, { logprob: -1.25, greedy: true }]];
  const entry = (p: number): [number, number, string | null] => [[-9, -9, -9, -0.2, -0.7, -1.25][p]!, prompt.tokens[p]!, null];
  const tops: [number, number, null][] = [[-9, 1, null], [-9, 1, null], [-9, 1, null], [-0.2, 22, null], [-0.3, 9, null], [-1.25, 24, null]];
  const top = (p: number): [number, number, null][] => [tops[p]!];
  const answer = (from: number) => [
    { text: "x", meta_info: { prompt_tokens: 6, completion_tokens: 1, input_token_logprobs: [3, 4, 5].filter((p) => p >= from).map(entry), input_top_logprobs: [3, 4, 5].filter((p) => p >= from).map(top) } },
  ];
  // Today's SGLang: from logprob_start_len = 3 (prompt_tokens 6 = 3 + 3 entries).
  assert.deepEqual(sglang.readScores(answer(3), [prompt]), expected);
  // SGLang 0.3: one position later, from 4 (prompt_tokens 6 = 3 + 1 + 2 entries).
  assert.deepEqual(sglang.readScores(answer(4), [prompt]), expected);
  // A list that starts after the first scored position cannot score it.
  assert.throws(() => sglang.readScores(answer(5), [prompt]), /starts at prompt position 5, after the first scored position 4/);
});

test("generation: token ids read back (the stop token added when the server leaves it out); vLLM calls share one cap", () => {
  const vllm = protocolFor("vllm");
  const gen = [{ tokens: [1, 2], maxTokens: 5, stopTokenId: 13 }];
  const body = vllm.generationCall("m", gen).body;
  assert.deepEqual([body.max_tokens, body.stop_token_ids, body.ignore_eos, body.temperature], [5, [13], true, 0]);
  assert.equal(vllm.shareGenerationCall(gen[0]!, { ...gen[0]!, maxTokens: 6 }), false);
  assert.deepEqual(vllm.readGenerations({ choices: [{ index: 0, text: "ab", finish_reason: "stop", stop_reason: 13, logprobs: { tokens: ["token_id:4", "token_id:5"] } }] }, gen), [{ tokenIds: [4, 5, 13], text: "ab" }]);
  const sglang = protocolFor("sglang");
  assert.deepEqual(sglang.readGenerations([{ text: "ab\n", meta_info: { finish_reason: { type: "stop", matched: 13 }, output_token_logprobs: [[0, 4, null], [0, 5, null], [0, 13, null]] } }], gen), [{ tokenIds: [4, 5, 13], text: "ab\n" }]);
});

test("batches keep the given order within the prompt and token limits; the pool finishes what is in flight after a failure", async () => {
  assert.deepEqual(batchesOf([1, 2, 3, 4, 5], 2, 100, () => 1), [[1, 2], [3, 4], [5]]);
  assert.deepEqual(batchesOf([5, 5, 5, 20], 10, 12, (n) => n), [[5, 5], [5], [20]]);
  assert.deepEqual(batchesOf([1, 1, 2, 2], 10, 100, () => 1, (a, b) => a === b), [[1, 1], [2, 2]]);
  const done: number[] = [];
  await assert.rejects(
    runPool([1, 2, 3, 4, 5], 2, async (n) => {
      await new Promise((r) => setTimeout(r, n === 2 ? 20 : 1));
      if (n === 1) throw new Error("boom");
      done.push(n);
    }),
    /boom/,
  );
  assert.deepEqual(done, [2], "batch 2 was in flight and finished; none started after the failure");
});

test("a batch reaching the token limit exactly is one batch; one token more starts another", () => {
  // maxTokens 10: 4 + 6 = 10 fits (the limit is "at most"), 4 + 6 + 1 = 11 does not.
  assert.deepEqual(batchesOf([4, 6, 1], 10, 10, (n) => n), [[4, 6], [1]]);
  assert.deepEqual(batchesOf([4, 7], 10, 10, (n) => n), [[4], [7]]);
  // An item of exactly the limit fills a batch by itself.
  assert.deepEqual(batchesOf([10, 1, 9], 10, 10, (n) => n), [[10], [1, 9]]);
  // Items: the same "at most" (3 items per call).
  assert.deepEqual(batchesOf([1, 1, 1, 1], 3, 100, () => 1), [[1, 1, 1], [1]]);
});

test("the pool reports the first failure, not a later one", async () => {
  // Batches 1 and 2 start together (concurrency 2). Batch 2 fails after 1 ms, batch 1 after
  // 30 ms: the first failure is batch 2's, and batch 3 never starts.
  const started: number[] = [];
  await assert.rejects(
    runPool([1, 2, 3], 2, async (n) => {
      started.push(n);
      await new Promise((r) => setTimeout(r, n === 1 ? 30 : 1));
      throw new Error(`batch ${n} failed`);
    }),
    /^Error: batch 2 failed$/,
  );
  assert.deepEqual(started, [1, 2]);
});

test("Retry-After in seconds or as an HTTP date; base URLs with or without /v1", () => {
  assert.equal(retryAfterMs("2"), 2000);
  assert.equal(retryAfterMs(null), null);
  assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4_000), 6_000);
  assert.deepEqual(replicaRoots("http://h:8000/v1/"), { api: "http://h:8000/v1", root: "http://h:8000" });
  assert.deepEqual(replicaRoots("http://h:30000"), { api: "http://h:30000/v1", root: "http://h:30000" });
});

test("HTTP client: 429 honours Retry-After, 5xx is retried, 4xx is refused at once; the key goes only in the header", async () => {
  const seen: { auth: string | undefined; at: number }[] = [];
  let calls = 0;
  const server = http.createServer((req, res) => {
    seen.push({ auth: req.headers.authorization, at: Date.now() });
    calls++;
    req.resume();
    if (req.url === "/v1/bad") return void res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "prompt too long" } }));
    if (calls === 1) return void res.writeHead(429, { "retry-after": "1" }).end("slow down");
    if (calls === 2) return void res.writeHead(503).end("busy");
    res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  const log: string[] = [];
  const client = new HttpClient({ baseUrls: [url], apiKey: "sk-secret", timeoutMs: 5000, backoffMs: 1, log: (l) => log.push(l) });
  try {
    assert.deepEqual(await client.call("api", "/x", { a: 1 }), { ok: true });
    assert.equal(calls, 3);
    assert.ok(seen[1]!.at - seen[0]!.at >= 950, `waited ${seen[1]!.at - seen[0]!.at} ms after Retry-After: 1`);
    assert.ok(seen.every((s) => s.auth === "Bearer sk-secret"));
    await assert.rejects(client.call("api", "/bad", {}), (e: unknown) => e instanceof HttpRefusal && e.status === 400 && /prompt too long/.test(e.message));
    assert.equal(calls, 4, "a 400 is not retried");
    assert.ok(log.length === 2 && log.every((l) => !l.includes("sk-secret")));
  } finally {
    server.close();
  }
});

const sharedData = path.resolve(process.cwd(), "../shared/datasets");

test("run --backend openai: missing --base-url or --served-model, an unset --api-key-env and local-only flags are refused before any work", { skip: sharedSkip(sharedData) }, () => {
  const root = process.cwd();
  const run = spawnSync(process.execPath, [path.join(root, "bin/run.js"), "run", "--tasks", "xwinograd_ja", "--backend", "openai", "--api-key-env", "RAKUTEN_EVAL_TEST_UNSET_KEY", "--threads", "2", "--no-cache", "--data-dir", sharedData], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, RAKUTEN_EVAL_TEST_UNSET_KEY: "" },
  });
  assert.equal(run.status, 2, run.stderr);
  const lines = run.stderr.trim().split("\n");
  assert.deepEqual(lines, [
    "error: --threads is for the in-process backend; with --backend openai the server's settings apply (name its model with --served-model).",
    "error: --api-key-env RAKUTEN_EVAL_TEST_UNSET_KEY: that environment variable is not set or empty; export the server's API key in it.",
    "error: --backend openai needs --base-url URL (the server's API root, e.g. http://vllm:8000/v1); repeat it for several replicas.",
    "error: --backend openai needs --served-model NAME (the model name the server serves, as in its /v1/models).",
  ]);
  const local = spawnSync(process.execPath, [path.join(root, "bin/run.js"), "run", "--tasks", "xwinograd_ja", "--model", "m.gguf", "--base-url", "http://x/v1"], { cwd: root, encoding: "utf8" });
  assert.equal(local.status, 2);
  assert.match(local.stderr, /^error: --base-url is for an inference server; add --backend openai, or leave it out\.$/m);
});
