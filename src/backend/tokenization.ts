// How the reference harnesses turn requests into tokens, as pure functions of an
// encoder. Backends call these; tests drive them with a fake encoder.
//
// `encode` must behave like HF `tokenizer.encode(s, add_special_tokens=False)`:
// no BOS, and for SentencePiece vocabularies the dummy-prefix "▁" is kept.

import type { TaskRequest } from "../api/types.js";

export type Encode = (text: string) => number[];

/** A (context, continuation) pair in tokens, before truncation. */
export interface TokenPair {
  contextTokens: number[];
  continuationTokens: number[];
}

/**
 * Stability-AI JP harness (`BaseLM.loglikelihood`, hf-causal): the context and
 * the continuation are encoded on their own, so a SentencePiece tokenizer puts
 * its dummy prefix in front of both. An empty context becomes [EOS].
 */
export function separatePair(context: string, continuation: string, encode: Encode, eosId: number, encodeContext: Encode = encode): TokenPair {
  return {
    contextTokens: context === "" ? [eosId] : encodeContext(context),
    continuationTokens: encode(continuation),
  };
}

// Python's str.isspace() set (what `str.rstrip()` with no argument strips).
// JavaScript's \s differs: it lacks U+001C–U+001F and U+0085, and adds U+FEFF.
const PYTHON_WHITESPACE = new Set<string>([
  "\t", "\n", "\v", "\f", "\r",
  "\u001c", "\u001d", "\u001e", "\u001f",
  " ", "\u0085", "\u00a0", "\u1680",
  "\u2000", "\u2001", "\u2002", "\u2003", "\u2004", "\u2005", "\u2006", "\u2007", "\u2008", "\u2009", "\u200a",
  "\u2028", "\u2029", "\u202f", "\u205f", "\u3000",
]);

/** Python `s.rstrip()` (no argument). Every Python whitespace character is one UTF-16 unit. */
export function pythonRstrip(text: string): string {
  let end = text.length;
  while (end > 0 && PYTHON_WHITESPACE.has(text[end - 1]!)) end--;
  return text.slice(0, end);
}

/**
 * EleutherAI lm-evaluation-harness b281b09 (`BaseLM.loglikelihood` + `_encode_pair`):
 * - empty context: `[eot_token_id]` + `tok_encode(continuation)` (no whitespace moving);
 * - otherwise the context's trailing whitespace (Python `rstrip()`) moves to the
 *   front of the continuation, `whole = enc(ctx + cont)`, `ctx_enc = enc(ctx)`
 *   and the continuation tokens are `whole[len(ctx_enc):]`. The split is by
 *   token count, so a token that merges across the boundary counts as continuation.
 */
export function encodePair(context: string, continuation: string, encode: Encode, eosId: number, encodeContext: Encode = encode): TokenPair {
  if (context === "") return { contextTokens: [eosId], continuationTokens: encode(continuation) };
  const stripped = pythonRstrip(context);
  const movedWhitespace = context.slice(stripped.length);
  const whole = encode(stripped + movedWhitespace + continuation);
  // `encodeContext` may be a memo: the choices of one question share this encoding.
  const contextTokens = encodeContext(stripped);
  return { contextTokens, continuationTokens: whole.slice(contextTokens.length) };
}

/** What one log-likelihood request asks the model to evaluate. */
export interface ScoringInput {
  /** Tokens fed to the model: `(ctx + cont)[-(maxLength + 1):][:-1]`. */
  inputTokens: number[];
  /** The continuation tokens; `targetTokens[j]` is predicted at input position `firstScoredPosition + j`. */
  targetTokens: number[];
  /** `inputTokens.length - targetTokens.length`: the first position whose next-token distribution is scored. */
  firstScoredPosition: number;
}

/**
 * Both harnesses (`_loglikelihood_tokens`): the model sees
 * `(context_enc + continuation_enc)[-(max_length + 1):][:-1]` and the last
 * `len(continuation_enc)` positions are scored. Only the context is ever cut.
 */
export function truncateLeft(contextTokens: number[], continuationTokens: number[], maxLength: number): ScoringInput {
  const { start, length, firstScoredPosition } = scoringWindow(contextTokens.length, continuationTokens.length, maxLength);
  const inputTokens = contextTokens.concat(continuationTokens).slice(start, start + length);
  return { inputTokens, targetTokens: continuationTokens.slice(), firstScoredPosition };
}

/**
 * `truncateLeft` without copying tokens: the input is `(context + continuation)[start, start + length)`
 * and its positions from `firstScoredPosition` on are scored.
 */
