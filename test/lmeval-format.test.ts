// Our outputs in lm-evaluation-harness v0.4's layout and types, checked against what lm-eval's
// own source says it writes (expected keys and types written down from lm_eval/result_schema.py,
// loggers/evaluation_tracker.py and evaluator.py, not from our output), read by a make_table-like
// consumer, used as a compare baseline when lm-eval itself wrote the file, and the two
// leaderboard formats against their published files' shapes.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TaskResult } from "../src/evaluation/evaluator.js";
import { buildResultsDocument, resultsJson, type ResultsMeta } from "../src/results/document.js";
import { resultsFileOf } from "../src/results/layout.js";
import { findTask, mmluTaskNames } from "../src/tasks/registry.js";
import { accOf, makeTable } from "./support/makeTable.js";
import { isPyNumber, parsePython, type PyValue } from "./support/pythonTypes.js";
import { sharedSkip } from "./support/sharedData.js";

const root = process.cwd();
const model = path.resolve(root, "../shared/models/stories260K.gguf");
const dataDir = path.resolve(root, "../shared/datasets");
const skip = sharedSkip(model, dataDir);
const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-lmeval-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

// --- What lm-eval v0.4 writes (EvalResults in lm_eval/result_schema.py, filled by simple_evaluate
// and EvaluationTracker.save_results_aggregated, which adds task_hashes and asdict(GeneralConfigTracker)).
const TOP_KEYS = [
  "results", "group_subtasks", "configs", "versions", "n-shot", "higher_is_better", "n-samples", "config", "git_hash", "date",
  "max_length", "model_source", "model_name", "model_name_sanitized", "system_instruction", "system_instruction_sha",
  "fewshot_as_multiturn", "chat_template", "chat_template_sha", "start_time", "end_time", "total_evaluation_time_seconds", "task_hashes",
];
// _EvalConfig, as simple_evaluate fills results["config"].
const CONFIG_KEYS = ["model", "model_args", "batch_size", "batch_sizes", "device", "use_cache", "limit", "bootstrap_iters", "gen_kwargs", "random_seed", "numpy_seed", "fewshot_seed"];
// SampleResult: fixed keys of a samples_<task>_<date>.jsonl line.
const SAMPLE_KEYS = ["doc_id", "doc", "target", "arguments", "resps", "filtered_resps", "filter", "metrics", "doc_hash", "prompt_hash", "target_hash"];

type Dict = Record<string, PyValue>;
const asDict = (v: PyValue | undefined): Dict => v as Dict;
const kind = (v: PyValue | undefined) => (isPyNumber(v) ? v.kind : v === null ? "null" : Array.isArray(v) ? "list" : typeof v);

