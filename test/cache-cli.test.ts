// `rakuten-eval cache stats|clear` on a cache written through the store (no model needed).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { BackendDescription } from "../src/api/types.js";
import { RequestCache } from "../src/cache/store.js";

const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-cache-cli-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["bin/run.js", ...args], { cwd: process.cwd(), encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const description: BackendDescription = {
  engine: "stand-in",
  engineVersion: "1",
  modelPath: "/models/m.gguf",
  modelSha256: "d".repeat(64),
  contextSize: 2048,
  batchSize: 512,
  threads: 1,
  kvCacheType: "f32",
  flashAttention: false,
  gpu: false,
};

test("cache stats --json counts the stored answers; cache clear removes the database and nothing else", () => {
  const dir = path.join(scratch, "cache");
  const cache = RequestCache.open(dir);
  const id = cache.registerSettings(description);
  cache.putAll(id, "loglikelihood", [["k1", "[-1.5,true]"], ["k2", "[-2,false]"], ["k3", "[-3,false]"]]);
  cache.putAll(id, "generate", [["g1", '"answer"']]);
  cache.close();
  writeFileSync(path.join(dir, "unrelated.txt"), "keep me");

  const stats = cli(["cache", "stats", "--cache-dir", dir, "--json"]);
  assert.equal(stats.status, 0, stats.stderr);
  const parsed = JSON.parse(stats.stdout) as { answers: number; loglikelihood: number; generate: number; settings: { description: Record<string, unknown>; loglikelihood: number }[] };
  assert.equal(parsed.answers, 4);
  assert.equal(parsed.loglikelihood, 3);
  assert.equal(parsed.generate, 1);
  assert.equal(parsed.settings.length, 1);
  assert.equal(parsed.settings[0]!.description["modelSha256"], "d".repeat(64));
  assert.equal(parsed.settings[0]!.description["kvCacheType"], "f32");
  assert.equal(parsed.settings[0]!.description["threads"], undefined, "threads is not part of the settings");

  const text = cli(["cache", "stats", "--cache-dir", dir]);
  assert.match(text.stdout, /requests\.sqlite: 4 answers \(3 loglikelihood, 1 generate\)/);

  const cleared = cli(["cache", "clear", "--cache-dir", dir]);
  assert.equal(cleared.status, 0, cleared.stderr);
  assert.equal(cleared.stdout.trim(), `Removed ${path.join(dir, "requests.sqlite")} (4 answers).`);
  assert.deepEqual(readdirSync(dir), ["unrelated.txt"]);
  assert.equal(cli(["cache", "clear", "--cache-dir", dir]).stdout.trim(), `No request cache at ${path.join(dir, "requests.sqlite")}; nothing to clear.`);
  const empty = JSON.parse(cli(["cache", "stats", "--cache-dir", dir, "--json"]).stdout) as { exists: boolean; answers: number };
  assert.deepEqual([empty.exists, empty.answers], [false, 0]);
  assert.ok(!existsSync(path.join(dir, "requests.sqlite")), "stats does not create a cache");
});
