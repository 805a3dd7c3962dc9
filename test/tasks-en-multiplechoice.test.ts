import { test } from "node:test";
import assert from "node:assert/strict";
import type { LoglikelihoodResponse } from "../src/api/types.js";
import { multipleChoiceRequests, multipleChoiceResults, multipleChoiceTarget, pythonLength } from "../src/tasks/en/multipleChoice.js";

const responses = (lls: number[]): LoglikelihoodResponse[] => lls.map((logprob) => ({ logprob, isGreedy: false }));

test("requests: one encode_pair loglikelihood per choice, continuation ' ' + choice, in choice order", () => {
  const doc = { query: "Q", choices: ["red", "green"], gold: 1 };
  assert.deepEqual(multipleChoiceRequests(doc, "CTX"), [
    { type: "loglikelihood", context: "CTX", continuation: " red", tokenization: "encode_pair" },
    { type: "loglikelihood", context: "CTX", continuation: " green", tokenization: "encode_pair" },
  ]);
  assert.equal(multipleChoiceTarget(doc), " green");
});

test("acc picks the highest ll; acc_norm divides by the choice length (acc and acc_norm differ)", () => {
  // lls -2 ("a", 1 char) and -4 ("bbbb", 4 chars): raw argmax is 0; normalised -2 vs -1, argmax 1.
  const doc = { query: "Q", choices: ["a", "bbbb"], gold: 1 };
  assert.deepEqual(multipleChoiceResults("t", doc, responses([-2, -4])), { acc: 0, acc_norm: 1 });
  const goldFirst = { ...doc, gold: 0 };
  assert.deepEqual(multipleChoiceResults("t", goldFirst, responses([-2, -4])), { acc: 1, acc_norm: 0 });
});

test("acc_norm counts the choice without the leading space the request adds", () => {
  // Without the space: -2/1 = -2 vs -5/3 = -1.67 → index 1. With it: -2/2 = -1 vs -5/4 = -1.25 → index 0.
  const doc = { query: "Q", choices: ["a", "bbb"], gold: 1 };
  assert.equal(multipleChoiceResults("t", doc, responses([-2, -5])).acc_norm, 1);
});

test("acc_norm counts code points like Python len(), not UTF-16 units", () => {
  // "😀😀" is 2 code points (4 UTF-16 units). -3/2 = -1.5 vs -4/3 = -1.33 → index 1;
  // with UTF-16 lengths it would be -0.75 vs -1.33 → index 0.
  assert.equal(pythonLength("😀😀"), 2);
  const doc = { query: "Q", choices: ["😀😀", "abc"], gold: 1 };
  assert.equal(multipleChoiceResults("t", doc, responses([-3, -4])).acc_norm, 1);
});

test("ties go to the first index (np.argmax)", () => {
  const doc = { query: "Q", choices: ["x", "y"], gold: 1 };
  assert.deepEqual(multipleChoiceResults("t", doc, responses([-1, -1])), { acc: 0, acc_norm: 0 });
});

test("a wrong number of responses or a text response is refused", () => {
  const doc = { query: "Q", choices: ["x", "y"], gold: 0 };
  assert.throws(() => multipleChoiceResults("t", doc, responses([-1])));
  assert.throws(() => multipleChoiceResults("t", doc, ["text", { logprob: -1, isGreedy: true }]));
});
