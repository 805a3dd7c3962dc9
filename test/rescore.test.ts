// `rakuten-eval rescore` through ./bin/run.js on runs of ../shared data (stories260K, --limit 20;
// the English suite at --limit 2 here, all 57 MMLU subjects, ARC and TruthfulQA: at --limit 20 its
// truncated MMLU prompts take most of an hour on two cores; the session note shows it at 20):
// - an unmodified run of each suite (and XL-Sum 0-shot, whose ROUGE-2 is a seeded bootstrap over
//   the model's tokens) is reproduced bit for bit: every metric and stderr, group, summary row,
//   average and samples file; the source's files are not touched;
// - one MGSM generation edited by hand moves MGSM's acc and its stderr to the values worked out
//   here, and nothing else;
// - a saved request that the task code does not send is refused in one line naming the task and
//   the doc (exit 2), and nothing is written.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ResultsDocument } from "../src/results/document.js";
import { readRunDoc, runResultsFile, runSamplesFile } from "./support/runFiles.js";
import { sharedSkip } from "./support/sharedData.js";

const root = process.cwd();
const model = path.resolve(root, "../shared/models/stories260K.gguf");
const dataDir = path.resolve(root, "../shared/datasets");
const skip = sharedSkip(model, dataDir);
const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-rescore-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const dir = (name: string) => path.join(scratch, name);
const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(root, "bin/run.js"), ...args], { cwd: root, encoding: "utf8" });
const errorLines = (stderr: string) => stderr.split("\n").filter((l) => l.trim() !== "");
const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** Every file under `folder` with its sha256, to show that rescore left the source alone. */
function fingerprint(folder: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out[path.relative(folder, path.join(e.parentPath, e.name))] = sha256(path.join(e.parentPath, e.name));
  }
  return out;
}

/** The source runs, each made on first use (so that one subtest can be run alone with --test-name-pattern). */
const SOURCES: Record<string, string[]> = { ja: ["--suite", "ja"], en: ["--suite", "en"], xlsum: ["--tasks", "xlsum_ja", "--shots", "0"] };
const made = new Set<string>();
function ensureRun(name: string): void {
  if (made.has(name)) return;
  const r = cli("run", ...SOURCES[name]!, "--model", model, "--data-dir", dataDir, "--limit", name === "en" ? "2" : "20", "--no-cache", "--output", dir(name), "-q");
  assert.equal(r.status, 0, r.stderr);
  made.add(name);
}

function rescore(source: string, out: string, ...extra: string[]): ReturnType<typeof cli> {
  ensureRun(source.split("-")[0]!);
  return cli("rescore", dir(source), "--data-dir", dataDir, "--tokenizer", model, "--output", dir(out), "-q", ...extra);
}

/** Copy a run's folder and edit one line of one task's samples file. */
function editedCopy(source: string, name: string, task: string, line: number, edit: (record: Record<string, any>) => void): void {
  ensureRun(source);
  cpSync(dir(source), dir(name), { recursive: true });
  const file = runSamplesFile(dir(name), task);
  const lines = readFileSync(file, "utf8").split("\n");
  const record = JSON.parse(lines[line]!) as Record<string, any>;
  edit(record);
  lines[line] = JSON.stringify(record);
  writeFileSync(file, lines.join("\n"));
}

/** The parts of a results document that scoring produces (everything but dates, the harness that wrote it, notes and file names). */
function scored(doc: ResultsDocument): Record<string, unknown> {
  const { summary, averages, mmlu, datasets, task_settings, skipped, complete, engine } = doc.rakuten_eval;
  return {
    results: doc.results, groups: doc.groups, group_subtasks: doc.group_subtasks, configs: doc.configs, versions: doc.versions,
    "n-shot": doc["n-shot"], higher_is_better: doc.higher_is_better, "n-samples": doc["n-samples"], task_hashes: doc.task_hashes,
    config: { ...doc.config, data_dir: null }, model_name: doc.model_name, tokenizer_eos_token: doc.tokenizer_eos_token,
    summary, averages, mmlu, datasets, task_settings, skipped, complete, engine,
  };
}

/** Every number under `value`, with its path: the metrics and stderrs the reproduction is checked on. */
function numbers(value: unknown, at = ""): [string, number][] {
  if (typeof value === "number") return [[at, value]];
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => numbers(v, `${at}/${k}`));
}

