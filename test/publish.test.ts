// Publishing a run's files as one unit (src/util/publish.ts): the manifest comes last and names
// only files of its own publication; temporaries of dead processes are removed; a live
// process's are not.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { publishFiles, removeStaleTemporaries } from "../src/util/publish.js";

const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-publish-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

test("a publication replaces the earlier one: its files in, retired files out, the manifest last; nothing temporary stays", async () => {
  const dir = path.join(scratch, "out");
  const owns = /^samples_.+\.jsonl$/;
  await publishFiles(dir, [{ name: "samples_a.jsonl", content: "a1\n" }, { name: "samples_b.jsonl", content: "b1\n" }], { name: "results.json", content: "{\"run\":1}\n" }, { owns });
  writeFileSync(path.join(dir, "notes.txt"), "the user's own file\n");
  await publishFiles(dir, [{ name: "samples_a.jsonl", content: "a2\n" }], { name: "results.json", content: "{\"run\":2}\n" }, { owns });
  assert.deepEqual(readdirSync(dir).sort(), ["notes.txt", "results.json", "samples_a.jsonl"]);
  assert.equal(readFileSync(path.join(dir, "results.json"), "utf8"), "{\"run\":2}\n");
  assert.equal(readFileSync(path.join(dir, "samples_a.jsonl"), "utf8"), "a2\n");
});

test("temporaries of dead processes are removed, a live process's are kept", () => {
  const dir = path.join(scratch, "stale");
  mkdirSync(dir);
  const dead = deadPid();
  mkdirSync(path.join(dir, `.tmp-${dead}-abc`));
  writeFileSync(path.join(dir, `.tmp-${dead}-abc`, "results.json"), "{}");
  writeFileSync(path.join(dir, `results.json.tmp-${dead}`), "{}");
  mkdirSync(path.join(dir, `.tmp-${process.pid}-live`));
  writeFileSync(path.join(dir, "results.json"), "{}");
  assert.deepEqual(removeStaleTemporaries(dir).sort(), [`.tmp-${dead}-abc`, `results.json.tmp-${dead}`].sort());
  assert.deepEqual(readdirSync(dir).sort(), [`.tmp-${process.pid}-live`, "results.json"].sort());
  assert.ok(existsSync(path.join(dir, "results.json")));
});

test("a lock left by a dead process is taken over", async () => {
  const dir = path.join(scratch, "lock");
  mkdirSync(dir);
  writeFileSync(path.join(dir, ".publish.lock"), String(deadPid()));
  await publishFiles(dir, [], { name: "results.json", content: "{}\n" }, { owns: /^samples_/, lockTimeoutMs: 1000 });
  assert.deepEqual(readdirSync(dir), ["results.json"]);
});
