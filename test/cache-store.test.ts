// The request cache and the caching backend, with a counting stand-in backend (no model needed).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { appendFileSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, closeSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { spawnSync } from "node:child_process";
import path from "node:path";
import Database from "better-sqlite3";
import type { Backend, BackendDescription, LoglikelihoodRequest, LoglikelihoodResponse, ResolvedGenerateRequest } from "../src/api/types.js";
import { CachingBackend } from "../src/backend/cachingBackend.js";
import { InterruptedError } from "../src/backend/interruption.js";
import { loglikelihoodKey, settingsId } from "../src/cache/keys.js";
import { CACHE_FILE_NAME } from "../src/cache/location.js";
import { cacheStats, clearCache } from "../src/cache/maintenance.js";
import { RequestCache } from "../src/cache/store.js";

const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-cache-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => path.join(scratch, `c${dirs++}`);

const DESCRIPTION: BackendDescription = {
  engine: "stand-in",
  engineVersion: "1",
  modelPath: "/models/a.gguf",
  modelSha256: "a".repeat(64),
  contextSize: 2048,
  batchSize: 512,
  threads: 2,
  kvCacheType: "f16",
  flashAttention: false,
  gpu: false,
};

/** A backend whose answers are a function of the request, and which counts what it computed. */
class CountingBackend implements Backend {
  computed: string[] = [];
  calls: number[] = [];
  constructor(
    private readonly description: BackendDescription = DESCRIPTION,
    private readonly failOnCall?: number,
  ) {}
  async loglikelihood(requests: LoglikelihoodRequest[]): Promise<LoglikelihoodResponse[]> {
    this.calls.push(requests.length);
    if (this.failOnCall !== undefined && this.calls.length === this.failOnCall) throw new Error("engine crashed");
    return requests.map((r) => {
      this.computed.push(r.continuation);
      return { logprob: r.continuation === "-inf" ? -Infinity : -(r.context.length + r.continuation.length) / 7, isGreedy: r.continuation.length % 2 === 0 };
    });
  }
  async generate(requests: ResolvedGenerateRequest[]): Promise<string[]> {
    this.calls.push(requests.length);
    return requests.map((r) => {
      this.computed.push(r.context);
      return `${r.context.toUpperCase()}/${r.maxTokens}`;
    });
  }
  tokenize(text: string): number[] {
    return [...text].map((c) => c.codePointAt(0)!);
  }
  eosText(): string {
    return "</s>";
  }
  describe(): BackendDescription {
    return this.description;
  }
  async dispose(): Promise<void> {}
}

const ll = (context: string, continuation: string): LoglikelihoodRequest => ({ type: "loglikelihood", context, continuation, tokenization: "separate" });
const requests = Array.from({ length: 30 }, (_, i) => ll(`question ${i % 10}`, ` answer ${i}`));
const expected = (r: LoglikelihoodRequest): LoglikelihoodResponse => ({ logprob: -(r.context.length + r.continuation.length) / 7, isGreedy: r.continuation.length % 2 === 0 });

test("settings key: model contents and number-changing settings count; threads and the model's path do not", () => {
  const base = settingsId(DESCRIPTION);
  assert.equal(settingsId({ ...DESCRIPTION, threads: 16 }), base);
  assert.equal(settingsId({ ...DESCRIPTION, modelPath: "/elsewhere/renamed.gguf" }), base);
  // Key order does not matter.
  assert.equal(settingsId(Object.fromEntries(Object.entries(DESCRIPTION).reverse()) as BackendDescription), base);
  for (const change of [
    { modelSha256: "b".repeat(64) },
    { kvCacheType: "f32" },
    { flashAttention: true },
    { contextSize: 4096 },
    { engineVersion: "2" },
    { batchSize: 256 },
    { gpu: "cuda" },
  ]) {
    assert.notEqual(settingsId({ ...DESCRIPTION, ...change } as BackendDescription), base, JSON.stringify(change));
  }
});