/** The results file's keys and types, as lm-eval writes them. */
function checkResultsShape(text: string, ours: string[]): Dict {
  const doc = asDict(parsePython(text));
  for (const k of TOP_KEYS) assert.ok(k in doc, `top-level ${k}`);
  // Everything of ours lm-eval has no key for is under one namespaced key.
  const extra = Object.keys(doc).filter((k) => !TOP_KEYS.includes(k) && !["groups", "tokenizer_eos_token", "tokenizer_pad_token", "tokenizer_bos_token", "eot_token_id"].includes(k));
  assert.deepEqual(extra, ["rakuten_eval"]);
  assert.equal(kind(doc.date), "float");
  assert.equal(kind(doc.start_time), "float");
  assert.equal(kind(doc.total_evaluation_time_seconds), "string");
  assert.ok(!Number.isNaN(Number(doc.total_evaluation_time_seconds)));
  assert.deepEqual(Object.keys(asDict(doc.config)).filter((k) => CONFIG_KEYS.includes(k)).sort(), [...CONFIG_KEYS].sort());
  assert.equal(kind(asDict(doc.config).batch_sizes), "list");
  for (const task of ours) {
    const entry = asDict(asDict(doc.results)[task]);
    assert.equal(entry.name, task);
    assert.equal(kind(entry.alias), "string");
    assert.equal(kind(entry.sample_len), "int");
    for (const [k, v] of Object.entries(entry)) {
      if (!k.includes(",")) continue;
      // "metric,filter": a float; its stderr a float or "N/A" (never null: make_table formats it).
      if (k.split(",")[0]!.endsWith("_stderr")) assert.ok(kind(v) === "float" || v === "N/A", `${task} ${k}: ${JSON.stringify(v)}`);
      else assert.equal(kind(v), "float", `${task} ${k}`);
    }
    assert.ok(["float", "string"].includes(kind(asDict(doc.versions)[task])), `versions[${task}]`);
    assert.equal(kind(asDict(doc["n-shot"])[task]), "int");
    const n = asDict(asDict(doc["n-samples"])[task]);
    assert.equal(kind(n.original), "int");
    assert.equal(kind(n.effective), "int");
    for (const v of Object.values(asDict(asDict(doc.higher_is_better)[task]))) assert.ok(typeof v === "boolean" || v === null);
    const config = asDict(asDict(doc.configs)[task]);
    for (const k of ["task", "dataset_path", "num_fewshot", "metric_list", "output_type", "metadata"]) assert.ok(k in config, `configs[${task}].${k}`);
    assert.ok("test_split" in config || "validation_split" in config, `configs[${task}] split`);
    assert.ok(["multiple_choice", "generate_until", "loglikelihood"].includes(config.output_type as string));
    assert.ok("version" in asDict(config.metadata));
    assert.equal(kind(asDict(doc.task_hashes)[task]), "string");
  }
  // groups only when a group ran (_to_eval_results: `**({"groups": group_data} if group_data else {})`).
  assert.equal("groups" in doc, Object.keys(asDict(doc.group_subtasks)).length > 0);
  return doc;
}

