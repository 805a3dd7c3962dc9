// Loads the real copies in ../shared/datasets. Expected counts and hashes come from
// ../shared/datasets/MANIFEST.tsv (computed there with sha256sum and independent readers), and
// expected record contents were read from the files with Python's json/csv modules.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { loadSplit } from "../src/datasets/loadSplit.js";
import { allManifests } from "../src/datasets/manifests.js";
import type { MmluRecord, QuestionAnswerRecord, SquadRecord } from "../src/datasets/formats.js";
import { sharedSkip } from "./support/sharedData.js";

const dataDir = path.resolve(process.cwd(), "../shared/datasets");
const absent = sharedSkip(path.join(dataDir, "MANIFEST.tsv"));

function sharedRows(): Map<string, { records: number; sha256: string }> {
  const rows = new Map<string, { records: number; sha256: string }>();
  for (const line of readFileSync(path.join(dataDir, "MANIFEST.tsv"), "utf8").split("\n").slice(1)) {
    if (!line) continue;
    const [p, , records, sha256] = line.split("\t");
    rows.set(p!, { records: Number(records), sha256: sha256! });
  }
  return rows;
}

test("every official file present in ../shared loads with its pinned count and sha256", { skip: absent }, async () => {
  const rows = sharedRows();
  let loaded = 0;
  for (const m of allManifests()) {
    for (const [split, entry] of Object.entries(m.splits)) {
      if (!existsSync(path.join(dataDir, entry.path))) continue;
      const row = rows.get(entry.path);
      assert.ok(row, `${entry.path} is listed in MANIFEST.tsv`);
      const result = await loadSplit(dataDir, { dataset: m.id, split });
      assert.equal(result.records.length, row.records, `${m.id} ${split} records`);
      assert.equal(result.sha256, row.sha256, `${m.id} ${split} sha256`);
      assert.equal(result.verified, "sha256");
      assert.equal(result.partial, null);
      assert.equal(result.path, entry.path);
      assert.deepEqual(result.mismatches, []);
      loaded++;
    }
  }
  // JCQA 2, JNLI 1, JSQuAD 1, xWinograd 1, MGSM 2, ARC 3, TruthfulQA 1, MMLU 171.
  assert.equal(loaded, 11 + 171);
});

test("JSQuAD validation flattens to 4442 questions in file order", { skip: absent }, async () => {
  const { records } = await loadSplit(dataDir, { dataset: "jsquad", split: "validation" });
  assert.equal(records.length, 4442);
  const first = records[0] as SquadRecord;
  assert.equal(first.id, "a10336p0q0");
  assert.equal(first.title, "梅雨");
  assert.equal(first.question, "日本で梅雨がないのは北海道とどこか。");
  assert.deepEqual(first.answers, { text: ["小笠原諸島", "小笠原諸島を除く日本", "小笠原諸島"], answer_start: [25, 25, 25] });
  assert.ok(first.context.startsWith("梅雨 [SEP] 梅雨（つゆ、ばいう）は、"));
  const last = records[4441] as SquadRecord;
  assert.equal(last.id, "a95156p6q3");
  assert.equal(last.title, "多国籍企業");
  assert.equal(last.question, "ゼネコンはどの国の特有の形態か？");
});

test("JSQuAD train falls back to the 74-question stand-in and says so", { skip: absent }, async () => {
  const result = await loadSplit(dataDir, { dataset: "jsquad", split: "train" });
  assert.ok(result.partial, "flagged as partial");
  assert.equal(result.path, "jsquad/PARTIAL_train_subset_74q_yosuke318.json");
  assert.equal(result.partial.officialRecords, 62859);
  assert.equal(result.records.length, 74);
  assert.equal(result.verified, "sha256");
  assert.equal(result.sha256, "ea7b456b144359dc8e82081d8cbca12dbc73b0ec290c556d175afd1fb3ed4c37");
  assert.equal((result.records[0] as SquadRecord).id, "a10336p0q0");
});

test("MMLU CSV: the literal None is kept, quoted commas and newlines are parsed", { skip: absent }, async () => {
  const test10 = (await loadSplit(dataDir, { dataset: "mmlu", split: "college_computer_science/test" })).records[10] as MmluRecord;
  assert.equal(
    test10.question,
    "Mergesort works by splitting a list of n numbers in half, sorting each half recursively, and merging the two halves. Which of the following data structures will allow mergesort to work in O(n log n) time?\nI. A singly linked list\nII. A doubly linked list\nIII. An array",
  );
  assert.deepEqual(test10.choices, ["None", "III only", "I and II only", "I, II, and III"]);
  assert.equal(test10.answer, "D");

  const dev = (await loadSplit(dataDir, { dataset: "mmlu", split: "high_school_statistics/dev" })).records as MmluRecord[];
  assert.equal(dev.length, 5);
  assert.deepEqual(dev[4], {
    question: "Which of the following sets has the smallest standard deviation? Which has the largest?\nI: {1,2,3}\nII: {-10,10}\nIII: {100}\n",
    choices: ["I, II", "II, III", "III, I", "III, II"],
    answer: "D",
  });
});

test("MGSM ja TSV keeps thousands separators in the answer text", { skip: absent }, async () => {
  const { records } = await loadSplit(dataDir, { dataset: "mgsm_ja", split: "test" });
  const qa = records as QuestionAnswerRecord[];
  assert.equal(qa[0]!.answer, "18");
  assert.equal(qa[249]!.answer, "5,600");
  assert.ok(qa[0]!.question.startsWith("ジャネットのアヒルは1日に16個の卵を生みます。"));
});

test("a second load of the same unchanged file is served from the cache", { skip: absent }, async () => {
  const a = await loadSplit(dataDir, { dataset: "jcommonsenseqa", split: "validation" });
  const b = await loadSplit(dataDir, { dataset: "jcommonsenseqa", split: "validation" });
  assert.equal(a.records, b.records);
  assert.deepEqual(a.records[0], { q_id: 8939, question: "電子機器で使用される最も主要な電子回路基板の事をなんと言う？", choice0: "掲示板", choice1: "パソコン", choice2: "マザーボード", choice3: "ハードディスク", choice4: "まな板", label: 2 });
});
