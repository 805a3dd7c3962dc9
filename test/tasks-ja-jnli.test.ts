import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { LoglikelihoodResponse } from "../src/api/types.js";
import { PyRandom } from "../src/random/pyRandom.js";
import { jnliHeadTask, jnliTask } from "../src/tasks/ja/jnli.js";
import { sharedSkip } from "./support/sharedData.js";

// Expected strings from the spec (§2.5, §3.2) and the reference jnli.py, written out by hand.
const DESCRIPTION = "以下は、タスクを説明する指示と、文脈のある入力の組み合わせです。要求を適切に満たす応答を書きなさい。\n\n";

const validFile = path.resolve(process.cwd(), "../shared/datasets/jnli/valid-v1.1.json");
const skip = sharedSkip(validFile);

interface RawJnli {
  sentence_pair_id: string;
  sentence1: string;
  sentence2: string;
  label: string;
}

const readJsonl = (file: string): RawJnli[] =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as RawJnli);

const ll = (values: number[]): LoglikelihoodResponse[] => values.map((logprob) => ({ logprob, isGreedy: false }));

const premise0 = "時計がついている場所にパブリックマーケットセンターとかかれた看板が設置されています。";
const hypothesis0 = "屋根の上に看板があり時計もついています。";
const premise1 = "キリンが、木の中から首を出しています。";
const hypothesis1 = "キリンが木々のあいだから顔を出しています。";

test("JNLI metadata: 1.1 at the paper's commit, 1.3 at HEAD with stratified shots", () => {
  assert.equal(jnliTask.name, "jnli-1.1-0.3");
  assert.equal(jnliTask.version, "1.1");
  assert.ok(jnliTask.aliases.includes("jnli"));
  assert.deepEqual(jnliTask.fewshot, { kind: "random" });
  assert.equal(jnliTask.fewshotLabel, undefined);
  assert.equal(jnliHeadTask.name, "jnli-1.3-0.3");
  assert.equal(jnliHeadTask.version, "1.3");
  assert.deepEqual(jnliHeadTask.fewshot, { kind: "stratified" });
  assert.equal(typeof jnliHeadTask.fewshotLabel, "function");
  for (const t of [jnliTask, jnliHeadTask]) {
    assert.equal(t.defaultShots, 3);
    assert.equal(t.primaryMetric, "acc");
    assert.deepEqual(t.evalData, { dataset: "jnli", split: "validation" });
    assert.deepEqual(t.fewshotData, { dataset: "jnli", split: "train" });
  }
});

test("JNLI labels: raw names map to the HF ClassLabel order entailment, contradiction, neutral", () => {
  const docs = jnliTask.parseDocs("eval", [
    { sentence_pair_id: "0", sentence1: "a", sentence2: "b", label: "entailment" },
    { sentence_pair_id: "1", sentence1: "a", sentence2: "b", label: "contradiction" },
    { sentence_pair_id: "2", sentence1: "a", sentence2: "b", label: "neutral" },
    { sentence_pair_id: "3", sentence1: "a", sentence2: "b", label: 2 },
  ]);
  assert.deepEqual(
    docs.map((d) => d.gold),
    [0, 1, 2, 2],
  );
  assert.deepEqual(
    docs.map((d) => jnliHeadTask.fewshotLabel!(d)),
    [0, 1, 2, 2],
  );
  assert.throws(() => jnliTask.parseDocs("eval", [{ sentence1: "a", sentence2: "b", label: "maybe" }]), /field "label"/);
});

test("JNLI 1.1 and 1.3 prompts and requests on the first two validation pairs", { skip }, () => {
  const raw = readJsonl(validFile);
  assert.equal(raw[0]!.sentence1, premise0);
  assert.equal(raw[1]!.sentence2, hypothesis1);
  const docs11 = jnliTask.parseDocs("eval", raw);
  const docs13 = jnliHeadTask.parseDocs("eval", raw);
  assert.equal(docs11.length, 2434);

  const input0 = `### 入力:\n前提：${premise0}\n仮説：${hypothesis0}\n\n### 応答:\n`;
  const input1 = `### 入力:\n前提：${premise1}\n仮説：${hypothesis1}\n\n### 応答:\n`;
  const instr11 = "### 指示:\n与えられた前提と仮説の関係を回答してください。\n\n出力は以下から選択してください：\nentailment\ncontradiction\nneutral\n\n";
  const instr13 = "### 指示:\n与えられた前提と仮説の関係を回答してください。\n\n出力は以下から選択してください：\n含意\n矛盾\n中立\n\n";

  // 1-shot: pair 1 (entailment) as the shot for pair 0 (neutral).
  const ctx11 = jnliTask.fewshotContext(docs11[0]!, [docs11[1]!]);
  assert.equal(ctx11, DESCRIPTION + instr11 + input1 + "entailment" + "\n\n" + instr11 + input0);
  const ctx13 = jnliHeadTask.fewshotContext(docs13[0]!, [docs13[1]!]);
  assert.equal(ctx13, DESCRIPTION + instr13 + input1 + "含意" + "\n\n" + instr13 + input0);
  assert.equal(jnliTask.fewshotContext(docs11[0]!, []), DESCRIPTION + instr11 + input0);

  assert.deepEqual(
    jnliTask.constructRequests(docs11[0]!, ctx11).map((r) => (r.type === "loglikelihood" ? [r.continuation, r.tokenization, r.context === ctx11] : null)),
    [
      ["entailment", "separate", true],
      ["contradiction", "separate", true],
      ["neutral", "separate", true],
    ],
  );
  assert.deepEqual(
    jnliHeadTask.constructRequests(docs13[0]!, ctx13).map((r) => (r.type === "loglikelihood" ? r.continuation : null)),
    ["含意", "矛盾", "中立"],
  );
});

test("JNLI shuffled order starts at validation index 548 (spec §5)", { skip }, () => {
  const docs = jnliTask.parseDocs("eval", readJsonl(validFile));
  const order = docs.map((_, i) => i);
  new PyRandom(42).shuffle(order);
  assert.deepEqual(order.slice(0, 8), [548, 135, 1499, 2043, 1381, 412, 45, 1679]);
});

test("JNLI acc: first maximum wins; gold index from the label", () => {
  const [doc] = jnliTask.parseDocs("eval", [{ sentence1: "a", sentence2: "b", label: "neutral" }]);
  assert.equal(jnliTask.processResults(doc!, ll([-3, -2, -1]), {}).acc, 1);
  assert.equal(jnliTask.processResults(doc!, ll([-1, -2, -1]), {}).acc, 0);
  assert.equal(jnliHeadTask.processResults(doc!, ll([-3, -1, -1]), {}).acc, 0);
  assert.equal(jnliHeadTask.processResults(doc!, ll([-3, -2, -1]), {}).acc, 1);
});