/** Each samples file's sha256, by task. */
function samplesHashes(doc: ResultsDocument): Record<string, string> {
  return Object.fromEntries(Object.values(doc.rakuten_eval.samples ?? {}).map((r) => [r.task, r.sha256]));
}

test("rescore", { skip, timeout: 3_600_000 }, async (t) => {
  for (const source of ["ja", "en", "xlsum"]) {
    await t.test(`an unmodified ${source} run is reproduced bit for bit, and left untouched`, () => {
      ensureRun(source);
      const before = fingerprint(dir(source));
      const r = rescore(source, `${source}-again`);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(fingerprint(dir(source)), before, "the source run's files are unchanged");
      const original = readRunDoc(dir(source));
      const again = readRunDoc(dir(`${source}-again`));
      assert.deepEqual(scored(again), scored(original));
      // deepEqual on parsed doubles is bit equality (no NaN or -0 here); count what it covered.
      const metrics = numbers(original.results).filter(([p]) => p.includes(","));
      const stderrs = metrics.filter(([p]) => p.includes("_stderr,"));
      assert.ok(stderrs.length > 0);
      t.diagnostic(`${source}: ${Object.keys(original.results).length} results entries, ${metrics.length} metric values (${stderrs.length} stderrs) equal`);
      assert.deepEqual(samplesHashes(again), samplesHashes(original), "every samples file byte-identical");
      const file = runResultsFile(dir(source));
      assert.deepEqual(again.rakuten_eval.rescored_from, {
        file: `stories260K/${path.basename(file)}`,
        sha256: sha256(file),
        harness: original.rakuten_eval.harness,
      });
    });
  }

  await t.test("XL-Sum's ROUGE-2 is the seeded bootstrap's mid, reproduced with its stderr", () => {
    if (!existsSync(dir("xlsum-again"))) assert.equal(rescore("xlsum", "xlsum-again").status, 0);
    const entry = readRunDoc(dir("xlsum-again")).results["xlsum_ja-1.0-0.3"]!;
    assert.equal(typeof entry["rouge2,none"], "number");
    assert.equal(typeof entry["rouge2_stderr,none"], "number");
  });

  await t.test("one MGSM generation edited by hand: acc and its stderr move to the values worked out here, nothing else", () => {
    const task = "mgsm-1.0-0.3";
    ensureRun("ja");
    const source = readRunDoc(dir("ja"));
    const lines = readFileSync(runSamplesFile(dir("ja"), task), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, any>);
    // The tiny model answers no MGSM question: 20 docs, each acc 0.
    assert.equal(lines.length, 20);
    assert.deepEqual(lines.map((l) => l.acc), Array(20).fill(0));
    const edited = lines[3]!;
    const answer = edited.doc.answerNumber as number;
    const generation = `答えは${answer}です。`;
    editedCopy("ja", "ja-edited", task, 3, (record) => {
      record.resps = [[generation]];
      record.rakuten_eval.responses = [generation];
    });
    const r = rescore("ja-edited", "ja-edited-rescored");
    assert.equal(r.status, 0, r.stderr);
    const doc = readRunDoc(dir("ja-edited-rescored"));
    // By hand: 19 zeros and one 1. acc = 1/20 = 0.05; the sample variance is
    // (0.95² + 19 × 0.05²) / 19 = (0.9025 + 0.0475) / 19 = 0.05, so stderr = √(0.05 / 20) = √0.0025 = 0.05.
    const entry = doc.results[task]!;
    assert.ok(Math.abs((entry["acc,none"] as number) - 0.05) < 1e-14, String(entry["acc,none"]));
    assert.ok(Math.abs((entry["acc_stderr,none"] as number) - 0.05) < 1e-14, String(entry["acc_stderr,none"]));
    const row = doc.rakuten_eval.summary.find((s) => s.task === task)!;
    assert.ok(Math.abs(row.score - 5) < 1e-12 && Math.abs(row.stderr! - 5) < 1e-12, JSON.stringify(row));
    // Everything else as the source had it.
    const { [task]: _mine, ...others } = doc.results;
    const { [task]: _theirs, ...sourceOthers } = source.results;
    assert.deepEqual(others, sourceOthers);
    assert.deepEqual(doc.rakuten_eval.summary.filter((s) => s.task !== task), source.rakuten_eval.summary.filter((s) => s.task !== task));
    // The suite averages move with MGSM's row: on ../shared four ja tasks have data (the others are
    // missing), so the mean over those (partialValue) rises by MGSM's 5 points / 4 = 1.25 there; the
    // averages themselves stay null (tasks missing).
    assert.deepEqual(
      doc.rakuten_eval.averages,
      source.rakuten_eval.averages.map((a) => ({ ...a, ...(a.missing.length > 0 && a.tasks.includes("mgsm") ? { partialValue: a.partialValue! + 5 / (a.tasks.length - a.missing.length) } : {}) })),
    );
    const line = readFileSync(runSamplesFile(dir("ja-edited-rescored"), task), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, any>)[3]!;
    assert.equal(line.doc_id, edited.doc_id);
    assert.equal(line.acc, 1);
    assert.deepEqual(line.filtered_resps, [String(answer)]);
    const samplesName = path.basename(runSamplesFile(dir("ja"), task));
    assert.deepEqual(doc.rakuten_eval.rescored_from?.edited_samples, [samplesName]);
    assert.ok(doc.rakuten_eval.notes.some((n) => n.includes(samplesName)));
  });

  await t.test("an edit of resps alone (not rakuten_eval.responses) is refused: the two would disagree", () => {
    editedCopy("ja", "ja-resps-only", "mgsm-1.0-0.3", 2, (record) => {
      record.resps = [["42"]];
    });
    const r = rescore("ja-resps-only", "never-1");
    assert.equal(r.status, 2, r.stderr);
    assert.equal(errorLines(r.stderr).length, 1, r.stderr);
    assert.match(r.stderr, /^error: samples_mgsm-1\.0-0\.3_.*\.jsonl line 3 \(doc_id \d+\): its resps and rakuten_eval\.responses disagree; edit both the same way/);
    assert.equal(existsSync(dir("never-1")), false);
  });

  await t.test("a saved request the task code does not send: one line naming the task and the doc, exit 2, nothing written", () => {
    const task = "jcommonsenseqa-1.1-0.3";
    let docId = -1;
    let choices = 0;
    editedCopy("ja", "ja-drift", task, 4, (record) => {
      docId = record.doc_id;
      choices = record.rakuten_eval.requests.length;
      const request = record.rakuten_eval.requests[1];
      request.context = request.context.replace("### 応答", "### 回答");
      record.arguments.gen_args_1.arg_0 = request.context;
    });
    const position = (JSON.parse(readFileSync(runSamplesFile(dir("ja"), task), "utf8").split("\n")[4]!) as { rakuten_eval: { requests: { context: string }[] } }).rakuten_eval.requests[1]!.context.indexOf("### 応答") + 4;
    const before = fingerprint(dir("ja-drift"));
    const r = rescore("ja-drift", "never-2");
    assert.equal(r.status, 2, r.stderr);
    assert.deepEqual(errorLines(r.stderr), [
      `error: ${task}, doc_id ${docId}: the installed task code does not send the requests the run saved (request 2 of ${choices}: its context differs from character ${position} on); responses to other requests cannot be re-scored, so evaluate the model again with \`rakuten-eval run\`.`,
    ]);
    assert.equal(existsSync(dir("never-2")), false, "nothing written");
    assert.deepEqual(fingerprint(dir("ja-drift")), before, "the source is untouched");
  });

  await t.test("without --tokenizer, a task whose caps are in model tokens is refused in one line", () => {
    ensureRun("ja");
    const r = cli("rescore", dir("ja"), "--data-dir", dataDir, "--output", dir("never-3"));
    assert.equal(r.status, 2, r.stderr);
    assert.deepEqual(errorLines(r.stderr), [
      "error: jsquad-1.1-0.3: the generation cap uses the evaluated model's tokenizer; pass --tokenizer with its GGUF (only the vocabulary is loaded).",
    ]);
    assert.equal(existsSync(dir("never-3")), false);
  });

  await t.test("--output in the source's own folder is refused; compare reads a rescored run and shows where it came from", () => {
    const r = rescore("ja", "ja");
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^error: --output .* would put the rescored run beside results_.*\.json in its folder; pass another --output/);
    if (!existsSync(dir("ja-again"))) assert.equal(rescore("ja", "ja-again").status, 0);
    const c = cli("compare", dir("ja-again"), "--baseline", dir("ja"), "--format", "markdown");
    assert.equal(c.status, 0, c.stderr + c.stdout);
    assert.match(c.stdout, /rescored from/);
    assert.match(c.stdout, /rescored without the model from stories260K\/results_/);
  });
});
