import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { LoglikelihoodResponse } from "../src/api/types.js";
import { parseRecords } from "../src/datasets/formats.js";
import { enTasks, mmluGroupName, mmluSubjects, mmluTaskNames } from "../src/tasks/en/index.js";
import { createMmluTask } from "../src/tasks/en/mmlu.js";
import { sharedSkip } from "./support/sharedData.js";

const mmluDir = path.resolve(process.cwd(), "../shared/datasets/mmlu/data");
const csvPath = (split: string, subject: string) => path.join(mmluDir, split, `${subject}_${split}.csv`);
const readCsv = (split: string, subject: string): unknown[] =>
  parseRecords(readFileSync(csvPath(split, subject), "utf8"), "mmlu_csv", `${subject}_${split}.csv`);
const skipFor = sharedSkip;

test("57 hendrycksTest-* tasks, VERSION 1, 5-shot acc from the first dev docs", () => {
  assert.equal(mmluSubjects.length, 57);
  assert.equal(mmluSubjects[0], "abstract_algebra");
  assert.equal(mmluSubjects[56], "world_religions");
  assert.equal(mmluGroupName, "mmlu");
  assert.equal(mmluTaskNames.length, 57);
  assert.ok(mmluTaskNames.includes("hendrycksTest-high_school_government_and_politics"));
  const names = enTasks.map((t) => t.name);
  for (const n of mmluTaskNames) assert.ok(names.includes(n), n);
  const anatomy = enTasks.find((t) => t.name === "hendrycksTest-anatomy")!;
  assert.equal(anatomy.version, "1");
  assert.equal(anatomy.primaryMetric, "acc");
  assert.equal(anatomy.defaultShots, 5);
  assert.deepEqual(anatomy.fewshot, { kind: "first" });
  assert.deepEqual(anatomy.evalData, { dataset: "mmlu", split: "anatomy/test" });
  assert.deepEqual(anatomy.fewshotData, { dataset: "mmlu", split: "anatomy/dev" });
  assert.deepEqual(anatomy.aliases, ["mmlu_anatomy"]);
});

test("hendrycksTest-anatomy 5-shot prompt for the first test question", { skip: skipFor(csvPath("test", "anatomy"), csvPath("dev", "anatomy")) }, () => {
  const task = createMmluTask("anatomy");
  const dev = task.parseDocs("fewshot", readCsv("dev", "anatomy"));
  const docs = task.parseDocs("eval", readCsv("test", "anatomy"));
  assert.equal(docs.length, 135);
  const expected =
    "The following are multiple choice questions (with answers) about anatomy.\n\n" +
    "What is the embryological origin of the hyoid bone?\nA. The first pharyngeal arch\nB. The first and second pharyngeal arches\nC. The second pharyngeal arch\nD. The second and third pharyngeal arches\nAnswer: D\n\n" +
    "Which of these branches of the trigeminal nerve contain somatic motor processes?\nA. The supraorbital nerve\nB. The infraorbital nerve\nC. The mental nerve\nD. None of the above\nAnswer: D\n\n" +
    "The pleura\nA. have no sensory innervation.\nB. are separated by a 2 mm space.\nC. extend into the neck.\nD. are composed of respiratory epithelium.\nAnswer: C\n\n" +
    "In Angle's Class II Div 2 occlusion there is\nA. excess overbite of the upper lateral incisors.\nB. negative overjet of the upper central incisors.\nC. excess overjet of the upper lateral incisors.\nD. excess overjet of the upper central incisors.\nAnswer: C\n\n" +
    "Which of the following is the body cavity that contains the pituitary gland?\nA. Abdominal\nB. Cranial\nC. Pleural\nD. Spinal\nAnswer: B\n\n" +
    "A lesion causing compression of the facial nerve at the stylomastoid foramen will cause ipsilateral\n" +
    "A. paralysis of the facial muscles.\nB. paralysis of the facial muscles and loss of taste.\n" +
    "C. paralysis of the facial muscles, loss of taste and lacrimation.\nD. paralysis of the facial muscles, loss of taste, lacrimation and decreased salivation.\nAnswer:";
  assert.equal(task.fewshotContext(docs[0]!, dev.slice(0, 5)), expected);
  assert.equal(docs[0]!.gold, 0);
  assert.equal(docs[1]!.gold, 1);

  const requests = task.constructRequests(docs[0]!, expected);
  assert.deepEqual(
    requests.map((r) => r.type === "loglikelihood" && [r.context === expected, r.continuation, r.tokenization]),
    [[true, " A", "encode_pair"], [true, " B", "encode_pair"], [true, " C", "encode_pair"], [true, " D", "encode_pair"]],
  );
  const responses: LoglikelihoodResponse[] = [-3, -1, -2, -4].map((logprob) => ({ logprob, isGreedy: false }));
  assert.deepEqual(task.processResults(docs[1]!, responses, {}), { acc: 1, acc_norm: 1 });
  assert.deepEqual(task.processResults(docs[0]!, responses, {}), { acc: 0, acc_norm: 0 });
});

