// The "Bad input" row (docs/bad-input.md) for a full disk: a run whose output folder has no room exits 2 with
// one line naming the output file and the fix, leaves no temporary files there, and keeps its
// answers in the request cache (the rerun on a roomy folder computes nothing).
//
// A real ENOSPC needs a small file system: the test mounts a 4 KiB tmpfs, which takes root and
// mount permission (CI runs as root); elsewhere it skips with a message.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sharedSkip } from "./support/sharedData.js";

const root = process.cwd();
const model = path.resolve(root, "../shared/models/stories260K.gguf");
const shared = path.resolve(root, "../shared/datasets");

const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-disk-full-"));
const small = path.join(scratch, "small");
mkdirSync(small);
const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=4k", "tmpfs", small]).status === 0;
after(() => {
  if (mounted) spawnSync("umount", [small]);
  rmSync(scratch, { recursive: true, force: true });
});

const skip =
  sharedSkip(model, shared) ||
  (!mounted
    ? "cannot mount a 4 KiB tmpfs here (needs root and mount permission) to fill a disk for real"
    : false);

function run(output: string, cacheDir: string): { status: number | null; stderr: string } {
  const args = ["bin/run.js", "run", "--tasks", "xwinograd_ja", "--limit", "1", "--model", model, "--data-dir", shared, "--output", output, "--cache-dir", cacheDir];
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, stderr: r.stderr };
}

test("disk full while writing outputs: exit 2, one line naming the file and the fix, answers kept", { skip }, () => {
  const cacheDir = path.join(scratch, "cache");
  const out = path.join(small, "out");
  const full = run(out, cacheDir);
  assert.equal(full.status, 2, full.stderr);
  const errors = full.stderr.split("\n").filter((l) => l.startsWith("error:"));
  // lm-eval's layout: <output>/<model name>/samples_<task>_<date id>.jsonl.
  const modelDir = path.join(out, "stories260K");
  assert.equal(errors.length, 1, full.stderr);
  const prefix = `error: No space left on device writing ${path.join(modelDir, "samples_xwinograd_ja_")}`;
  assert.ok(errors[0]!.startsWith(prefix), errors[0]);
  assert.match(errors[0]!.slice(prefix.length), /^\d{4}-\d\d-\d\dT[\d.-]+\.jsonl; free space or pass --output on another disk\. Finished answers are kept in the request cache\.$/);
  assert.doesNotMatch(full.stderr, /\n\s+at /, "no stack trace");
  assert.deepEqual(readdirSync(modelDir), [], "no temporary files or half outputs left in the full folder");

  // The answers were stored before the outputs were written: a rerun elsewhere computes none.
  const roomy = run(path.join(scratch, "out"), cacheDir);
  assert.equal(roomy.status, 0, roomy.stderr);
  assert.match(roomy.stderr, /cache: \d+ answers reused, 0 computed/);
});

// The "Bad input" row (docs/bad-input.md) for a cache on a full disk at start: one line naming the cache file,
// SQLite's own words and the fix, exit 2 (not SQLite's bare message and exit 1), nothing written.
test("request cache on a full disk at start: exit 2, one line naming the file, the cause and the fix", { skip }, () => {
  const full = path.join(scratch, "full-cache");
  mkdirSync(full);
  assert.equal(spawnSync("mount", ["-t", "tmpfs", "-o", "size=4k", "tmpfs", full]).status, 0, "a second 4 KiB tmpfs");
  try {
    const cacheDir = path.join(full, "cache");
    const out = path.join(scratch, "out-cache-full");
    const r = run(out, cacheDir);
    assert.equal(r.status, 2, r.stderr);
    const file = path.join(cacheDir, "requests.sqlite");
    const lines = r.stderr.split("\n").filter((l) => l !== "");
    assert.equal(lines.length, 1, r.stderr);
    const [head, tail] = [`error: The request cache ${file} cannot be written: the disk holding it is full (database or disk is full, SQLITE_FULL, `, " bytes free); free space there, or pass --cache-dir with a folder on another disk, or --no-cache (answers then are not kept for a resume)."];
    assert.ok(lines[0]!.startsWith(head) && lines[0]!.endsWith(tail) && /^\d+$/.test(lines[0]!.slice(head.length, -tail.length)), lines[0]);
    assert.equal(existsSync(out), true, "the output folder was checked (made) up front");
    assert.deepEqual(readdirSync(out), [], "no results written");
  } finally {
    spawnSync("umount", [full]);
  }
});
