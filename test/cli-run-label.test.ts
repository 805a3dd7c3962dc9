// `run --label NAME` names a run: recorded as rakuten_eval.label and used by compare as the
// run's name (two runs of one model file are otherwise told apart only by their folders).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readRunDoc } from "./support/runFiles.js";
import { sharedSkip } from "./support/sharedData.js";

const root = process.cwd();
const model = path.resolve(root, "../shared/models/stories260K.gguf");
const dataDir = path.resolve(root, "../shared/datasets");
const skip = sharedSkip(model, dataDir);
const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-label-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(root, "bin/run.js"), ...args], { cwd: root, encoding: "utf8" });

test("run --label is recorded in results.json and names the run in compare", { skip }, () => {
  const out = path.join(scratch, "a");
  const run = cli("run", "--tasks", "xwinograd_ja", "--limit", "2", "--model", model, "--data-dir", dataDir, "--no-cache", "--output", out, "--label", "nightly-7", "-q");
  assert.equal(run.status, 0, run.stderr);
  const doc = readRunDoc(out);
  assert.equal(doc.rakuten_eval.label, "nightly-7");
  const unlabelled = path.join(scratch, "b");
  assert.equal(cli("run", "--tasks", "xwinograd_ja", "--limit", "2", "--model", model, "--data-dir", dataDir, "--no-cache", "--output", unlabelled, "-q").status, 0);
  const cmp = cli("compare", out, "--baseline", unlabelled, "--format", "json");
  assert.equal(cmp.status, 0, cmp.stderr);
  const json = JSON.parse(cmp.stdout) as { new: { label: string }; baseline: { label: string } };
  assert.equal(json.new.label, "nightly-7");
  assert.notEqual(json.baseline.label, "nightly-7");
});