test("a second run answers everything from the file; only misses reach the inner backend; repeats are computed once", async () => {
  const dir = freshDir();
  const first = new CountingBackend();
  let cache = RequestCache.open(dir);
  const a = await new CachingBackend(first, { store: cache }).loglikelihood(requests.slice(0, 20));
  assert.deepEqual(a, requests.slice(0, 20).map(expected));
  assert.equal(first.computed.length, 20);
  cache.close();

  // A new process: a new connection to the same file.
  cache = RequestCache.open(dir);
  const second = new CountingBackend();
  const lines: string[] = [];
  const caching = new CachingBackend(second, { store: cache, log: (l) => lines.push(l) });
  const withRepeats = [...requests, requests[25]!, requests[3]!];
  const b = await caching.loglikelihood(withRepeats);
  assert.deepEqual(b, withRepeats.map(expected));
  assert.deepEqual(second.computed.sort(), requests.slice(20).map((r) => r.continuation).sort(), "only the 10 new requests are computed, each once");
  assert.deepEqual(caching.phaseCounts(), [{ kind: "loglikelihood", requests: 32, distinct: 30, fromCache: 20, computed: 10, stored: 10 }]);
  assert.deepEqual(lines, ["loglikelihood: 20 of 30 requests from cache, 10 to compute (2 repeats)"]);
  assert.equal(cache.count(), 30);
  cache.close();
});

test("another model or setting never gets a cached answer", async () => {
  const dir = freshDir();
  let cache = RequestCache.open(dir);
  await new CachingBackend(new CountingBackend(), { store: cache }).loglikelihood(requests);
  cache.close();
  cache = RequestCache.open(dir);
  for (const change of [{ modelSha256: "c".repeat(64) }, { kvCacheType: "f32" }, { flashAttention: true }, { contextSize: 1024 }]) {
    const other = new CountingBackend({ ...DESCRIPTION, ...change } as BackendDescription);
    await new CachingBackend(other, { store: cache }).loglikelihood(requests);
    assert.equal(other.computed.length, 30, JSON.stringify(change));
  }
  const moreThreads = new CountingBackend({ ...DESCRIPTION, threads: 7 });
  await new CachingBackend(moreThreads, { store: cache }).loglikelihood(requests);
  assert.equal(moreThreads.computed.length, 0, "a different thread count reuses the answers");
  cache.close();
});

test("answers are stored chunk by chunk: a crash keeps every finished chunk", async () => {
  const dir = freshDir();
  const cache = RequestCache.open(dir);
  // Chunks of 4 then 8 (contexts differ, so no question's choices stretch them); the third call dies.
  const distinctContexts = Array.from({ length: 30 }, (_, i) => ll(`question ${String(i).padStart(2, "0")}`, " yes"));
  const crashing = new CountingBackend(DESCRIPTION, 3);
  const caching = new CachingBackend(crashing, { store: cache, minChunk: 4 });
  await assert.rejects(caching.loglikelihood(distinctContexts), /engine crashed/);
  assert.deepEqual(crashing.calls, [4, 8, 16]);
  cache.close();
  // Read back with a separate connection, as a rerun would.
  const db = new Database(path.join(dir, CACHE_FILE_NAME), { readonly: true });
  assert.equal((db.prepare("SELECT COUNT(*) AS n FROM answers").get() as { n: number }).n, 12);
  db.close();
});

test("chunks never split the choices of one question (same context); an empty context is no group", async () => {
  const cache = RequestCache.open(freshDir());
  const inner = new CountingBackend();
  const seen: LoglikelihoodRequest[][] = [];
  const original = inner.loglikelihood.bind(inner);
  inner.loglikelihood = async (rs) => {
    seen.push(rs);
    return original(rs);
  };
  // 6 questions of 3 choices, then 6 requests with an empty context.
  const questions = Array.from({ length: 18 }, (_, i) => ll(`q${Math.floor(i / 3)}`, ` choice ${i % 3}`));
  const empty = Array.from({ length: 6 }, (_, i) => ll("", `sentence ${i}`));
  await new CachingBackend(inner, { store: cache, minChunk: 4, maxChunk: 4 }).loglikelihood([...empty, ...questions]);
  // Sorted: the empty contexts first (cut freely at 4), then questions, each chunk stretched to a whole question.
  assert.deepEqual(seen.map((c) => c.length), [4, 2 + 3, 3 + 3, 3 + 3, 3]);
  for (const call of seen) {
    for (const q of new Set(call.filter((r) => r.context !== "").map((r) => r.context))) {
      assert.equal(call.filter((r) => r.context === q).length, 3, `${q} whole in one call`);
    }
  }
  cache.close();
});

test("WAL mode: the database header says so (bytes 18 and 19 are 2)", () => {
  const dir = freshDir();
  const cache = RequestCache.open(dir);
  cache.close();
  const fd = openSync(path.join(dir, CACHE_FILE_NAME), "r");
  const header = Buffer.alloc(20);
  readSync(fd, header, 0, 20, 0);
  closeSync(fd);
  assert.equal(header.subarray(0, 16).toString("latin1"), "SQLite format 3\0");
  assert.equal(header[18], 2);
  assert.equal(header[19], 2);
});