export function scoringWindow(contextLength: number, continuationLength: number, maxLength: number): { start: number; length: number; firstScoredPosition: number } {
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new RangeError(`maxLength must be a positive integer, got ${maxLength}`);
  const total = contextLength + continuationLength;
  const start = total > maxLength + 1 ? total - (maxLength + 1) : 0;
  const length = Math.max(0, total - start - 1);
  const firstScoredPosition = length - continuationLength;
  if (firstScoredPosition < 0) {
    // The reference would slice logits with a negative start here and score garbage;
    // this happens only with no context tokens at all (a whitespace-only context under
    // encode_pair) or a continuation longer than the model's context.
    throw new RangeError(
      `cannot score a continuation of ${continuationLength} tokens after ${contextLength} context tokens ` +
        `with max length ${maxLength}: the first continuation token has no position to be predicted from`,
    );
  }
  return { start, length, firstScoredPosition };
}

/**
 * Stability `greedy_until`: `primary_until = tok_encode(until[0])[-1]`, or EOS when
 * that encoding is empty (or there is no stop string). HF `generate` stops only on
 * this token (passed as `eos_token_id`) or at the cap.
 */
export function primaryStopToken(until: readonly string[], encode: Encode, eosId: number): number {
  const first = until[0];
  if (first === undefined) return eosId;
  const tokens = encode(first);
  return tokens.length === 0 ? eosId : tokens[tokens.length - 1]!;
}

/**
 * Stability `greedy_until`: `context_enc = tok_encode(ctx)[max_gen_toks - max_length:]`,
 * with Python slice semantics: a negative start keeps the last `maxLength - maxTokens`
 * tokens; a start ≥ 0 (a cap at least as long as the model's context) drops that
 * many tokens from the front instead.
 */
export function truncateGenerationContext(contextTokens: number[], maxLength: number, maxTokens: number): number[] {
  const start = maxTokens - maxLength;
  if (start >= 0) return contextTokens.slice(start);
  return contextTokens.length > -start ? contextTokens.slice(contextTokens.length + start) : contextTokens.slice();
}

/**
 * `for term in until: s = s.split(term)[0]`. An empty term would make Python
 * raise (`ValueError: empty separator`); tasks never send one, and here it is skipped.
 */
export function cutAtStopStrings(text: string, until: readonly string[]): string {
  let result = text;
  for (const term of until) {
    if (term === "") continue;
    const index = result.indexOf(term);
    if (index >= 0) result = result.slice(0, index);
  }
  return result;
}

/**
 * Early stopping for generation that cannot change the result.
 *
 * `settledText` must be a prefix of every later decoding of the generated tokens.
 * Returns the final cut text if it is already decided, otherwise null.
 *
 * Why this is exact: let A be the full final text and B = settledText (B is a
 * prefix of A). Apply the cuts to both. Before the first cut they share the first
 * T0 = |B| characters. At cut i with term u, an occurrence of u that ends within
 * the shared part is seen by both, so if either string's first occurrence ends
 * there, both cut at the same place and become equal; otherwise neither cuts
 * before T - |u| + 1, so they still share T(i) = T(i-1) - (|u| - 1) characters.
 * Hence if cutting B leaves fewer than |B| - Σ(|u| - 1) characters, that cut was
 * one both strings made identically, and the results are equal.
 */
export function settledStopCut(settledText: string, until: readonly string[]): string | null {
  const cut = cutAtStopStrings(settledText, until);
  let sharedLength = settledText.length;
  for (const term of until) if (term !== "") sharedLength -= term.length - 1;
  return cut.length < sharedLength ? cut : null;
}

/** One part of a request's tokens, as `referenceTokenParts` names it. */
export interface TokenPart {
  /** context / continuation (log-likelihood), prompt / stop / cap text (generation). */
  part: "context" | "continuation" | "prompt" | "stop" | "cap text";
  tokens: number[];
}

/**
 * Every token sequence the reference harnesses derive from one request with a tokenizer, before
 * truncation: a log-likelihood request's context and continuation under its rule; a generation's
 * prompt, its primary stop token, and the texts its cap is measured on (JSQuAD's answers,
 * XLSum's summary). Two tokenizers that agree on these agree on everything the model sees.
 * `eosText` stands in for the EOS stop (MGSM's `tokenizer.eos_token`).
 */
export function referenceTokenParts(request: TaskRequest, encode: Encode, eosId: number, eosText: string): TokenPart[] {
  if (request.type === "loglikelihood") {
    const pair = request.tokenization === "encode_pair"
      ? encodePair(request.context, request.continuation, encode, eosId)
      : separatePair(request.context, request.continuation, encode, eosId);
    return [{ part: "context", tokens: pair.contextTokens }, { part: "continuation", tokens: pair.continuationTokens }];
  }
  const until = request.until.map((u) => (typeof u === "string" ? u : eosText));
  const parts: TokenPart[] = [
    { part: "prompt", tokens: encode(request.context) },
    { part: "stop", tokens: [primaryStopToken(until, encode, eosId)] },
  ];
  if (request.maxTokens.kind !== "fixed") for (const text of request.maxTokens.texts) parts.push({ part: "cap text", tokens: encode(text) });
  return parts;
}
