// Issue 2's end-to-end check: `run --suite ja --limit 5` on stories260K with ../shared/datasets.
// The results JSON validates against results/schema, names the tasks that have no data in one line
// each, and a second run gives the same file apart from the date and the duration.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { validateResults } from "../src/results/validate.js";
import { readRunDoc, runResultsFile, runSamplesFiles } from "./support/runFiles.js";
import { sharedSkip } from "./support/sharedData.js";

const root = process.cwd();
const model = path.resolve(root, "../shared/models/stories260K.gguf");
const dataDir = path.resolve(root, "../shared/datasets");
const skip = sharedSkip(model, dataDir);
const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-e2e-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function run(output: string): { stdout: string; stderr: string } {
  const args = ["bin/run.js", "run", "--suite", "ja", "--limit", "5", "--model", model, "--data-dir", path.relative(root, dataDir), "--output", output, "--no-cache", "--threads", "1"];
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8", maxBuffer: 32 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return { stdout: r.stdout, stderr: r.stderr };
}

test("run --suite ja --limit 5: table beside the paper, one line per task without data, valid and repeatable JSON", { skip, timeout: 240_000 }, () => {
  const a = path.join(scratch, "a");
  const b = path.join(scratch, "b");
  const first = run(a);
  run(b);

  // The table shows the paper's RakutenAI-7B figures and averages.
  assert.match(first.stdout, /RakutenAI-7B/);
  assert.match(first.stdout, /JA Avg \(8 tasks\)[^\n]*62\.83/);
  assert.match(first.stdout, /JA 7-Avg \(no XLSum\)[^\n]*69\.80/);
  // ../shared has no MARC-ja and no JAQKET v2: one line each on stderr (and nowhere else), naming
  // the file that is missing relative to the working directory.
  const skipped = first.stderr.split("\n").filter((l) => l.startsWith("skip "));
  const relative = (f: string) => path.relative(root, path.join(dataDir, f));
  assert.equal(skipped.filter((l) => l.startsWith("skip marc_ja-1.1-0.3: ") && l.includes(` ${relative("marc_ja/valid-v1.1.json")} `)).length, 1, first.stderr);
  assert.equal(skipped.filter((l) => l.startsWith("skip jaqket_v2-0.1-0.3: ") && l.includes(` ${relative("jaqket_v2/dev_jaqket_59.350.json")} `)).length, 1, first.stderr);
  assert.ok(!first.stderr.includes(dataDir + path.sep) && !first.stdout.includes(dataDir + path.sep), "an absolute data path was printed");
  assert.doesNotMatch(first.stdout, /skip/);

  const load = (dir: string) => readRunDoc(dir) as unknown as Record<string, unknown> & {
    results: Record<string, Record<string, unknown>>;
    "n-shot": Record<string, number>;
    rakuten_eval: Record<string, unknown> & { skipped: { task: string }[] };
  };
  const docA = load(a);
  assert.deepEqual(validateResults(docA), []);
  // The tasks with data ran with the paper's shots; the rest are listed as skipped.
  assert.deepEqual(docA["n-shot"], { "jcommonsenseqa-1.1-0.3": 3, "jsquad-1.1-0.3": 2, xwinograd_ja: 0, "mgsm-1.0-0.3": 5 });
  assert.deepEqual(docA.rakuten_eval.skipped.map((s) => s.task).sort(), ["jaqket_v2-0.1-0.3", "jnli-1.1-0.3", "marc_ja-1.1-0.3", "xlsum_ja-1.0-0.3"]);
  // The shared file names the missing data under data_dir as given, never this machine's path.
  const written = readFileSync(runResultsFile(a), "utf8");
  assert.ok(!written.includes(path.resolve(dataDir) + path.sep), "an absolute data path was written to the results file");
  const marc = (docA.rakuten_eval.skipped as { task: string; reason: string }[]).find((s) => s.task === "marc_ja-1.1-0.3")!;
  assert.ok(marc.reason.includes(` ${path.join(path.relative(root, dataDir), "marc_ja", "valid-v1.1.json")} `), marc.reason);
  assert.equal(typeof docA.results["jcommonsenseqa-1.1-0.3"]!["acc,none"], "number");

  const docB = load(b);
  for (const doc of [docA, docB]) {
    delete doc["date"];
    delete doc["total_evaluation_time_seconds"];
    delete doc["start_time"];
    delete doc["end_time"];
    // The samples files' names carry the run's date id.
    delete doc.rakuten_eval["started"];
    doc.rakuten_eval["samples"] = Object.values(doc.rakuten_eval["samples"] as object);
  }
  assert.deepEqual(docA, docB);
  const files = runSamplesFiles(a);
  assert.equal(files.size, 4);
  for (const [task, f] of files) assert.equal(readFileSync(f, "utf8"), readFileSync(runSamplesFiles(b).get(task)!, "utf8"), task);
});