test("-Infinity, odd doubles and generations come back bit for bit", async () => {
  const dir = freshDir();
  let cache = RequestCache.open(dir);
  const odd = [ll("", "-inf"), ll("x", "y")];
  await new CachingBackend(new CountingBackend(), { store: cache }).loglikelihood(odd);
  const gen: ResolvedGenerateRequest[] = [{ context: "日本語", until: ["\n"], maxTokens: 5 }, { context: "b", until: [], maxTokens: 3 }];
  await new CachingBackend(new CountingBackend(), { store: cache }).generate(gen);
  cache.close();
  cache = RequestCache.open(dir);
  const replay = new CountingBackend();
  const caching = new CachingBackend(replay, { store: cache });
  const back = await caching.loglikelihood(odd);
  assert.equal(back[0]!.logprob, -Infinity);
  assert.ok(Object.is(back[1]!.logprob, -2 / 7));
  assert.deepEqual(await caching.generate(gen), ["日本語/5", "B/3"]);
  // A generate request with another cap is another request.
  assert.deepEqual(await caching.generate([{ context: "b", until: [], maxTokens: 4 }]), ["B/4"]);
  assert.deepEqual(replay.computed, ["b"]);
  cache.close();
});

test("an abort stops between chunks, keeps what finished, and rejects with InterruptedError", async () => {
  const dir = freshDir();
  const cache = RequestCache.open(dir);
  const controller = new AbortController();
  const inner = new CountingBackend();
  const original = inner.loglikelihood.bind(inner);
  inner.loglikelihood = async (rs) => {
    const out = await original(rs);
    if (inner.calls.length === 2) controller.abort();
    return out;
  };
  const caching = new CachingBackend(inner, { store: cache, signal: controller.signal, minChunk: 5, maxChunk: 5 });
  const distinctContexts = requests.map((r, i) => ll(`${r.context} #${String(i).padStart(2, "0")}`, r.continuation));
  await assert.rejects(caching.loglikelihood(distinctContexts), (e: unknown) => e instanceof InterruptedError && e.kind === "interrupted");
  await new Promise((resolve) => setImmediate(resolve));
  // The chunk in flight when the abort came finished: it is kept; no third chunk was sent.
  assert.deepEqual(inner.calls, [5, 5]);
  assert.equal(cache.count(), 10);
  assert.equal(distinctContexts.filter((r) => caching.isAnswered(r)).length, 10);
  cache.close();
});

test("the model hash is computed once per (path, size, mtime) and redone when the file changes", async () => {
  const dir = freshDir();
  const model = path.join(scratch, "model.bin");
  writeFileSync(model, "GGUF first version");
  const cache = RequestCache.open(dir);
  const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");
  assert.equal(await cache.modelSha256(model), sha(model));
  assert.equal(await cache.modelSha256(model), sha(model));
  appendFileSync(model, " and more");
  assert.equal(await cache.modelSha256(model), sha(model));
  assert.equal(cache.stats().modelFilesHashed, 1);
  cache.close();
});

