import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { LoglikelihoodResponse } from "../src/api/types.js";
import { arcChallengeTask, type ArcDoc } from "../src/tasks/en/arcChallenge.js";
import { sharedSkip } from "./support/sharedData.js";

const arcDir = path.resolve(process.cwd(), "../shared/datasets/arc_challenge");
const testFile = path.join(arcDir, "ARC-Challenge-Test.jsonl");
const trainFile = path.join(arcDir, "ARC-Challenge-Train.jsonl");
const skip = sharedSkip(testFile, trainFile);

interface RawArc {
  id: string;
  question: { stem: string; choices: { text: string; label: string }[] };
  answerKey: string;
}

function readJsonl(file: string): RawArc[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as RawArc);
}

const responses = (lls: number[]): LoglikelihoodResponse[] => lls.map((logprob) => ({ logprob, isGreedy: false }));

test("ARC task metadata as the b281 registry reports it", () => {
  assert.equal(arcChallengeTask.name, "arc_challenge");
  assert.equal(arcChallengeTask.version, "0");
  assert.equal(arcChallengeTask.primaryMetric, "acc_norm");
  assert.equal(arcChallengeTask.defaultShots, 25);
  assert.deepEqual(arcChallengeTask.fewshot, { kind: "random" });
  assert.deepEqual(arcChallengeTask.evalData, { dataset: "arc_challenge", split: "test" });
  assert.deepEqual(arcChallengeTask.fewshotData, { dataset: "arc_challenge", split: "train" });
});

test("ARC 0-shot prompt and requests of the first test question", { skip }, () => {
  const docs = arcChallengeTask.parseDocs("eval", readJsonl(testFile));
  assert.equal(docs.length, 1172);
  const doc = docs[0]!;
  const prompt = arcChallengeTask.fewshotContext(doc, []);
  assert.equal(
    prompt,
    "Question: An astronomer observes that a planet rotates faster after a meteorite impact. Which is the most likely effect of this increase in rotation?\nAnswer:",
  );
  assert.equal(doc.gold, 2); // answerKey "C"
  const requests = arcChallengeTask.constructRequests(doc, prompt);
  assert.deepEqual(
    requests.map((r) => (r.type === "loglikelihood" ? [r.continuation, r.tokenization, r.context === prompt] : r.type)),
    [
      [" Planetary density will decrease.", "encode_pair", true],
      [" Planetary years will become longer.", "encode_pair", true],
      [" Planetary days will become shorter.", "encode_pair", true],
      [" Planetary gravity will become stronger.", "encode_pair", true],
    ],
  );
  // acc vs acc_norm on a real doc: lengths 32, 35, 35, 39. lls [-10, -20, -10.5, -20]: raw argmax 0;
  // normalised -0.3125, -0.571, -0.3, -0.513 → argmax 2 = gold.
  assert.deepEqual(arcChallengeTask.processResults(doc, responses([-10, -20, -10.5, -20]), {}), { acc: 0, acc_norm: 1 });
});

test("ARC 2-shot prompt: shots 'Question: …\\nAnswer: <gold text>' joined by blank lines", { skip }, () => {
  const rawTrain = readJsonl(trainFile);
  const train = arcChallengeTask.parseDocs("fewshot", rawTrain);
  const doc = arcChallengeTask.parseDocs("eval", readJsonl(testFile))[0]!;
  const shots: ArcDoc[] = [train[0]!, train[1]!];
  const expected =
    "Question: George wants to warm his hands quickly by rubbing them. Which skin surface will produce the most heat?\nAnswer: dry palms" +
    "\n\n" +
    "Question: Which of the following statements best explains why magnets usually stick to a refrigerator door?\nAnswer: The refrigerator door contains iron." +
    "\n\n" +
    "Question: An astronomer observes that a planet rotates faster after a meteorite impact. Which is the most likely effect of this increase in rotation?\nAnswer:";
  assert.equal(arcChallengeTask.fewshotContext(doc, shots), expected);

  // The same prompt composed from the raw fields (gold text found through the record's own labels).
  const shotText = (r: RawArc) =>
    "Question: " + r.question.stem + "\nAnswer: " + r.question.choices.find((c) => c.label === r.answerKey)!.text;
  assert.equal(expected, shotText(rawTrain[0]!) + "\n\n" + shotText(rawTrain[1]!) + "\n\nQuestion: " + readJsonl(testFile)[0]!.question.stem + "\nAnswer:");
});

test("ARC numeric answer keys map 1→A … so gold is the right index", { skip }, () => {
  const raw = readJsonl(testFile);
  const docs = arcChallengeTask.parseDocs("eval", raw);
  // Test question 45 (NYSEDREGENTS_2008_8_34) has labels "1".."4" and answerKey "2": gold index 1.
  assert.equal(raw[44]!.id, "NYSEDREGENTS_2008_8_34");
  assert.equal(raw[44]!.answerKey, "2");
  assert.equal(docs[44]!.gold, 1);
  assert.equal(arcChallengeTask.describeDoc!(docs[44]!)["target"], "Kinetic energy increases and potential energy decreases.");
  // A 3-choice numeric question (NYSEDREGENTS_2012_8_42, key "2" → "increase") and a 5-choice one (TIMSS_1995_8_J7, key "D").
  assert.equal(docs[385]!.choices[docs[385]!.gold], "increase");
  assert.equal(docs[836]!.gold, 3);
  assert.equal(docs[836]!.choices.length, 5);
  // All 22 numeric-key questions: gold equals the key's position among the record's labels.
  const numeric = raw.map((r, i) => [r, i] as const).filter(([r]) => /^[1-5]$/.test(r.answerKey));
  assert.equal(numeric.length, 22);
  for (const [r, i] of numeric) assert.equal(docs[i]!.gold, r.question.choices.findIndex((c) => c.label === r.answerKey));
});

test("ARC refuses an answer key that names no choice", () => {
  const bad = { id: "x", question: { stem: "s", choices: [{ text: "a", label: "A" }] }, answerKey: "F" };
  assert.throws(() => arcChallengeTask.parseDocs("eval", [bad]), /answerKey "F"/);
  assert.throws(() => arcChallengeTask.parseDocs("eval", [{ id: "y" }]), /record 1/);
});
