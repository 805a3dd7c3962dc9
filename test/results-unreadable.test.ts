// A results folder or file that cannot be read (EACCES) is reported as such, never as "holds no
// results file" or "not valid JSON". Permissions do not bind root, so as root the CLI is run as
// the unprivileged user 65534 (nobody); elsewhere as the current user.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const root = process.cwd();
const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-unreadable-"));
after(() => {
  chmodSync(path.join(scratch, "out", "model"), 0o755);
  chmodSync(path.join(scratch, "file", "model", "results_2024-01-01T00-00-00.json"), 0o644);
  rmSync(scratch, { recursive: true, force: true });
});
const asRoot = typeof process.getuid === "function" && process.getuid() === 0;
const skip = process.platform === "win32" && "POSIX permissions";

function merge(input: string): Promise<{ status: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(root, "bin/run.js"), "merge", input, "--output", path.join(scratch, "merged")],
      { cwd: root, encoding: "utf8", env: { ...process.env, HOME: scratch, XDG_DATA_HOME: scratch, XDG_CONFIG_HOME: scratch, XDG_CACHE_HOME: scratch }, ...(asRoot ? { uid: 65534, gid: 65534 } : {}) },
      (error, _stdout, stderr) => resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
}

test("an unreadable model folder or results file is named with its error code, exit 2", { skip }, async () => {
  chmodSync(scratch, 0o777);
  // --output folder whose only model folder cannot be listed.
  const out = path.join(scratch, "out");
  mkdirSync(path.join(out, "model"), { recursive: true });
  writeFileSync(path.join(out, "model", "results_2024-01-01T00-00-00.json"), "{}");
  chmodSync(out, 0o755);
  chmodSync(path.join(out, "model"), 0o000);
  // A results file that cannot be opened, in a readable folder.
  const file = path.join(scratch, "file", "model", "results_2024-01-01T00-00-00.json");
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, "{}");
  for (const dir of [path.join(scratch, "file"), path.dirname(file)]) chmodSync(dir, 0o755);
  chmodSync(file, 0o000);

  const folder = await merge(out);
  assert.equal(folder.status, 2, folder.stderr);
  assert.deepEqual(folder.stderr.trim().split("\n"), [`error: ${path.join(out, "model")} cannot be read (EACCES); give yourself read access to it (e.g. chmod u+rx), or name another folder.`]);
  const unreadable = await merge(file);
  assert.equal(unreadable.status, 2, unreadable.stderr);
  assert.deepEqual(unreadable.stderr.trim().split("\n"), [`error: ${file} cannot be read (EACCES); give yourself read access to it (e.g. chmod u+r), or name another results file.`]);
});
