// `run --backend openai` without --tokenizer: the server's own /tokenize makes the token ids.
// Expected samples come from an independent path, the same run given the model's GGUF as
// --tokenizer (ids made locally, no /tokenize call); the runs must agree exactly (same server,
// same ids, so the same numbers), XLSum's ROUGE on generated text and MGSM's EOS stop included.
// A server without /tokenize, or one that does not report its EOS token, is refused in one line.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createRemoteBackend } from "../src/backend/remote/index.js";
import { HttpClient } from "../src/backend/remote/http.js";
import { loadAnyTokenizer } from "../src/backend/tokenizers/load.js";
import { ServerTokenizer } from "../src/backend/remote/serverTokenizer.js";
import { LoopbackServer, type LoopbackOptions } from "./support/loopbackServer.js";
import { readRunDoc, readRunSamples, runSamplesFiles } from "./support/runFiles.js";
import { sharedSkip } from "./support/sharedData.js";

const root = process.cwd();
const model = path.resolve(root, "../shared/models/stories260K.gguf");
const dataDir = path.resolve(root, "../shared/datasets");
const skip = sharedSkip(model, dataDir);
const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-server-tokenizer-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(root, "bin/run.js"), ...args], { cwd: root, encoding: "utf8", maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Every task's samples, by task: requests, responses (log-likelihoods, generations) and metrics. */
function samplesOf(dir: string): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  for (const task of runSamplesFiles(dir).keys()) out.set(task, readRunSamples(dir, task).map((s) => ({ doc_id: s.doc_id, requests: s.requests, responses: s.responses, metrics: s.metrics })));
  return out;
}

// Log-likelihoods (JCommonsenseQA), generations stopped at the token of "\n" with a cap measured
// in the model's tokens (JSQuAD), generations stopped at EOS (MGSM). Without a GGUF the reference's
// max_length is the server's max_model_len (2,050 here, 2,048 with the GGUF), so requests are
// chosen short enough that neither run cuts them (XLSum's articles are not: see the last test).
const TASKS = ["--tasks", "jcommonsenseqa-1.1-0.3,jsquad-1.1-0.3,mgsm-1.0-0.3", "--shots", "1,0,1", "--limit", "2", "--data-dir", dataDir];

async function withServer<T>(options: Partial<LoopbackOptions>, work: (server: LoopbackServer) => Promise<T>): Promise<T> {
  const server = await LoopbackServer.start(model, { kind: "vllm", servedModel: "stories", ...options });
  try {
    return await work(server);
  } finally {
    await server.close();
  }
}

test("no --tokenizer: the server's /tokenize gives the samples of the run given the GGUF as --tokenizer; source \"server\" recorded; a cached rerun works", { skip }, async () => {
  await withServer({}, async (server) => {
    const remote = ["--backend", "openai", "--base-url", server.url, "--served-model", "stories", "--concurrency", "4"];
    const withFile = path.join(scratch, "with-file");
    const local = await cli("run", ...TASKS, ...remote, "--tokenizer", model, "--no-cache", "--output", withFile, "-q");
    assert.equal(local.status, 0, local.stderr);
    assert.equal(server.tokenizeCalls, 0, "--tokenizer makes the ids locally");

    const withServerIds = path.join(scratch, "server-ids");
    const cacheDir = path.join(scratch, "cache");
    const args = ["run", ...TASKS, ...remote, "--cache-dir", cacheDir, "--output", withServerIds];
    const run = await cli(...args);
    assert.equal(run.status, 0, run.stderr);
    assert.ok(server.tokenizeCalls > 0 && server.detokenizeCalls > 0, `the server tokenized (${server.tokenizeCalls}) and decoded (${server.detokenizeCalls})`);
    assert.match(run.stderr, /tokenizer: \d+ distinct texts tokenized by the server/);

    const expected = samplesOf(withFile);
    const got = samplesOf(withServerIds);
    assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort());
    assert.equal(expected.size, 3);
    for (const [task, samples] of expected) assert.deepEqual(got.get(task), samples, `${task}: the same samples`);
    const generations = [...got.values()].flat().flatMap((s) => (s as { responses: unknown[] }).responses).filter((r) => typeof r === "string");
    assert.ok(generations.length >= 4, `${generations.length} generations compared`);

    const doc = readRunDoc(withServerIds) as unknown as { rakuten_eval: { tokenizer: { source: string }; engine: Record<string, unknown> } };
    assert.equal(doc.rakuten_eval.tokenizer.source, "server");
    assert.equal((doc.rakuten_eval.engine.serverTokenizer as { eos: { text: string; id: number } }).eos.text, "</s>");
    const fileDoc = readRunDoc(withFile) as unknown as { rakuten_eval: { tokenizer: { source: string }; engine: Record<string, unknown> } };
    assert.notEqual(fileDoc.rakuten_eval.tokenizer.source, "server");
    assert.notEqual(doc.rakuten_eval.engine.modelSha256, fileDoc.rakuten_eval.engine.modelSha256, "the identity names where the ids came from");

    // Rerun from the cache: every answer stored, the stored generations tokenized for XLSum's ROUGE.
    const again = await cli(...args);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /cache: \d+ answers reused, 0 computed/);
    assert.deepEqual(samplesOf(withServerIds), got);
    console.log(`server tokenizer: ${server.tokenizeCalls} /tokenize and ${server.detokenizeCalls} /detokenize calls; ${expected.size} tasks' samples equal to the --tokenizer run`);
  });
});