test("0 shots keep the description and its blank line", { skip: skipFor(csvPath("test", "anatomy")) }, () => {
  const task = createMmluTask("anatomy");
  const doc = task.parseDocs("eval", readCsv("test", "anatomy"))[2]!;
  assert.equal(
    task.fewshotContext(doc, []),
    "The following are multiple choice questions (with answers) about anatomy.\n\n" +
      "Which of the following best describes the structure that collects urine in the body?\nA. Bladder\nB. Kidney\nC. Ureter\nD. Urethra\nAnswer:",
  );
});

test("the literal None choice stays the string None", { skip: skipFor(csvPath("test", "college_computer_science")) }, () => {
  const task = createMmluTask("college_computer_science");
  const doc = task.parseDocs("eval", readCsv("test", "college_computer_science"))[10]!;
  assert.equal(
    doc.query,
    "Mergesort works by splitting a list of n numbers in half, sorting each half recursively, and merging the two halves. Which of the following data structures will allow mergesort to work in O(n log n) time?\n" +
      "I. A singly linked list\nII. A doubly linked list\nIII. An array\n" +
      "A. None\nB. III only\nC. I and II only\nD. I, II, and III\nAnswer:",
  );
  assert.equal(doc.gold, 3);
  assert.ok(task.fewshotContext(doc, []).startsWith("The following are multiple choice questions (with answers) about college computer science.\n\n"));
});

test("the question is stripped as Python str.strip() does (leading space, U+0085); choices are not", {
  skip: skipFor(csvPath("test", "world_religions"), csvPath("test", "sociology"), csvPath("test", "elementary_mathematics")),
}, () => {
  const religions = createMmluTask("world_religions").parseDocs("eval", readCsv("test", "world_religions"))[0]!;
  assert.equal(religions.query, "What can murtis be translated as?\nA. Offerings\nB. Prayers\nC. Apparitions\nD. Idols\nAnswer:");
  const sociology = createMmluTask("sociology").parseDocs("eval", readCsv("test", "sociology"))[69]!;
  assert.ok(sociology.query.startsWith("Role-learning theory suggests that\nA. we internalise"), JSON.stringify(sociology.query.slice(0, 40)));
  // elementary_mathematics test row 71 has choices with a trailing space ("$20.93 ").
  const maths = createMmluTask("elementary_mathematics").parseDocs("eval", readCsv("test", "elementary_mathematics"))[70]!;
  assert.ok(maths.query.endsWith("\nA. $20.93 \nB. $28.93 \nC. $32.93 \nD. $48.93 \nAnswer:"), JSON.stringify(maths.query.slice(-60)));
});

test("an answer outside A-D is refused", () => {
  const task = createMmluTask("anatomy");
  assert.throws(() => task.parseDocs("eval", [{ question: "q", choices: ["a", "b", "c", "d"], answer: "E" }]), /answer "E"/);
});