test("a corrupt database is moved aside with a warning and a new one is started", async () => {
  const dir = freshDir();
  const cache = RequestCache.open(dir);
  await new CachingBackend(new CountingBackend(), { store: cache }).loglikelihood(requests);
  cache.close();
  const file = path.join(dir, CACHE_FILE_NAME);
  // Garbage over everything after the 100-byte header: the pages no longer parse.
  const bytes = readFileSync(file);
  bytes.fill(0xa5, 100);
  writeFileSync(file, bytes);
  const warnings: string[] = [];
  const reopened = RequestCache.open(dir, { warn: (l) => warnings.push(l) });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, new RegExp(`^warning: the request cache ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is corrupt \\(.+\\); moved it to .+\\.corrupt-.+ and started an empty one`));
  assert.ok(!warnings[0]!.includes("\n"));
  assert.equal(reopened.count(), 0);
  const inner = new CountingBackend();
  await new CachingBackend(inner, { store: reopened }).loglikelihood(requests.slice(0, 3));
  assert.equal(inner.computed.length, 3);
  reopened.close();
  assert.equal(readdirSync(dir).filter((f) => f.includes(".corrupt-")).length, 1);

  // Not a database at all.
  writeFileSync(file, "this is not sqlite, just text that happens to be here ".repeat(100));
  for (const f of [`${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
  const again: string[] = [];
  RequestCache.open(dir, { warn: (l) => again.push(l) }).close();
  assert.equal(again.length, 1);
});

test("stats count answers per settings; clear removes only the cache database", async () => {
  const dir = freshDir();
  const cache = RequestCache.open(dir);
  await new CachingBackend(new CountingBackend(), { store: cache }).loglikelihood(requests.slice(0, 12));
  await new CachingBackend(new CountingBackend({ ...DESCRIPTION, kvCacheType: "f32" }), { store: cache }).generate([{ context: "a", until: [], maxTokens: 1 }]);
  cache.close();
  const stats = cacheStats(dir);
  assert.equal(stats.answers, 13);
  assert.equal(stats.loglikelihood, 12);
  assert.equal(stats.generate, 1);
  assert.deepEqual(stats.settings.map((s) => [s.description["kvCacheType"], s.loglikelihood, s.generate]), [["f16", 12, 0], ["f32", 0, 1]]);
  // Datasets may live in the same folder (…/rakuten-eval/datasets): they stay.
  writeFileSync(path.join(dir, "keep.txt"), "x");
  const cleared = clearCache(dir);
  assert.deepEqual(cleared, { file: path.join(dir, CACHE_FILE_NAME), removed: true, answers: 13 });
  assert.deepEqual(readdirSync(dir), ["keep.txt"]);
  assert.equal(cacheStats(dir).exists, false);
  assert.ok(!existsSync(path.join(dir, CACHE_FILE_NAME)));
});

test("each answer reported through onResult is committed at once: a crash mid-call keeps every one reported", async () => {
  const dir = freshDir();
  const cache = RequestCache.open(dir);
  const file = path.join(dir, CACHE_FILE_NAME);
  const inner = new CountingBackend();
  const seenOnDisk: number[] = [];
  const asBackend: Backend = inner;
  asBackend.loglikelihood = async (rs, _onProgress, onResult) => {
    for (let i = 0; i < rs.length; i++) {
      if (i === 3) throw new Error("engine crashed mid-call");
      onResult?.(i, expected(rs[i]!));
      // Another connection (another process) sees it committed before the next one is computed.
      const db = new Database(file, { readonly: true });
      seenOnDisk.push((db.prepare("SELECT COUNT(*) AS n FROM answers").get() as { n: number }).n);
      db.close();
    }
    return rs.map(expected);
  };
  const distinctContexts = Array.from({ length: 10 }, (_, i) => ll(`question ${i}`, " yes"));
  await assert.rejects(new CachingBackend(inner, { store: cache, minChunk: 8 }).loglikelihood(distinctContexts), /engine crashed mid-call/);
  assert.deepEqual(seenOnDisk, [1, 2, 3]);
  cache.close();
});

test("before each chunk the store is read again: answers another run committed meanwhile are not recomputed", async () => {
  const dir = freshDir();
  const mine = RequestCache.open(dir);
  const theirs = RequestCache.open(dir); // another run's connection to the same file
  const all = Array.from({ length: 12 }, (_, i) => ll(`question ${String(i).padStart(2, "0")}`, ` yes ${i}`));
  const inner = new CountingBackend();
  const original = inner.loglikelihood.bind(inner);
  inner.loglikelihood = async (rs) => {
    const out = await original(rs);
    // While our first chunk (4 requests) computes, the other run stores requests 6..11.
    if (inner.calls.length === 1) {
      const other = new CachingBackend(new CountingBackend(), { store: theirs });
      await other.loglikelihood(all.slice(6));
    }
    return out;
  };
  const lines: string[] = [];
  const caching = new CachingBackend(inner, { store: mine, log: (l) => lines.push(l), minChunk: 4 });
  assert.deepEqual(await caching.loglikelihood(all), all.map(expected));
  // Ours: 0..3 in the first chunk, then 4..5 of the second (6..11 were answered meanwhile).
  assert.deepEqual(inner.computed, [0, 1, 2, 3, 4, 5].map((i) => ` yes ${i}`));
  assert.deepEqual(inner.calls, [4, 2]);
  assert.deepEqual(caching.phaseCounts(), [{ kind: "loglikelihood", requests: 12, distinct: 12, fromCache: 6, computed: 6, stored: 6 }]);
  assert.ok(lines.includes("loglikelihood: 6 requests were answered meanwhile by another run sharing the cache"), lines.join("\n"));
  assert.equal(mine.count(), 12);
  mine.close();
  theirs.close();
});

test("a chunk another live run has claimed is put off to the end, and skipped if its answers arrive meanwhile; a dead run's claim is ignored", async () => {
  const dir = freshDir();
  const mine = RequestCache.open(dir);
  const theirs = RequestCache.open(dir); // another run's connection: its claims count as another live run's
  const settings = mine.registerSettings(DESCRIPTION);
  const all = Array.from({ length: 12 }, (_, i) => ll(`question ${String(i).padStart(2, "0")}`, ` yes ${i}`));
  const keyOf = (r: LoglikelihoodRequest) => loglikelihoodKey(r);
  // Chunks of 4: [0..3], [4..7], [8..11]. The other run is computing the second one.
  theirs.claim(settings, "loglikelihood", all.slice(4, 8).map(keyOf));
  const inner = new CountingBackend();
  const original = inner.loglikelihood.bind(inner);
  inner.loglikelihood = async (rs) => {
    const out = await original(rs);
    // While we compute our first chunk, the other run stores 4 and 5 of the chunk it claimed.
    if (inner.calls.length === 1) await new CachingBackend(new CountingBackend(), { store: theirs, minChunk: 2, maxChunk: 2 }).loglikelihood(all.slice(4, 6));
    return out;
  };
  const caching = new CachingBackend(inner, { store: mine, minChunk: 4, maxChunk: 4 });
  assert.deepEqual(await caching.loglikelihood(all), all.map(expected));
  // 0..3, then 8..11, then what was left of the deferred chunk: 6 and 7.
  assert.deepEqual(inner.computed, [0, 1, 2, 3, 8, 9, 10, 11, 6, 7].map((i) => ` yes ${i}`));
  assert.deepEqual(inner.calls, [4, 4, 2]);
  theirs.close();
  mine.close();

  // A claim by a process that has exited is ignored: everything in order.
  const dir2 = freshDir();
  const cache = RequestCache.open(dir2);
  const settings2 = cache.registerSettings(DESCRIPTION);
  const dead = Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout);
  const db = new Database(path.join(dir2, CACHE_FILE_NAME));
  const insert = db.prepare("INSERT INTO claims (settings_id, kind, request_key, owner, host, pid, claimed_at) VALUES (?, 'loglikelihood', ?, ?, ?, ?, ?)");
  for (const r of all.slice(0, 4)) insert.run(settings2, keyOf(r), `${hostname()}:${dead}:x`, hostname(), dead, Date.now());
  db.close();
  const fresh = new CountingBackend();
  await new CachingBackend(fresh, { store: cache, minChunk: 4, maxChunk: 4 }).loglikelihood(all);
  assert.deepEqual(fresh.computed, all.map((r) => r.continuation));
  cache.close();
});

test("two runs on one cache at the same time share the work: each answer is computed once, but for at most one chunk at the end", async () => {
  const dir = freshDir();
  const a = RequestCache.open(dir);
  const b = RequestCache.open(dir);
  const all = Array.from({ length: 40 }, (_, i) => ll(`question ${String(i).padStart(2, "0")}`, ` yes ${i}`));
  const slow = () => {
    const inner = new CountingBackend();
    const original = inner.loglikelihood.bind(inner);
    inner.loglikelihood = async (rs) => {
      await new Promise((resolve) => setTimeout(resolve, 5 * rs.length));
      return original(rs);
    };
    return inner;
  };
  const [innerA, innerB] = [slow(), slow()];
  const [ra, rb] = await Promise.all([
    new CachingBackend(innerA, { store: a, minChunk: 4, maxChunk: 4 }).loglikelihood(all),
    new CachingBackend(innerB, { store: b, minChunk: 4, maxChunk: 4 }).loglikelihood(all),
  ]);
  assert.deepEqual(ra, all.map(expected));
  assert.deepEqual(rb, all.map(expected));
  const computed = [...innerA.computed, ...innerB.computed];
  assert.equal(new Set(computed).size, 40);
  // In lockstep each run takes every other chunk; only a chunk the other run is still computing
  // when this one has nothing else left is computed by both (4 requests here).
  assert.ok(computed.length <= 44, `each computed once but for one chunk (A ${innerA.computed.length}, B ${innerB.computed.length})`);
  assert.ok(innerA.computed.length >= 16 && innerB.computed.length >= 16, `both took a share (A ${innerA.computed.length}, B ${innerB.computed.length})`);
  a.close();
  b.close();
});
