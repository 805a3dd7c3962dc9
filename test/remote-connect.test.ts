// Connecting to an inference server: a probe of a native endpoint finds it absent only when the
// server says so (404, or 405: the path exists for other methods only); a refused API key, a
// timeout, an unknown host or a server error stops the run in one line naming the URL, the cause
// and the fix. Every --base-url replica must report the same served model. The servers here are
// node:http on loopback speaking only the endpoints asked before any work (/v1/models, /version,
// /get_model_info), shaped as vLLM's answers; no model is loaded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createRemoteBackend } from "../src/backend/remote/index.js";
import { replicaIdentity } from "../src/backend/remote/identity.js";

interface FakeServer {
  url: string;
  root: string;
  hits: string[];
  close: () => Promise<void>;
}

type Route = { status: number; body: unknown } | "hang";

/** vLLM's answers to /v1/models and /version (its model entry with max_model_len), unless `route` answers first. */
async function fakeVllm(options: { maxModelLen?: number; version?: string; route?: (url: string) => Route | undefined } = {}): Promise<FakeServer> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? "";
    hits.push(url);
    req.resume();
    const answer =
      options.route?.(url) ??
      (url === "/v1/models"
        ? { status: 200, body: { object: "list", data: [{ id: "m", object: "model", created: Date.now(), owned_by: "vllm", root: "org/model", parent: null, max_model_len: options.maxModelLen ?? 2048 }] } }
        : url === "/version"
          ? { status: 200, body: { version: options.version ?? "0.6.3" } }
          : { status: 404, body: { detail: "Not Found" } });
    if (answer === "hang") return;
    res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.body));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${root}/v1`,
    root,
    hits,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** createRemoteBackend's refusal message (it must refuse). */
async function refusal(options: Parameters<typeof createRemoteBackend>[0]): Promise<string> {
  const outcome = await createRemoteBackend({ attempts: 2, backoffMs: 1, ...options }).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(outcome instanceof Error && outcome.name === "UserError", `a UserError, got ${String(outcome)}`);
  return outcome.message;
}

test("a 401 names the URL and --api-key-env, whether /v1/models or a probe refuses the key", async () => {
  // vLLM started with --api-key answers 401 {"error": "Unauthorized"} (its auth middleware).
  const all = await fakeVllm({ route: () => ({ status: 401, body: { error: "Unauthorized" } }) });
  const probeOnly = await fakeVllm({ route: (url) => (url === "/get_model_info" ? { status: 401, body: { error: "Unauthorized" } } : undefined) });
  try {
    assert.equal(
      await refusal({ baseUrls: [all.url], servedModel: "m", apiKey: "sk-wrong" }),
      `401 Unauthorized from ${all.root}/v1/models: check --api-key-env (the API key in the variable it names was refused; the server said: Unauthorized).`,
    );
    assert.deepEqual(all.hits, ["/v1/models"], "a 401 is not retried");
    assert.equal(
      await refusal({ baseUrls: [probeOnly.url], servedModel: "m" }),
      `401 Unauthorized from ${probeOnly.root}/get_model_info: check --api-key-env (no API key was sent; the server said: Unauthorized).`,
    );
  } finally {
    await Promise.all([all.close(), probeOnly.close()]);
  }
});

test("a probe that times out, or gets a 5xx, stops the run naming the URL; it is not taken for an absent endpoint", async () => {
  const hang = await fakeVllm({ route: (url) => (url === "/version" ? "hang" : undefined) });
  const broken = await fakeVllm({ route: (url) => (url === "/version" ? { status: 503, body: { detail: "engine is loading" } } : undefined) });
  try {
    assert.equal(
      await refusal({ baseUrls: [hang.url], servedModel: "m", timeoutSeconds: 1 }),
      `No answer from ${hang.root}/version within --timeout 1 s: check that the server is up and not overloaded, or raise --timeout.`,
    );
    assert.equal(
      await refusal({ baseUrls: [broken.url], servedModel: "m" }),
      `503 Service Unavailable from ${broken.root}/version (engine is loading): the server failed; check its log, or that it is up.`,
    );
  } finally {
    await Promise.all([hang.close(), broken.close()]);
  }
});

test("a host that does not resolve is named with --base-url, at once", async (t) => {
  const started = Date.now();
  const message = await refusal({ baseUrls: ["http://nonexistent.invalid/v1"], servedModel: "m", attempts: 8, backoffMs: 2000 });
  if (message.includes("EAI_AGAIN")) return t.skip("this machine has no DNS resolver (EAI_AGAIN)");
  assert.equal(message, "The host of http://nonexistent.invalid/v1/models is not known (getaddrinfo ENOTFOUND nonexistent.invalid): check --base-url.");
  // Not retried: eight attempts with a 2 s backoff would take seconds.
  assert.ok(Date.now() - started < 1500, `${Date.now() - started} ms`);
});

test("404 and 405 from the probes mean the endpoints are absent: the server is taken for a plain OpenAI endpoint", async () => {
  for (const status of [404, 405]) {
    const plain = await fakeVllm({ route: (url) => (url === "/v1/models" ? undefined : { status, body: { detail: status === 404 ? "Not Found" : "Method Not Allowed" } }) });
    try {
      const message = await refusal({ baseUrls: [plain.url], servedModel: "m" });
      // The refusal that follows detection as openai-echo: no server tokenizer on such an endpoint.
      assert.match(message, /its \/tokenize failed \(HTTP \d+: .*\) \(an OpenAI-compatible endpoint need not have one\)/, `${status}: ${message}`);
      assert.deepEqual(plain.hits.slice(0, 3), ["/v1/models", "/get_model_info", "/version"]);
    } finally {
      await plain.close();
    }
  }
});

test("replicas must report the same served model: max_model_len or version differing is refused naming both", async () => {
  const a = await fakeVllm({ maxModelLen: 2048, version: "0.6.3" });
  const b = await fakeVllm({ maxModelLen: 4096, version: "0.6.3" });
  const c = await fakeVllm({ maxModelLen: 2048, version: "0.7.0" });
  const twin = await fakeVllm({ maxModelLen: 2048, version: "0.6.3" });
  const context = { apiKey: false, timeoutSeconds: 5 };
  try {
    assert.equal(
      await refusal({ baseUrls: [a.url, b.url], servedModel: "m" }),
      `--base-url ${a.url} and --base-url ${b.url} serve different models (max_model_len: 2048 vs 4096); give only replicas of one server and model, or run each separately.`,
    );
    assert.equal(
      await refusal({ baseUrls: [a.url, twin.url, c.url], servedModel: "m" }),
      `--base-url ${a.url} and --base-url ${c.url} serve different models (version: "0.6.3" vs "0.7.0"); give only replicas of one server and model, or run each separately.`,
    );
    // Replicas that agree: one identity, and each was asked.
    for (const s of [a, twin]) s.hits.length = 0;
    const identity = await replicaIdentity({ baseUrls: [a.url, twin.url], timeoutMs: 5000 }, "m", "auto", context);
    assert.deepEqual(identity, { kind: "vllm", entry: { id: "m", root: "org/model", max_model_len: 2048, owned_by: "vllm" }, report: { version: "0.6.3" } });
    assert.deepEqual(a.hits, ["/v1/models", "/get_model_info", "/version"]);
    assert.deepEqual(twin.hits, ["/v1/models", "/get_model_info", "/version"]);
  } finally {
    await Promise.all([a.close(), b.close(), c.close(), twin.close()]);
  }
});

// ---- through the CLI -------------------------------------------------------------------------

const root = process.cwd();
const dataDir = path.resolve(root, "../shared/datasets");
const skip = !existsSync(dataDir) && "../shared/datasets absent";

/** `run --backend openai` on xwinograd_ja (its data must load before the server is asked). */
function runRemote(args: string[], env: Record<string, string> = {}): Promise<{ status: number; stderr: string }> {
  const out = mkdtempSync(path.join(tmpdir(), "rakuten-eval-connect-"));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(root, "bin/run.js"), "run", "--tasks", "xwinograd_ja", "--limit", "1", "--backend", "openai", "--served-model", "m", "--no-cache", "--data-dir", dataDir, "--output", out, ...args],
      { cwd: root, encoding: "utf8", env: { ...process.env, ...env } },
      (error, _stdout, stderr) => {
        rmSync(out, { recursive: true, force: true });
        resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stderr });
      },
    );
  });
}

test("run --backend openai: a refused key, a probe timeout, an unknown host and mixed replicas are one line each, exit 2", { skip }, async (t) => {
  const locked = await fakeVllm({ route: () => ({ status: 401, body: { error: "Unauthorized" } }) });
  const hang = await fakeVllm({ route: (url) => (url === "/version" ? "hang" : undefined) });
  const plain = await fakeVllm();
  const other = await fakeVllm({ maxModelLen: 4096 });
  try {
    const cases: [string, string[], string][] = [
      ["401", ["--base-url", locked.url, "--api-key-env", "RAKUTEN_EVAL_TEST_KEY"], `error: 401 Unauthorized from ${locked.root}/v1/models: check --api-key-env (the API key in the variable it names was refused; the server said: Unauthorized).`],
      ["timeout", ["--base-url", hang.url, "--timeout", "1"], `error: No answer from ${hang.root}/version within --timeout 1 s: check that the server is up and not overloaded, or raise --timeout.`],
      ["dns", ["--base-url", "http://nonexistent.invalid/v1"], "error: The host of http://nonexistent.invalid/v1/models is not known (getaddrinfo ENOTFOUND nonexistent.invalid): check --base-url."],
      ["replicas", ["--base-url", plain.url, "--base-url", other.url], `error: --base-url ${plain.url} and --base-url ${other.url} serve different models (max_model_len: 2048 vs 4096); give only replicas of one server and model, or run each separately.`],
    ];
    for (const [name, args, expected] of cases) {
      const { status, stderr } = await runRemote(args, { RAKUTEN_EVAL_TEST_KEY: "sk-wrong" });
      const lines = stderr.trim().split("\n").filter((l) => l.startsWith("error:"));
      if (name === "dns" && stderr.includes("EAI_AGAIN")) {
        t.diagnostic("dns: this machine has no DNS resolver (EAI_AGAIN); case not checked");
        continue;
      }
      t.diagnostic(`${name}: ${lines.join(" | ")}`);
      assert.equal(status, 2, `${name}: ${stderr}`);
      assert.equal(lines.length, 1, `${name}: ${stderr}`);
      assert.equal(lines[0], expected, name);
      assert.ok(!/\n\s+at /.test(stderr), `${name}: no stack trace`);
    }
  } finally {
    await Promise.all([locked.close(), hang.close(), plain.close(), other.close()]);
  }
});
