// Every text a run will ask the model's tokenizer for, gathered after planning, so that a backend
// whose tokenizer answers asynchronously (a server's /tokenize) can fetch the ids once, up front,
// and then answer the planner, the context check and generation caps synchronously.

import type { Backend, TaskRequest } from "../api/types.js";
import { referenceTokenParts, type Encode } from "../backend/tokenization.js";
import type { PlannedTask } from "../evaluation/taskPlan.js";

/**
 * The distinct texts the reference encodes for these requests (context, continuation and the
 * encode_pair whole, prompts, primary stops, cap texts), found by encoding with a recorder, plus
 * the EOS text (an EOS stop and lm-eval's `tokenizer_eos_token` record tokenize it).
 */
export function textsToTokenize(requests: Iterable<TaskRequest>, eosText: string): string[] {
  const texts = new Set<string>([eosText]);
  const record: Encode = (text) => {
    texts.add(text);
    return [];
  };
  for (const request of requests) referenceTokenParts(request, record, 0, eosText);
  return [...texts];
}

/** Lets the backend fetch the ids of every text the planned requests need (a no-op for a local tokenizer). */
export async function prepareRunTokens(backend: Backend, planned: readonly PlannedTask[], log: (line: string) => void): Promise<void> {
  if (backend.prepareTokens === undefined) return;
  const requests = planned.flatMap((p) => p.docs.flatMap((d) => d.requests));
  const texts = textsToTokenize(requests, backend.eosText());
  const started = Date.now();
  await backend.prepareTokens(texts);
  log(`tokenizer: ${texts.length} distinct texts tokenized by the server in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