test("no --tokenizer: a server without /tokenize, one that does not report its EOS token, and SGLang are refused in one line (exit 2)", { skip }, async () => {
  const refusal = async (options: Partial<LoopbackOptions>, pattern: RegExp): Promise<void> => {
    await withServer(options, async (server) => {
      const run = await cli("run", "--tasks", "jcommonsenseqa-1.1-0.3", "--limit", "2", "--data-dir", dataDir, "--backend", "openai", "--base-url", server.url, "--served-model", "stories", "--no-cache", "--output", path.join(scratch, "refused"));
      assert.equal(run.status, 2, run.stderr);
      const lines = run.stderr.trim().split("\n").filter((l) => l.startsWith("error:"));
      assert.equal(lines.length, 1, run.stderr);
      assert.match(lines[0]!, pattern);
      assert.match(lines[0]!, /pass --tokenizer DIR/);
      assert.equal(server.posts, 0, "refused before any scoring request");
    });
  };
  await refusal({ tokenize: false }, /^error: Without --tokenizer the server's own tokenizer makes the token ids, but its \/tokenize failed \(HTTP 404/);
  await refusal({ tokenizerInfo: false }, /does not report it \(vLLM reports it at \/tokenizer_info when started with --enable-tokenizer-info-endpoint\); restart vLLM with --enable-tokenizer-info-endpoint, or pass --tokenizer DIR/);
  await refusal({ kind: "sglang" }, /^error: Without --tokenizer .* (its \/tokenize failed|SGLang does not report it)/);
});

test("ServerTokenizer answers only texts it fetched; ids come from /tokenize without special tokens", { skip }, async () => {
  await withServer({}, async (server) => {
    const http = new HttpClient({ baseUrls: [server.url], timeoutMs: 30_000, attempts: 1 });
    const tokenizer = await ServerTokenizer.connect(http, "stories", "vllm", 2);
    assert.equal(tokenizer.eosText(), "</s>");
    assert.deepEqual(tokenizer.tokenize("</s>"), [tokenizer.eosId]);
    assert.throws(() => tokenizer.tokenize("never fetched"), /internal error: the server's tokenizer was not asked for "never fetched"/);
    assert.equal(await tokenizer.prefetch(["a b", "a b", "Hello"]), 1, "each distinct text fetched once");
    assert.ok(tokenizer.tokenize("a b").length > 0);
    assert.ok(!tokenizer.tokenize("a b").includes(1), "no BOS");
    assert.match(await tokenizer.detokenize(tokenizer.tokenize("a b")), /a b$/, "/detokenize inverts /tokenize");
    assert.deepEqual(tokenizer.describe(), { vocabulary: "server", bos: false, specialTokensInText: "parsed", source: "server" });
  });
});

test("generated text is tokenized by the server before it is returned (XLSum's ROUGE tokenizes predictions)", { skip }, async () => {
  await withServer({}, async (server) => {
    const backend = await createRemoteBackend({ baseUrls: [server.url], servedModel: "stories", concurrency: 2 });
    const vocabulary = await loadAnyTokenizer(model);
    try {
      const context = "Once upon a time, there was a little girl. She";
      await backend.prepareTokens!([context, "\n"]);
      const [text] = await backend.generate([{ context, until: ["\n"], maxTokens: 12 }]);
      assert.ok(text !== undefined && text.length > 0, "something generated");
      // Independent path: the GGUF's ids of the same text.
      assert.deepEqual(backend.tokenize(text), vocabulary.tokenize(text));
      assert.equal(backend.describe().tokenizer && (backend.describe().tokenizer as { source?: string }).source, "server");
    } finally {
      await vocabulary.dispose();
      await backend.dispose();
    }
  });
});

/** The CLI with `input` on stdin, run asynchronously (the loopback server answers from this process). */
function cliWithInput(input: string, ...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [path.join(root, "bin/run.js"), ...args], { cwd: root, encoding: "utf8" }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
    child.stdin?.end(input);
  });
}

test("tokenize with a server's flags: the server's /tokenize gives the ids of `tokenize --model` on the same vocabulary; --json lines too", { skip }, async () => {
  const texts = ["Once upon a time", " 東京", "答え</s>", ""];
  const expected = await cliWithInput(texts.map((t) => JSON.stringify(t)).join("\n") + "\n", "tokenize", "--model", model, "--json");
  assert.equal(expected.status, 0, expected.stderr);
  await withServer({}, async (server) => {
    const got = await cliWithInput(texts.map((t) => JSON.stringify(t)).join("\n") + "\n", "tokenize", "--base-url", server.url, "--served-model", "stories", "--json");
    assert.equal(got.status, 0, got.stderr);
    assert.equal(got.stdout, expected.stdout);
  });
  await withServer({ tokenizerInfo: false }, async (server) => {
    const refused = await cliWithInput("x\n", "tokenize", "--base-url", server.url, "--served-model", "stories");
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /^error: .*--enable-tokenizer-info-endpoint/);
    assert.equal(refused.stderr.trim().split("\n").length, 1);
  });
});
