// A group score only when the group is complete: MMLU is the paper's "mmlu" only when all 57
// subjects ran. A subset (subjects named by --tasks, or `mmlu` with subjects missing) is its own
// row, "mmlu_subset", with no published figure beside it, outside the EN average, and said so.
// (All 57 subjects through the CLI take minutes on two cores: test/results-document.test.ts
// checks the complete group on built results.)
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ResultsDocument } from "../src/results/document.js";
import { readRunDoc } from "./support/runFiles.js";
import { sharedSkip } from "./support/sharedData.js";

const root = process.cwd();
const model = path.resolve(root, "../shared/models/stories260K.gguf");
const shared = path.resolve(root, "../shared/datasets");
const skip = sharedSkip(model, path.join(shared, "mmlu"));

const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-mmlu-subset-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["bin/run.js", "run", ...args, "--model", model, "--no-cache", "-q"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const NOTE = "mmlu subset (2 of 57 subjects): not the paper's MMLU, which averages all 57 subjects; reported as mmlu_subset, not compared with the paper and not in the EN average";

function checkSubset(doc: ResultsDocument, stdout: string): void {
  const summary = doc.rakuten_eval.summary;
  assert.deepEqual(
    summary.map((r) => [r.key, r.task]),
    [["mmlu_subset", "mmlu subset (2 of 57 subjects)"]],
  );
  assert.deepEqual(summary[0]!.published, { "rakuten-ai-7b": null, "rakuten-ai-7b-instruct": null });
  // No EN column has a score, so there is no EN average at all (the subset is not one of its columns).
  assert.deepEqual(doc.rakuten_eval.averages.map((a) => a.id), []);
  assert.deepEqual(Object.keys(doc.groups ?? {}), ["mmlu_subset"]);
  assert.deepEqual(doc.group_subtasks["mmlu_subset"], ["hendrycksTest-anatomy", "hendrycksTest-astronomy"]);
  assert.ok(doc.rakuten_eval.notes.includes(NOTE), doc.rakuten_eval.notes.join("\n"));
  assert.ok(stdout.includes(`note: ${NOTE}\n`), stdout);
}

test("--tasks naming two MMLU subjects: one mmlu_subset row, never the paper's mmlu", { skip, timeout: 120_000 }, async () => {
  const out = path.join(scratch, "named");
  const { code, stdout, stderr } = await run(["--tasks", "hendrycksTest-anatomy,hendrycksTest-astronomy", "--shots", "0", "--limit", "2", "--data-dir", shared, "--output", out]);
  assert.equal(code, 0, stderr);
  checkSubset(readRunDoc(out), stdout);
});

test("--tasks mmlu with only two subjects' data: the other 55 are skipped and the rest is a subset, not mmlu", { skip, timeout: 120_000 }, async () => {
  const data = path.join(scratch, "two-subjects");
  for (const split of ["test", "dev"]) {
    mkdirSync(path.join(data, "mmlu", "data", split), { recursive: true });
    for (const subject of ["anatomy", "astronomy"]) {
      symlinkSync(path.join(shared, "mmlu", "data", split, `${subject}_${split}.csv`), path.join(data, "mmlu", "data", split, `${subject}_${split}.csv`));
    }
  }
  const out = path.join(scratch, "group");
  const { code, stdout, stderr } = await run(["--tasks", "mmlu", "--shots", "0", "--limit", "2", "--data-dir", data, "--output", out]);
  assert.equal(code, 0, stderr);
  const doc = readRunDoc(out);
  checkSubset(doc, stdout);
  assert.equal(doc.rakuten_eval.skipped.length, 55);
});