/** A samples file's lines, checked against SampleResult; returns them. */
function checkSamplesShape(file: string, taskHash: string): Dict[] {
  assert.match(path.basename(file), /^samples_.+_\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d(\.\d{6})?\.jsonl$/);
  const lines = readFileSync(file, "utf8").split("\n").filter((l) => l !== "").map((l) => asDict(parsePython(l)));
  let hashes = "";
  for (const s of lines) {
    for (const k of SAMPLE_KEYS) assert.ok(k in s, `${path.basename(file)}: ${k}`);
    assert.equal(kind(s.doc_id), "int");
    assert.equal(kind(s.target), "string");
    assert.equal(s.filter, "none");
    const args = asDict(s.arguments);
    assert.deepEqual(Object.keys(args), Object.keys(args).map((_, i) => `gen_args_${i}`));
    for (const a of Object.values(args)) assert.deepEqual(Object.keys(asDict(a)), ["arg_0", "arg_1"]);
    // sanitize_list: every leaf of resps and filtered_resps is a string.
    const leaves = (v: PyValue): PyValue[] => (Array.isArray(v) ? v.flatMap(leaves) : [v]);
    for (const leaf of [...leaves(s.resps!), ...leaves(s.filtered_resps!)]) assert.equal(kind(leaf), "string");
    // Each metric's value at the top level, a float.
    for (const m of s.metrics as string[]) assert.equal(kind(s[m]), "float", m);
    // The hashes as evaluator.py computes them: sha256 of json.dumps(doc, indent=2, ensure_ascii=False),
    // of the first request's context, of str(target).
    const doc = JSON.parse(JSON.stringify(s.doc, (_k, v: unknown) => (isPyNumber(v as PyValue) ? (v as { value: number }).value : v))) as unknown;
    assert.equal(s.doc_hash, sha256(JSON.stringify(doc, null, 2)));
    assert.equal(s.prompt_hash, sha256(asDict(args.gen_args_0).arg_0 as string));
    assert.equal(s.target_hash, sha256(s.target as string));
    hashes += `${String(s.doc_hash)}${String(s.prompt_hash)}${String(s.target_hash)}`;
  }
  assert.equal(taskHash, sha256(hashes), "task_hashes: sha256 over the samples' hashes");
  return lines;
}

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["bin/run.js", ...args], { cwd: root, encoding: "utf8", timeout: 400_000, maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function samplesFileOf(resultsFile: string, task: string): string {
  const doc = JSON.parse(readFileSync(resultsFile, "utf8")) as { rakuten_eval: { samples: Record<string, { task: string }> } };
  const name = Object.entries(doc.rakuten_eval.samples).find(([, r]) => r.task === task)![0];
  return path.join(path.dirname(resultsFile), name);
}

test("MMLU's group: lm-eval v0.4's size-weighted acc with its pooled stderr, and the leaderboard's macro mean, each labelled; make_table reads it", () => {
  const split = { records: [], path: "x", absolutePath: "x", sha256: "0".repeat(64), partial: null, verified: "sha256" as const, mismatches: [] };
  const names = mmluTaskNames();
  const acc = (i: number) => (i % 3) / 4;
  const se = (i: number) => 0.01 + i / 1000;
  const size = (i: number) => 10 + i;
  const results: TaskResult[] = names.map((name, i) => ({
    task: findTask(name), group: "mmlu", shots: 5, requestedShots: 5, nOriginal: size(i), nEffective: size(i),
    metrics: { acc: { value: acc(i), stderr: se(i) }, acc_norm: { value: acc(i), stderr: se(i) } }, samples: [], data: { eval: split },
  }));
  const meta = { engine: { modelPath: "m.gguf", modelSha256: "0".repeat(64), contextSize: 2048, batchSize: 512, gpu: false }, harness: { name: "rakuten-eval", version: "0", git_commit: null }, limit: null, dataDir: "d", date: "2026-01-01T00:00:00.000Z", durationSeconds: 1, complete: true } as unknown as ResultsMeta;
  const doc = buildResultsDocument(results, [], meta);
  // Independently: lm-eval's aggregate_subtask_metrics (weight_by_size) and pooled_sample_stderr.
  let num = 0, den = 0, pooled = 0;
  names.forEach((_, i) => {
    num += acc(i) * size(i);
    den += size(i);
    pooled += (size(i) - 1) * se(i) ** 2 * size(i);
  });
  const weighted = num / den;
  const pooledSe = Math.sqrt(pooled / (den - names.length) / den);
  const text = resultsJson(doc);
  const py = asDict(parsePython(text));
  const group = asDict(asDict(py.results).mmlu);
  assert.ok(Math.abs((group["acc,none"] as { value: number }).value - weighted) < 1e-12);
  assert.ok(Math.abs((group["acc_stderr,none"] as { value: number }).value - pooledSe) < 1e-12);
  assert.deepEqual(asDict(py.groups).mmlu, group, "the group is under groups too");
  assert.deepEqual(asDict(py.group_subtasks).mmlu, names);
  let macro = 0;
  names.forEach((_, i) => (macro += acc(i)));
  assert.ok(Math.abs(doc.rakuten_eval.mmlu!.open_llm_leaderboard_v1.acc - macro / names.length) < 1e-12);
  assert.ok(Math.abs(doc.rakuten_eval.summary[0]!.score - (macro / names.length) * 100) < 1e-9, "the paper's row stays the macro mean");
  assert.match(doc.rakuten_eval.mmlu!.lm_eval_v0_4.label, /weighted by size/);
  assert.match(doc.rakuten_eval.mmlu!.open_llm_leaderboard_v1.label, /Open LLM Leaderboard v1/);
  // Versions are floats ("1" → 1.0); make_table runs over results and groups with the hierarchy.
  assert.equal(kind(asDict(py.versions)["hendrycksTest-anatomy"]), "float");
  const rows = makeTable(py);
  assert.equal(rows[0]![0], "mmlu");
  assert.equal(rows[1]![0], " - hendrycksTest-abstract_algebra");
  assert.equal(rows[0]![6], weighted.toFixed(4));
  assert.equal(makeTable(py, "groups").length, 1);
  assert.ok(accOf(py, "mmlu").value > 0);
});

test("a Japanese run: lm-eval's files, keys and types; make_table reads it; MGSM's extracted answer is logged; jp-stable's result.json", { skip, timeout: 600_000 }, () => {
  const out = path.join(scratch, "ja");
  const r = cli("run", "--model", model, "--data-dir", dataDir, "--tasks", "jcs,xwinograd_ja,mgsm", "--shots", "0", "--limit", "2", "--no-cache", "-q", "--output", out, "--format", "jp-stable");
  assert.equal(r.status, 0, r.stderr);
  // <output>/<model_name_sanitized>/results_<datetime>.json
  assert.deepEqual(readdirSync(out), ["stories260K"]);
  const file = resultsFileOf(out);
  assert.match(path.relative(out, file), /^stories260K[/\\]results_\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d(\.\d{6})?\.json$/);
  const tasks = ["jcommonsenseqa-1.1-0.3", "xwinograd_ja", "mgsm-1.0-0.3"];
  const doc = checkResultsShape(readFileSync(file, "utf8"), tasks);
  assert.equal(doc.model_name, "stories260K");
  for (const t of tasks) checkSamplesShape(samplesFileOf(file, t), asDict(doc.task_hashes)[t] as string);
  const rows = makeTable(parsePython(readFileSync(file, "utf8")));
  assert.deepEqual(rows.filter((row) => row[0] !== "").map((row) => row[0]), [...tasks].sort());
  assert.equal(rows.find((row) => row[0] === "jcommonsenseqa-1.1-0.3")![3], "0");
  // MGSM: filtered_resps holds the answer the scorer extracted from the generation.
  for (const s of readFileSync(samplesFileOf(file, "mgsm-1.0-0.3"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { filtered_resps: string[]; resps: string[][]; acc: number })) {
    assert.equal(s.filtered_resps.length, 1);
    assert.match(s.filtered_resps[0]!, /^(-?\d+|\[invalid\])$/);
    assert.equal(typeof s.resps[0]![0], "string");
  }
  // jp-stable result.json: the shape of Stability's models/*/result.json (results, versions, config).
  const jp = JSON.parse(readFileSync(path.join(path.dirname(file), "jp-stable", readdirSync(path.join(path.dirname(file), "jp-stable"))[0]!, "result.json"), "utf8")) as Record<string, Record<string, unknown>>;
  assert.deepEqual(Object.keys(jp), ["results", "versions", "config"]);
  assert.deepEqual(Object.keys(jp.config!).sort(), ["batch_size", "bootstrap_iters", "description_dict", "device", "limit", "model", "model_args", "no_cache", "num_fewshot"]);
  assert.deepEqual(jp.config!.num_fewshot, [0, 0, 0]);
  assert.deepEqual(Object.keys(jp.results!).sort(), [...tasks].sort());
  assert.deepEqual(Object.keys(jp.results!["jcommonsenseqa-1.1-0.3"] as object).sort(), ["acc", "acc_norm", "acc_norm_stderr", "acc_stderr"]);
  assert.equal(typeof (jp.versions!["jcommonsenseqa-1.1-0.3"]), "number");
  assert.equal((jp.results!["xwinograd_ja"] as Record<string, number>).acc, (asDict(asDict(doc.results).xwinograd_ja)["acc,none"] as { value: number }).value);
});

test("an MMLU subset under lm-eval's names: Open LLM Leaderboard v1 file; an lm-eval results file (with its samples) as the compare baseline", { skip, timeout: 600_000 }, () => {
  const out = path.join(scratch, "en");
  const r = cli("run", "--model", model, "--data-dir", dataDir, "--tasks", "mmlu_anatomy,mmlu_astronomy", "--limit", "3", "--no-cache", "-q", "--output", out, "--format", "openllm-v1");
  assert.equal(r.status, 0, r.stderr);
  const file = resultsFileOf(path.join(out, "stories260K"));
  const doc = checkResultsShape(readFileSync(file, "utf8"), ["hendrycksTest-anatomy", "hendrycksTest-astronomy"]);
  assert.ok(makeTable(doc).length > 0);
  assert.ok(makeTable(doc, "groups").length > 0);

  // Open LLM Leaderboard v1: the shape of the leaderboard's results_<date>.json files.
  const v1Dir = path.join(path.dirname(file), "openllm-v1");
  const v1 = JSON.parse(readFileSync(path.join(v1Dir, readdirSync(v1Dir)[0]!), "utf8")) as Record<string, Record<string, Record<string, unknown>>>;
  assert.deepEqual(Object.keys(v1), ["config_general", "results", "versions", "config_tasks", "summary_tasks", "summary_general"]);
  for (const k of ["lighteval_sha", "num_few_shot_default", "num_fewshot_seeds", "override_batch_size", "max_samples", "job_id", "start_time", "end_time", "total_evaluation_time_secondes", "model_name", "model_sha", "model_dtype", "model_size"]) {
    assert.ok(k in v1.config_general!, `config_general.${k}`);
  }
  assert.deepEqual(Object.keys(v1.results!), ["harness|hendrycksTest-anatomy|5", "harness|hendrycksTest-astronomy|5", "all"]);
  assert.deepEqual(Object.keys(v1.results!["harness|hendrycksTest-anatomy|5"]!), ["acc", "acc_stderr", "acc_norm", "acc_norm_stderr"]);
  const a = v1.results!["harness|hendrycksTest-anatomy|5"]!.acc as number;
  const b = v1.results!["harness|hendrycksTest-astronomy|5"]!.acc as number;
  assert.ok(Math.abs((v1.results!.all!.acc as number) - (a + b) / 2) < 1e-12);
  assert.deepEqual(v1.versions, { all: 0, "harness|hendrycksTest-anatomy|5": 1, "harness|hendrycksTest-astronomy|5": 1 });
  assert.equal(v1.config_tasks!["harness|hendrycksTest-anatomy"], "LM Harness task");
  assert.deepEqual(Object.keys(v1.summary_tasks!["harness|hendrycksTest-anatomy|5"]!), ["hashes", "truncated", "non_truncated", "padded", "non_padded", "effective_few_shots", "num_truncated_few_shots"]);

  // An lm-eval v0.4 results file, written as lm-eval writes one (its task names, fractions 0-1,
  // "N/A" stderr where one doc cannot give one), with samples beside it for anatomy only.
  const lm = path.join(scratch, "lm-eval-out", "org__model");
  mkdirSync(lm, { recursive: true });
  const id = "2024-05-01T12-00-00.000000";
  const baselineAcc = { mmlu_anatomy: [1, 1, 1], mmlu_astronomy: [0, 1, 0] };
  const lmResults: Record<string, unknown> = {};
  for (const [task, accs] of Object.entries(baselineAcc)) {
    const mean = accs.reduce((x, y) => x + y, 0) / accs.length;
    lmResults[task] = { alias: ` - ${task.slice(5)}`, "acc,none": mean, "acc_stderr,none": Math.sqrt((mean * (1 - mean)) / (accs.length - 1)) };
  }
  const lmDoc = {
    results: { mmlu: { alias: "mmlu", "acc,none": 2 / 3, "acc_stderr,none": "N/A" }, ...lmResults },
    groups: { mmlu: { alias: "mmlu", "acc,none": 2 / 3, "acc_stderr,none": "N/A" } },
    group_subtasks: { mmlu: ["mmlu_anatomy", "mmlu_astronomy"] },
    configs: { mmlu_anatomy: { task: "mmlu_anatomy", dataset_path: "hails/mmlu_no_train", test_split: "test", num_fewshot: 5, output_type: "multiple_choice", metadata: { version: 1.0 } } },
    versions: { mmlu: 2, mmlu_anatomy: 1.0, mmlu_astronomy: 1.0 },
    "n-shot": { mmlu_anatomy: 5, mmlu_astronomy: 5 },
    higher_is_better: { mmlu_anatomy: { acc: true }, mmlu_astronomy: { acc: true } },
    "n-samples": { mmlu_anatomy: { original: 135, effective: 3 }, mmlu_astronomy: { original: 152, effective: 3 } },
    config: { model: "hf", model_args: "pretrained=org/model", batch_size: 1, limit: 3.0 },
    git_hash: "abc1234",
    date: 1714564800.0,
    model_name: "org/model",
    model_name_sanitized: "org__model",
    total_evaluation_time_seconds: "12.5",
  };
  const lmFile = path.join(lm, `results_${id}.json`);
  writeFileSync(lmFile, JSON.stringify(lmDoc, null, 2));
  for (const [task, accs] of Object.entries(baselineAcc)) {
    const ours = readFileSync(samplesFileOf(file, `hendrycksTest-${task.slice(5)}`), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { doc_id: number });
    writeFileSync(
      path.join(lm, `samples_${task}_${id}.jsonl`),
      ours.map((s, k) => JSON.stringify({ doc_id: s.doc_id, doc: {}, target: "0", arguments: {}, resps: [], filtered_resps: [], filter: "none", metrics: ["acc"], acc: accs[k] })).join("\n") + "\n",
    );
  }
  // The new run is a --limit run, and so is the baseline: allowed as a run-to-run comparison.
  const cmp = cli("compare", file, "--baseline", lmFile, "--json");
  assert.equal(cmp.status === 0 || cmp.status === 1, true, cmp.stderr);
  const json = JSON.parse(cmp.stdout) as { rows: { key: string; baselineScore: number | null; paired: boolean; notes: string[]; n: { baseline: number } }[] };
  const row = json.rows.find((x) => x.key === "mmlu_subset")!;
  assert.ok(row, cmp.stdout.slice(0, 2000));
  // The paper's way over the two subjects: (100% + 33.3%) / 2, scaled from lm-eval's fractions.
  assert.ok(Math.abs(row.baselineScore! - ((1 + 1 / 3) / 2) * 100) < 1e-9, JSON.stringify(row));
  assert.equal(row.n.baseline, 6);
  // Paired on the docs through lm-eval's samples_<task>_<date>.jsonl beside its results file.
  assert.equal(row.paired, true, row.notes.join("\n"));

  // What cannot be compared is refused clearly: other shots, and a file with none of our tasks.
  const otherShots = path.join(scratch, "lm-shots", `results_${id}.json`);
  mkdirSync(path.dirname(otherShots), { recursive: true });
  writeFileSync(otherShots, JSON.stringify({ ...lmDoc, "n-shot": { mmlu_anatomy: 0, mmlu_astronomy: 0 } }));
  const refused = cli("compare", file, "--baseline", otherShots);
  assert.equal(refused.status, 2, refused.stderr);
  assert.match(refused.stderr, /shots 5 → 0|shots 0 → 5/);
  const foreign = path.join(scratch, "lm-foreign", `results_${id}.json`);
  mkdirSync(path.dirname(foreign), { recursive: true });
  writeFileSync(foreign, JSON.stringify({ ...lmDoc, results: { gsm8k: { alias: "gsm8k", "exact_match,strict-match": 0.1 } }, groups: undefined, group_subtasks: {} }));
  const none = cli("compare", file, "--baseline", foreign);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /^error: .*an lm-evaluation-harness results file with no task rakuten-eval can compare \(gsm8k\)/);
});

test("results arguments: a results file, its model folder, or the --output folder with one model folder; two models are ambiguous", () => {
  const out = path.join(scratch, "args");
  const a = path.join(out, "model-a");
  mkdirSync(a, { recursive: true });
  writeFileSync(path.join(a, "results.json"), "{}");
  writeFileSync(path.join(a, "results_2024-01-01T00-00-00.json"), "{}");
  writeFileSync(path.join(a, "results_2024-01-02T00-00-00.500000.json"), "{}");
  assert.equal(resultsFileOf(a), path.join(a, "results_2024-01-02T00-00-00.500000.json"), "the newest");
  assert.equal(resultsFileOf(out), path.join(a, "results_2024-01-02T00-00-00.500000.json"));
  assert.equal(resultsFileOf(path.join(a, "results.json")), path.join(a, "results.json"));
  mkdirSync(path.join(out, "model-b"));
  writeFileSync(path.join(out, "model-b", "results.json"), "{}");
  assert.throws(() => resultsFileOf(out), /holds runs of 2 models \(model-a, model-b\)/);
});
