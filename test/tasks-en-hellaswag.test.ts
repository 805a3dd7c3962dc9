import { test } from "node:test";
import assert from "node:assert/strict";
import type { LoglikelihoodResponse } from "../src/api/types.js";
import { hellaswagPreprocess, hellaswagTask } from "../src/tasks/en/hellaswag.js";

// Records in the official rowanz/hellaswag jsonl format (the full files are not in ../shared).
// The first is the well-known first validation context; the others exercise the WikiHow markup.
const records: unknown[] = [
  {
    ind: 24,
    activity_label: "Roof shingle removal",
    ctx_a: "A man is sitting on a roof.",
    ctx_b: "he",
    ctx: "A man is sitting on a roof. he",
    split: "val",
    split_type: "indomain",
    label: 3,
    endings: ["is using wrap to wrap a pair of skis.", "is ripping level tiles off.", "is holding a rubik's cube.", "starts pulling up roofing on a roof."],
    source_id: "activitynet~v_-JhWjGDPHMY",
  },
  {
    ind: 100,
    activity_label: "Home and Garden",
    ctx_a: "[header] How to clean a grill [title] Heat the grill. [step] Turn it on high for 15 minutes.",
    ctx_b: "",
    ctx: "[header] How to clean a grill [title] Heat the grill. [step] Turn it on high for 15 minutes.",
    split: "val",
    split_type: "zeroshot",
    label: "0",
    endings: ["[substeps] Wipe the grates.", "Pour  water   on it.", "Leave it.", "[title] Walk away."],
    source_id: "wikihow~1",
  },
  {
    ind: 101,
    activity_label: "Baking cookies",
    ctx_a: "A woman pours flour into a bowl.",
    ctx_b: "then THE woman ADDS eggs.",
    ctx: "A woman pours flour into a bowl. then THE woman ADDS eggs.",
    split: "val",
    split_type: "indomain",
    label: 1,
    endings: ["a", "bb", "ccc", "dddd"],
    source_id: "activitynet~x",
  },
];

test("HellaSwag metadata as the b281 registry reports it", () => {
  assert.equal(hellaswagTask.name, "hellaswag");
  assert.equal(hellaswagTask.version, "0");
  assert.equal(hellaswagTask.primaryMetric, "acc_norm");
  assert.equal(hellaswagTask.defaultShots, 10);
  assert.deepEqual(hellaswagTask.fewshot, { kind: "random" });
  assert.deepEqual(hellaswagTask.evalData, { dataset: "hellaswag", split: "validation" });
  assert.deepEqual(hellaswagTask.fewshotData, { dataset: "hellaswag", split: "train" });
});

test("query = preprocess(activity_label + ': ' + ctx_a + ' ' + ctx_b.capitalize())", () => {
  const docs = hellaswagTask.parseDocs("eval", records);
  // capitalize() upper-cases the first letter …
  assert.equal(hellaswagTask.fewshotContext(docs[0]!, []), "Roof shingle removal: A man is sitting on a roof. He");
  assert.equal(docs[0]!.gold, 3);
  // … and lower-cases the rest.
  assert.equal(docs[2]!.query, "Baking cookies: A woman pours flour into a bowl. Then the woman adds eggs.");
  // [header] and [step] removed, " [title]" → ". ", the doubled spaces folded, trailing space of ctx_b="" stripped.
  assert.equal(docs[1]!.query, "Home and Garden: How to clean a grill. Heat the grill. Turn it on high for 15 minutes.");
  assert.equal(docs[1]!.gold, 0); // HF stores label as a string: int("0")
});

test("endings are preprocessed too, keeping the quirks (a leading space left by a removed tag)", () => {
  const doc = hellaswagTask.parseDocs("eval", records)[1]!;
  assert.deepEqual(doc.choices, [" Wipe the grates.", "Pour water  on it.", "Leave it.", " Walk away."]);
  const requests = hellaswagTask.constructRequests(doc, "ctx");
  assert.equal(requests[0]!.type === "loglikelihood" && requests[0]!.continuation, "  Wipe the grates.");
  assert.ok(requests.every((r) => r.type === "loglikelihood" && r.tokenization === "encode_pair"));
});

test("preprocess step order and single-pass replaces (expected values from CPython running the reference code)", () => {
  assert.equal(hellaswagPreprocess("a  b   c"), "a b  c");
  assert.equal(hellaswagPreprocess("Cleaning: x [title] [step] y"), "Cleaning: x.  y");
  assert.equal(hellaswagPreprocess("[title] x"), " x");
  // Python's `.` matches "\r" but not "\n".
  assert.equal(hellaswagPreprocess("[sub\rstep] x"), " x");
  assert.equal(hellaswagPreprocess("[a\nb] y"), "[a\nb] y");
  assert.equal(hellaswagPreprocess("  padded [step]\t"), "padded ");
});

test("shots are 'query + \" \" + gold ending' joined by blank lines", () => {
  const docs = hellaswagTask.parseDocs("fewshot", records);
  const context = hellaswagTask.fewshotContext(docs[0]!, [docs[2]!, docs[1]!]);
  assert.equal(
    context,
    "Baking cookies: A woman pours flour into a bowl. Then the woman adds eggs. bb\n\n" +
      "Home and Garden: How to clean a grill. Heat the grill. Turn it on high for 15 minutes.  Wipe the grates.\n\n" +
      "Roof shingle removal: A man is sitting on a roof. He",
  );
});

test("acc_norm by ending length; acc by raw ll", () => {
  const doc = hellaswagTask.parseDocs("eval", records)[2]!; // endings a, bb, ccc, dddd; gold 1
  const lls = [-1.5, -2, -4, -8];
  // raw argmax 0; normalised -1.5, -1, -1.33, -2 → argmax 1.
  const responses: LoglikelihoodResponse[] = lls.map((logprob) => ({ logprob, isGreedy: false }));
  assert.deepEqual(hellaswagTask.processResults(doc, responses, {}), { acc: 0, acc_norm: 1 });
});

test("a test-split record without a label is refused", () => {
  const unlabeled = { ...(records[0] as object), label: "" };
  assert.throws(() => hellaswagTask.parseDocs("eval", [unlabeled]), /label/);
});
