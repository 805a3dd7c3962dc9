// rescore's request-drift check on hand-made records: each field of a saved request that the task
// code could send differently (context, continuation, tokenization rule, stop sequences, cap, count)
// is named, for the first differing doc in the run's order.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { LoglikelihoodRequest, ResolvedGenerateRequest, TaskRequest } from "../src/api/types.js";
import type { SampleRecord } from "../src/evaluation/evaluator.js";
import type { PlannedDoc } from "../src/evaluation/taskPlan.js";
import { requestDrift } from "../src/rescore/drift.js";

const ll = (context: string, continuation: string): LoglikelihoodRequest => ({ type: "loglikelihood", context, continuation, tokenization: "separate" });
const gen = (context: string): TaskRequest => ({ type: "generate", context, until: [{ eosToken: true }, "\n"], maxTokens: { kind: "fixed", tokens: 256 } });
const resolve = (r: Extract<TaskRequest, { type: "generate" }>): ResolvedGenerateRequest => ({
  context: r.context,
  until: r.until.map((u) => (typeof u === "string" ? u : "</s>")),
  maxTokens: r.maxTokens.kind === "fixed" ? r.maxTokens.tokens : 0,
});

const planned = (docId: number, shuffledIndex: number, requests: TaskRequest[]): PlannedDoc => ({ docId, shuffledIndex, doc: {}, shotIds: [], context: requests[0]!.context, requests });
const saved = (docId: number, shuffledIndex: number, requests: SampleRecord["requests"]): SampleRecord => ({
  doc_id: docId, shuffled_index: shuffledIndex, shot_ids: [], doc: {}, request_hashes: [], requests, responses: [], metrics: {},
});

const plan = [planned(7, 0, [ll("Q1", " A"), ll("Q1", " B")]), planned(3, 1, [gen("Q2")])];
const unchanged = [saved(7, 0, [ll("Q1", " A"), ll("Q1", " B")]), saved(3, 1, [{ context: "Q2", until: ["</s>", "\n"], maxTokens: 256 }])];
const why = (records: SampleRecord[]) => requestDrift("t", records, plan, resolve)?.match(/\((.*)\); responses/)?.[1];

test("the saved requests the task code sends: no drift", () => {
  assert.equal(requestDrift("t", unchanged, plan, resolve), null);
});

test("each difference is named, with the doc", () => {
  const message = requestDrift("t", [saved(7, 0, [ll("Q1", " A"), ll("Qx", " B")]), unchanged[1]!], plan, resolve);
  assert.match(message!, /^t, doc_id 7: the installed task code does not send the requests the run saved \(request 2 of 2: its context differs from character 1 on\)/);
  assert.equal(why([saved(7, 0, [ll("Q1", " A"), ll("Q1", " C")]), unchanged[1]!]), 'request 2 of 2: its continuation was " C" and is now " B"');
  assert.equal(why([saved(7, 0, [ll("Q1", " A"), { ...ll("Q1", " B"), tokenization: "encode_pair" }]), unchanged[1]!]), "request 2 of 2: its tokenization rule was encode_pair and is now separate");
  assert.equal(why([unchanged[0]!, saved(3, 1, [{ context: "Q2", until: ["<|endoftext|>", "\n"], maxTokens: 256 }])]), 'request 1 of 1: its stop sequences were ["<|endoftext|>","\\n"] and are now ["</s>","\\n"]');
  assert.equal(why([unchanged[0]!, saved(3, 1, [{ context: "Q2", until: ["</s>", "\n"], maxTokens: 128 }])]), "request 1 of 1: its generation cap was 128 tokens and is now 256");
  assert.equal(why([saved(7, 0, [ll("Q1", " A")]), unchanged[1]!]), "the run saved 1 requests and 2 are sent now");
  assert.equal(why([unchanged[0]!, saved(4, 1, unchanged[1]!.requests)]), "shuffled position 1 holds doc_id 3");
  assert.equal(why([unchanged[0]!, saved(3, 2, unchanged[1]!.requests)]), "shuffled position 2 is beyond the 2 docs planned");
});

test("the first difference in the run's order is the one named, whatever the file order", () => {
  const both = [saved(3, 1, [{ context: "Q2", until: ["</s>", "\n"], maxTokens: 1 }]), saved(7, 0, [ll("Q1", " A"), ll("Q1", " C")])];
  assert.match(requestDrift("t", both, plan, resolve)!, /^t, doc_id 7:/);
});
