// `run --suite ja` with no data and no way to fetch it: one line per unreachable host naming
// the cause, no retries of a fault a retry cannot cure, and closing advice that does not send
// the user to `datasets pull` (which would fail the same way). The sources are redirected
// (HF_ENDPOINT, RAKUTEN_EVAL_SOURCE_MIRROR) to a name that cannot resolve (.invalid is reserved
// by RFC 2606) or to a local port nothing listens on, so no test touches the real network.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { networkFault } from "../src/datasets/networkFault.js";

const root = process.cwd();
const model = path.resolve(root, "../shared/models/stories260K.gguf");
const skip = !existsSync(model) && "../shared/models/stories260K.gguf absent";
const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-offline-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function runWithSources(base: string, name: string, args: string[] = ["run", "--suite", "ja", "--model", model]): { status: number | null; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, HF_ENDPOINT: base, RAKUTEN_EVAL_SOURCE_MIRROR: base, XDG_CACHE_HOME: path.join(scratch, name, "xdg"), CI: "1" };
  delete env["HF_HUB_OFFLINE"];
  delete env["RAKUTEN_EVAL_OFFLINE"];
  const extra = args[0] === "run" ? ["--output", path.join(scratch, name, "out"), "--cache-dir", path.join(scratch, name, "cache")] : [];
  const r = spawnSync(process.execPath, ["bin/run.js", ...args, ...extra], { cwd: root, env, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stderr: r.stderr };
}

/** A local port with nothing listening on it (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test("run --suite ja with an unresolvable source host: one cause line naming DNS, no retries, advice without `datasets pull`, exit 2", { skip }, () => {
  const { status, stderr } = runWithSources("http://nonexistent.invalid", "dns");
  const lines = stderr.trimEnd().split("\n");
  // Bad input (the data cannot be had as set up), as for any other missing-data refusal: not a gate failure (1).
  assert.equal(status, 2, stderr);
  const causes = lines.filter((l) => l.includes("cannot reach"));
  // All the suite's files come from the one redirected host: one line for them all. 15 files: an
  // eval and a few-shot split for 7 tasks (jcs, jnli, marc_ja, jsquad, jaqket_v2, xlsum_ja, mgsm)
  // and xwinograd's test split alone (0-shot).
  assert.deepEqual(causes, ["error: cannot reach nonexistent.invalid: DNS lookup failed (ENOTFOUND); 15 files not fetched from it"]);
  assert.ok(!/attempt \d+ of \d+/.test(stderr), `no retries:\n${stderr}`);
  assert.ok(!stderr.includes("fetch failed"), `the cause, not undici's "fetch failed":\n${stderr}`);
  const last = lines[lines.length - 1]!;
  assert.match(last, /^error: No selected task has its data in .* and its sources cannot be reached; check the network .* or pass --data-dir with a local copy/);
  assert.ok(!stderr.includes("datasets pull"), `no advice to pull:\n${stderr}`);
  // The one file tried, the cause, the advice: nothing per file beyond that.
  assert.ok(lines.length <= 3, `at most 3 lines, got ${lines.length}:\n${stderr}`);
  assert.ok(!/\n\s+at /.test(stderr), "no stack trace");
});

test("a refused connection is named as such and not retried; datasets pull says the same and does not suggest itself", { skip }, async () => {
  const port = await closedPort();
  const run = runWithSources(`http://127.0.0.1:${port}`, "refused");
  assert.equal(run.status, 2, run.stderr);
  assert.deepEqual(run.stderr.split("\n").filter((l) => l.includes("cannot reach")), [`error: cannot reach 127.0.0.1:${port}: connection refused (ECONNREFUSED); 15 files not fetched from it`]);
  assert.ok(!/attempt \d+ of \d+/.test(run.stderr), run.stderr);

  const pull = runWithSources(`http://127.0.0.1:${port}`, "pull", ["datasets", "pull", "--datasets", "jcommonsenseqa"]);
  assert.equal(pull.status, 2, pull.stderr);
  assert.ok(!/attempt \d+ of \d+/.test(pull.stderr), pull.stderr);
  assert.match(pull.stderr, new RegExp(`^error: cannot reach 127\\.0\\.0\\.1:${port}: connection refused \\(ECONNREFUSED\\); 2 files not fetched from it$`, "m"));
  assert.match(pull.stderr, /^error: 2 files could not be pulled \(see above\); check the network .*pass --data-dir\.$/m);
});

test("networkFault reads the cause behind fetch's `fetch failed`; only faults a retry cannot cure are permanent", async () => {
  const dns = await fetch("http://nonexistent.invalid/x").then(() => null, (e: unknown) => e);
  assert.deepEqual(networkFault(dns, "http://nonexistent.invalid/x"), { host: "nonexistent.invalid", code: "ENOTFOUND", reason: "DNS lookup failed (ENOTFOUND)", permanent: true });
  // A dropped connection (undici's socket error) is worth a retry.
  const reset = new TypeError("fetch failed", { cause: Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }) });
  assert.equal(networkFault(reset, "https://huggingface.co/a")?.permanent, false);
  // Happy eyeballs wraps the per-address errors in an AggregateError.
  const refused = new TypeError("fetch failed", { cause: Object.assign(new AggregateError([Object.assign(new Error("connect ECONNREFUSED ::1:9"), { code: "ECONNREFUSED" })]), {}) });
  assert.equal(networkFault(refused, "http://localhost:9/")?.reason, "connection refused (ECONNREFUSED)");
  // Not a network fault: a short body, a disk error.
  assert.equal(networkFault(new Error("got 3 of 10 bytes"), "https://h/"), null);
  assert.equal(networkFault(Object.assign(new Error("no space"), { code: "ENOSPC" }), "https://h/"), null);
});
