// The request-drift check of `rescore`: a saved response answers the request that was sent, so
// it can be re-scored only if the installed task code sends that same request for that doc
// (same context, continuation, tokenization rule, stop sequences and generation cap). Token ids
// are not saved per request, so the saved text and rules are what is compared. The first
// difference, in the run's evaluation order, is reported as one line.

import type { LoglikelihoodRequest, ResolvedGenerateRequest, TaskRequest } from "../api/types.js";
import type { SampleRecord } from "../evaluation/evaluator.js";
import type { PlannedDoc } from "../evaluation/taskPlan.js";

type SavedRequest = LoglikelihoodRequest | ResolvedGenerateRequest;

/** Where two texts first differ, for the message ("at character 57"). */
function firstDifference(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function isLoglikelihood(r: SavedRequest): r is LoglikelihoodRequest {
  return "type" in r && r.type === "loglikelihood";
}

/** What differs between a saved request and the one the task code sends now, or null when nothing does. */
function requestDifference(saved: SavedRequest, now: SavedRequest): string | null {
  if (saved.context !== now.context) return `its context differs from character ${firstDifference(saved.context, now.context)} on`;
  if (isLoglikelihood(saved) !== isLoglikelihood(now)) return `it was a ${isLoglikelihood(saved) ? "log-likelihood" : "generation"} request and is now a ${isLoglikelihood(now) ? "log-likelihood" : "generation"} request`;
  if (isLoglikelihood(saved) && isLoglikelihood(now)) {
    if (saved.continuation !== now.continuation) return `its continuation was ${JSON.stringify(saved.continuation)} and is now ${JSON.stringify(now.continuation)}`;
    if (saved.tokenization !== now.tokenization) return `its tokenization rule was ${saved.tokenization} and is now ${now.tokenization}`;
    return null;
  }
  const g = saved as ResolvedGenerateRequest;
  const h = now as ResolvedGenerateRequest;
  if (JSON.stringify(g.until) !== JSON.stringify(h.until)) return `its stop sequences were ${JSON.stringify(g.until)} and are now ${JSON.stringify(h.until)}`;
  if (g.maxTokens !== h.maxTokens) return `its generation cap was ${g.maxTokens} tokens and is now ${h.maxTokens}`;
  return null;
}

/**
 * The first saved doc of `task` (in the run's order) whose requests are not what the installed
 * task code sends for it, as the one-line refusal; null when every saved request is sent as it
 * was. `planned` is the task's plan with the run's shots and --limit (its docs in shuffled
 * order); `resolve` resolves a generation request as the run did (EOS text, tokenizer caps).
 */
export function requestDrift(
  task: string,
  saved: readonly SampleRecord[],
  planned: readonly PlannedDoc[],
  resolve: (request: Extract<TaskRequest, { type: "generate" }>) => ResolvedGenerateRequest,
): string | null {
  const refuse = (docId: number, what: string) =>
    `${task}, doc_id ${docId}: the installed task code does not send the requests the run saved (${what}); responses to other requests cannot be re-scored, so evaluate the model again with \`rakuten-eval run\`.`;
  for (const s of [...saved].sort((a, b) => a.shuffled_index - b.shuffled_index)) {
    const doc = planned[s.shuffled_index];
    if (doc === undefined) return refuse(s.doc_id, `shuffled position ${s.shuffled_index} is beyond the ${planned.length} docs planned`);
    if (doc.docId !== s.doc_id) return refuse(s.doc_id, `shuffled position ${s.shuffled_index} holds doc_id ${doc.docId}`);
    const now: SavedRequest[] = doc.requests.map((r) => (r.type === "loglikelihood" ? r : resolve(r)));
    if (now.length !== s.requests.length) return refuse(s.doc_id, `the run saved ${s.requests.length} requests and ${now.length} are sent now`);
    for (let i = 0; i < now.length; i++) {
      const difference = requestDifference(s.requests[i]!, now[i]!);
      if (difference) return refuse(s.doc_id, `request ${i + 1} of ${now.length}: ${difference}`);
    }
  }
  return null;
}
