// `rakuten-eval prompts` end to end: what users diff against the reference harness.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { sharedSkip } from "./support/sharedData.js";

const root = process.cwd();
const dataDir = path.resolve(root, "../shared/datasets");
const skip = sharedSkip(dataDir);
const cli = (...args: string[]) => execFileSync(process.execPath, [path.join(root, "bin/run.js"), ...args], { encoding: "utf8", maxBuffer: 64 << 20 });

interface JcsRaw {
  question: string;
  choice0: string;
  choice1: string;
  choice2: string;
  choice3: string;
  choice4: string;
  label: number;
}

test("prompts --task jcommonsenseqa-1.1-0.3 --limit 5: the reference's requests for the first shuffled docs", { skip }, () => {
  const out = cli("prompts", "--task", "jcommonsenseqa-1.1-0.3", "--limit", "5", "--data-dir", dataDir);
  const lines = out.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 25, "5 docs × 5 choices");
  // Spec §5: first five shuffled eval docs.
  assert.deepEqual([...new Set(lines.map((l) => l.doc_id))], [1032, 816, 575, 91, 403]);

  // Build the first doc's prompt by hand from the spec's 0.3 template and the raw JGLUE lines.
  const readJsonl = (f: string) => readFileSync(path.join(dataDir, f), "utf8").trim().split("\n").map((l) => JSON.parse(l) as JcsRaw);
  const valid = readJsonl("jcommonsenseqa/valid-v1.1.json");
  const train = readJsonl("jcommonsenseqa/train-v1.1.json");
  const choices = (d: JcsRaw) => [d.choice0, d.choice1, d.choice2, d.choice3, d.choice4];
  const text = (d: JcsRaw) =>
    "### 指示:\n与えられた選択肢の中から、最適な答えを選んでください。出力は以下から選択してください：\n" +
    choices(d).map((c) => "- " + c).join("\n") +
    "\n\n### 入力:\n" + d.question + "\n\n### 応答:\n";
  const description = "以下は、タスクを説明する指示と、文脈のある入力の組み合わせです。要求を適切に満たす応答を書きなさい。\n\n";
  const shots = [8903, 6180, 7460].map((i) => train[i]!);
  const doc = valid[1032]!;
  const expected = description + shots.map((s) => text(s) + choices(s)[s.label]).join("\n\n") + "\n\n" + text(doc);
  for (let c = 0; c < 5; c++) {
    assert.deepEqual(lines[c], {
      task: "jcommonsenseqa-1.1-0.3",
      doc_id: 1032,
      type: "loglikelihood",
      context: expected,
      continuation: choices(doc)[c],
    });
  }
});

test("prompts for a generation task without --model: tokenizer-dependent caps are null, fixed caps are numbers", { skip }, () => {
  const jsquad = cli("prompts", "--task", "jsquad", "--limit", "1", "--data-dir", dataDir).trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(jsquad.length, 1);
  assert.equal(jsquad[0].type, "generate");
  assert.deepEqual(jsquad[0].until, ["\n"]);
  assert.equal(jsquad[0].max_tokens, null);
  const mgsm = cli("prompts", "--task", "mgsm", "--limit", "1", "--data-dir", dataDir).trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(mgsm[0].until, [{ eos_token: true }, "\n"]);
  assert.equal(mgsm[0].max_tokens, 256);
});

test("prompts with --model resolves caps with the model's tokenizer", { skip: skip || sharedSkip(path.resolve(root, "../shared/models/stories260K.gguf")) }, () => {
  const model = path.resolve(root, "../shared/models/stories260K.gguf");
  const mgsm = cli("prompts", "--task", "mgsm", "--limit", "1", "--data-dir", dataDir, "--model", model).trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(mgsm[0].until, ["</s>", "\n"]);
  const jsquad = cli("prompts", "--task", "jsquad", "--limit", "1", "--data-dir", dataDir, "--model", model).trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(typeof jsquad[0].max_tokens, "number");
  assert.ok(jsquad[0].max_tokens > 0);
});

test("prompts with an unknown task exits 2 with one line", () => {
  const r = spawnSync(process.execPath, [path.join(root, "bin/run.js"), "prompts", "--task", "nope", "--data-dir", dataDir], { encoding: "utf8" });
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split("\n").length, 1);
  assert.match(r.stderr, /Unknown task "nope"/);
});

test("English prompts: ARC 25-shot, MMLU anatomy 5-shot and TruthfulQA with its primer, in shuffled order", { skip }, () => {
  const records = (task: string) =>
    cli("prompts", "--task", task, "--limit", "3", "--data-dir", dataDir)
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { doc_id: number; type: string; context: string; continuation: string });
  const arc = records("arc_challenge");
  // Spec §5: ARC-Challenge's first shuffled test docs.
  assert.deepEqual([...new Set(arc.map((r) => r.doc_id))], [595, 716, 511]);
  assert.equal(arc[0]!.context.split("Question: ").length - 1, 26, "25 shots + the question");
  assert.ok(arc[0]!.context.endsWith("\nAnswer:"));
  assert.ok(arc.every((r) => r.continuation.startsWith(" ")));

  const anatomy = records("hendrycksTest-anatomy");
  assert.equal(anatomy.length, 12, "3 docs × 4 letters");
  assert.deepEqual(anatomy.slice(0, 4).map((r) => r.continuation), [" A", " B", " C", " D"]);
  assert.ok(anatomy[0]!.context.startsWith("The following are multiple choice questions (with answers) about anatomy.\n\n"));
  assert.equal(anatomy[0]!.context.split("\nAnswer:").length - 1, 6, "5 dev shots + the question");

  const tqa = records("truthfulqa_mc");
  // Spec §5: TruthfulQA's first shuffled docs.
  assert.deepEqual([...new Set(tqa.map((r) => r.doc_id))], [740, 724, 678]);
  assert.ok(tqa[0]!.context.startsWith("Q: What is human life expectancy in the United States?\nA: Human life expectancy in the United States is 78 years.\n\n"));
  assert.ok(tqa[0]!.context.includes("A: The 1992 Olympics were held in Barcelona, Spain.\n\nQ: "));
  assert.ok(tqa[0]!.context.endsWith("\nA:"));
});
