// The hand-written official-format fixtures in test/fixtures/datasets (see its README.md), and
// the status view over them. Expected values are read off the fixture files by hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { checkSplit, loadSplit } from "../src/datasets/loadSplit.js";
import { datasetStatus } from "../src/datasets/status.js";
import type { JaqketRecord } from "../src/datasets/formats.js";
import { sharedSkip } from "./support/sharedData.js";

const fixtures = path.resolve(process.cwd(), "test/fixtures/datasets");
const sharedDir = path.resolve(process.cwd(), "../shared/datasets");

test("MARC-ja fixtures load as JGLUE preprocessed JSON lines", async () => {
  const valid = await loadSplit(fixtures, { dataset: "marc_ja", split: "validation" }, { allowMismatch: true });
  assert.equal(valid.records.length, 6);
  assert.deepEqual(valid.records[1], { sentence: "届いた時点で箱がつぶれていて、中の部品も一つ足りませんでした。残念です。", label: "negative", review_id: "RFIXV0000000002" });
  assert.equal(valid.verified, "none", "5654 records expected, so the count mismatch is let through and flagged");
  assert.match(valid.mismatches[0]!, /6 records, expected 5654/);
  const train = await loadSplit(fixtures, { dataset: "marc_ja", split: "train" }, { allowMismatch: true });
  assert.deepEqual(
    train.records.map((r) => (r as { label: string }).label),
    ["positive", "negative", "positive", "negative", "positive"],
  );
  await assert.rejects(loadSplit(fixtures, { dataset: "marc_ja", split: "validation" }), /6 records, expected 5654/);
});

test("JAQKET fixtures: top-5 contexts kept, questions without an answer among them dropped", async () => {
  const dev = (await loadSplit(fixtures, { dataset: "jaqket_v2", split: "validation" }, { allowMismatch: true })).records as JaqketRecord[];
  // D002's answer-bearing passages are the 6th and 7th: dropped.
  assert.deepEqual(dev.map((r) => r.qid), ["QAFIX-D001", "QAFIX-D003", "QAFIX-D004"]);
  for (const r of dev) assert.equal(r.ctxs.text.length, 5, `${r.qid} keeps 5 ctxs`);

  const d003 = dev[1]!;
  assert.equal(d003.question, "日本の首都はどこでしょう?");
  assert.deepEqual(d003.answers, { text: ["東京", "東京都"], answer_start: [-1, -1] });
  assert.deepEqual(d003.ctxs, {
    id: ["1021", "1022", "1023", "1024", "1025"],
    title: ["京都市", "大阪市", "奈良市", "首都", "鎌倉"],
    text: ["京都市は千年以上にわたり都が置かれた都市である。", "大阪市は西日本最大の都市である。", "奈良市には平城京が置かれた。", "日本の首都機能は東京に置かれている。", "鎌倉には鎌倉幕府が置かれた。"],
    score: [88, 86.5, 85, 84.5, 83],
    has_answer: [false, false, false, true, false],
  });
  // The 5th passage alone carries the answer: kept. Numeric scores (not DPR's strings) work too.
  const d004 = dev[2]!;
  assert.deepEqual(d004.ctxs.has_answer, [false, false, false, false, true]);
  assert.deepEqual(d004.ctxs.score, [60.5, 59, 58.25, 57, 56.5]);
  // D001: the 6th passage (has_answer) is cut off.
  assert.deepEqual(dev[0]!.ctxs.title, ["富士山", "北岳", "奥穂高岳", "槍ヶ岳", "立山"]);

  const train = (await loadSplit(fixtures, { dataset: "jaqket_v2", split: "train" }, { allowMismatch: true })).records as JaqketRecord[];
  assert.deepEqual(train.map((r) => r.qid), ["QAFIX-T001", "QAFIX-T003"]);
  assert.deepEqual(train[1]!.answers.text, ["木星"]);
});

test("HellaSwag fixtures load as rowanz JSON lines (checked against the pinned blob ids, allowed through)", async () => {
  const val = await loadSplit(fixtures, { dataset: "hellaswag", split: "validation" }, { allowMismatch: true });
  assert.equal(val.records.length, 3);
  assert.match(val.mismatches[0]!, /git blob id [0-9a-f]{40} differs from the pinned 0f5ee25d72216f12317d5d8a7b92deafa423d81e/);
  const doc = val.records[1] as Record<string, unknown>;
  assert.deepEqual(Object.keys(doc), ["ind", "activity_label", "ctx_a", "ctx_b", "ctx", "split", "split_type", "label", "endings", "source_id"]);
  assert.equal(doc["label"], 0);
  assert.equal(doc["ctx_b"], "");
  const train = await loadSplit(fixtures, { dataset: "hellaswag", split: "train" }, { allowMismatch: true });
  assert.equal((train.records[2] as { ctx_b: string }).ctx_b, "he tunes the strings using an App on his Phone.");
});

test("checkSplit: present, partial and missing without reading the data", { skip: sharedSkip(sharedDir) }, async () => {
  const present = await checkSplit(sharedDir, { dataset: "jnli", split: "validation" });
  assert.deepEqual([present.state, present.path, present.size], ["present", "jnli/valid-v1.1.json", 632452]);
  const partial = await checkSplit(sharedDir, { dataset: "jsquad", split: "train" }, { hash: true });
  assert.equal(partial.state, "partial");
  assert.equal(partial.path, "jsquad/PARTIAL_train_subset_74q_yosuke318.json");
  assert.match(partial.detail, /74 of 62859 records.*sha256 verified/);
  const missing = await checkSplit(sharedDir, { dataset: "hellaswag", split: "validation" });
  assert.equal(missing.state, "missing");
  assert.match(missing.detail, /^hellaswag validation split missing: expected .*hellaswag_val\.jsonl/);
  const unknown = await checkSplit(sharedDir, { dataset: "nope", split: "test" });
  assert.equal(unknown.state, "missing");
});

test("datasetStatus lists every split of every manifest with its state", { skip: sharedSkip(sharedDir) }, async () => {
  const rows = await datasetStatus(sharedDir);
  // 11 datasets' 22 splits + 171 MMLU splits.
  assert.equal(rows.length, 22 + 171);
  const state = (dataset: string, split: string) => rows.find((r) => r.dataset === dataset && r.split === split)?.state;
  // From the ../shared README summary table.
  assert.equal(state("jcommonsenseqa", "train"), "present");
  assert.equal(state("jnli", "train"), "missing");
  assert.equal(state("jsquad", "train"), "partial");
  assert.equal(state("marc_ja", "validation"), "missing");
  assert.equal(state("jaqket_v2", "validation"), "missing");
  assert.equal(state("xlsum_ja", "test"), "partial");
  assert.equal(state("xlsum_ja", "train"), "missing");
  assert.equal(state("hellaswag", "validation"), "missing");
  assert.equal(state("mmlu", "virology/test"), "present");
  assert.equal(rows.filter((r) => r.dataset === "mmlu" && r.state === "present").length, 171);
  const jcqa = rows.find((r) => r.dataset === "jcommonsenseqa" && r.split === "validation")!;
  assert.deepEqual([jcqa.size, jcqa.records, jcqa.license], [235633, 1119, "CC BY-SA 4.0"]);

  const fixtureRows = await datasetStatus(fixtures);
  assert.deepEqual(
    fixtureRows.filter((r) => r.state !== "missing").map((r) => `${r.dataset} ${r.split}`).sort(),
    ["hellaswag train", "hellaswag validation", "jaqket_v2 train", "jaqket_v2 validation", "marc_ja train", "marc_ja validation"],
  );
});
