import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseRecords } from "../src/datasets/formats.js";
import { jaqketV2HeadTask, jaqketV2Task } from "../src/tasks/ja/jaqketV2.js";

// JAQKET v2 is not available here; the fixtures are invented questions in the AIO2 DPR format.
// Expected strings follow the spec's template (§2.5, §3.5), written out by hand.
const fixtureDir = path.resolve(process.cwd(), "test/fixtures/datasets/jaqket_v2");

function load(name: string): unknown[] {
  const file = path.join(fixtureDir, name);
  return parseRecords(readFileSync(file, "utf8"), "jaqket_dpr", file);
}

test("JAQKET v2 metadata: 0.1 at the paper's commit, 0.2 at HEAD", () => {
  assert.equal(jaqketV2Task.name, "jaqket_v2-0.1-0.3");
  assert.equal(jaqketV2Task.version, "0.1");
  assert.ok(jaqketV2Task.aliases.includes("jaqket_v2"));
  assert.equal(jaqketV2HeadTask.name, "jaqket_v2-0.2-0.3");
  assert.equal(jaqketV2HeadTask.version, "0.2");
  for (const t of [jaqketV2Task, jaqketV2HeadTask]) {
    assert.equal(t.defaultShots, 1);
    assert.equal(t.primaryMetric, "exact_match");
    assert.deepEqual(t.evalData, { dataset: "jaqket_v2", split: "validation" });
    assert.deepEqual(t.fewshotData, { dataset: "jaqket_v2", split: "train" });
  }
});

test("JAQKET v2 1-shot prompt from the fixtures, every character pinned", () => {
  const evalDocs = jaqketV2Task.parseDocs("eval", load("dev_jaqket_59.350.json"));
  const trainDocs = jaqketV2Task.parseDocs("fewshot", load("train_jaqket_59.350.json"));
  assert.deepEqual(
    evalDocs.map((d) => d.qid),
    ["QAFIX-D001", "QAFIX-D003", "QAFIX-D004"],
  );
  const expected =
    "以下は、タスクを説明する指示と、文脈のある入力の組み合わせです。要求を適切に満たす応答を書きなさい。\n\n" +
    "### 指示:\n与えられた文脈から、質問に対する答えを抜き出してください。\n\n" +
    "### 入力:\n文脈：信濃川は長野県と新潟県を流れる、日本で最も長い川である。\n利根川は流域面積が日本最大の川である。\n" +
    "石狩川は北海道を流れる川である。\n天塩川は北海道北部を流れる川である。\n北上川は東北地方を流れる川である。\n" +
    "質問：日本で一番長い川は何でしょう?\n\n### 応答:\n信濃川\n\n" +
    "### 指示:\n与えられた文脈から、質問に対する答えを抜き出してください。\n\n" +
    "### 入力:\n文脈：富士山は静岡県と山梨県にまたがる活火山で、標高3776メートルの日本最高峰である。\n" +
    "北岳は南アルプスにある山で、日本で二番目に高い。\n奥穂高岳は飛騨山脈の山で、日本で三番目に高い。\n" +
    "槍ヶ岳は鋭くとがった山頂で知られる。\n立山は富山県の山で、古くから信仰の対象とされてきた。\n" +
    "質問：日本で一番高い山は何でしょう?\n\n### 応答:\n";
  assert.equal(jaqketV2Task.fewshotContext(evalDocs[0]!, [trainDocs[0]!]), expected);
  // HEAD renders the same prompt.
  const headEval = jaqketV2HeadTask.parseDocs("eval", load("dev_jaqket_59.350.json"));
  const headTrain = jaqketV2HeadTask.parseDocs("fewshot", load("train_jaqket_59.350.json"));
  assert.equal(jaqketV2HeadTask.fewshotContext(headEval[0]!, [headTrain[0]!]), expected);

  assert.deepEqual(jaqketV2Task.constructRequests(evalDocs[1]!, "CTX"), [
    { type: "generate", context: "CTX", until: ["\n"], maxTokens: { kind: "longestInModelTokens", texts: ["東京", "東京都"], extra: 0 } },
  ]);
});

test("JAQKET v2 accepts ctxs as a list of objects and slices TOP_K_LIMIT=10 (0.1) / the 5 loaded (0.2)", () => {
  const ctxs = Array.from({ length: 12 }, (_, i) => ({ title: `t${i}`, text: `p${i}` }));
  const [doc] = jaqketV2Task.parseDocs("eval", [{ qid: "Q1", question: "問?", answers: { text: ["a"], answer_start: [-1] }, ctxs }]);
  const body = (n: number) =>
    "以下は、タスクを説明する指示と、文脈のある入力の組み合わせです。要求を適切に満たす応答を書きなさい。\n\n" +
    "### 指示:\n与えられた文脈から、質問に対する答えを抜き出してください。\n\n### 入力:\n文脈：" +
    ["p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9"].slice(0, n).join("\n") +
    "\n質問：問?\n\n### 応答:\n";
  assert.equal(jaqketV2Task.fewshotContext(doc!, []), body(10));
  assert.equal(jaqketV2HeadTask.fewshotContext(doc!, []), body(5));
  assert.throws(() => jaqketV2Task.parseDocs("eval", [{ qid: "Q", question: "q", answers: ["a"], ctxs: 3 }]), /ctxs/);
});

test("JAQKET v2 exact_match over every gold answer", () => {
  const [, tokyo] = jaqketV2Task.parseDocs("eval", load("dev_jaqket_59.350.json"));
  assert.equal(jaqketV2Task.processResults(tokyo!, ["東京都"], {}).exact_match, 100);
  assert.equal(jaqketV2Task.processResults(tokyo!, ["東京"], {}).exact_match, 100);
  assert.equal(jaqketV2Task.processResults(tokyo!, ["京都"], {}).exact_match, 0);
});
