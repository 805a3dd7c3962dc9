// Greedy generation on the engine, as Stability's `greedy_until` with HF `generate`:
// the prompt cut to leave room for the cap, the argmax token by token, a stop at the
// primary stop token or the cap, and the text cut at the stop strings.

import type { LlamaContextSequence, Token } from "node-llama-cpp";
import type { GenerateResponse, OnResult, ResolvedGenerateRequest } from "../../api/types.js";
import { cutAtStopStrings, primaryStopToken, settledStopCut } from "../tokenization.js";
import { asTokens, type LlamaEngine } from "./engine.js";
import type { EvaluationProbe, WorkCounters } from "./instrumentation.js";
import { generationCap } from "../planning/layout.js";
import { planGeneration } from "../planning/planner.js";
import type { ModelTokenizer } from "./tokenizer.js";
import { commonPrefixLength } from "./waves.js";

export interface GeneratorParts {
  engine: LlamaEngine;
  tokenizer: ModelTokenizer;
  counters: WorkCounters;
  probe: EvaluationProbe;
}

/** Distinct texts the per-call tokenizer memo holds before it starts over. */
const ENCODE_MEMO_SIZE = 64;
/**
 * Characters at the end of a partial decoding that a later token may still change
 * (a detokenizer that cleans up spaces rewrites " '" before a letter). Trailing
 * U+FFFD from an incomplete UTF-8 sequence are held back as well.
 */
const UNSETTLED_TAIL_CHARS = 3;

export async function generateRequests(
  parts: GeneratorParts,
  requests: ResolvedGenerateRequest[],
  onProgress?: (done: number, total: number) => void,
  onResult?: OnResult<GenerateResponse>,
): Promise<GenerateResponse[]> {
  const { engine, tokenizer, counters } = parts;
  const memo = new Map<string, number[]>();
  const encode = (text: string): number[] => {
    let tokens = memo.get(text);
    if (tokens === undefined) {
      if (memo.size >= ENCODE_MEMO_SIZE) memo.clear();
      tokens = tokenizer.tokenize(text);
      memo.set(text, tokens);
    }
    return tokens;
  };
  const plan = planGeneration(requests.map((request) => ({ prompt: encode(request.context), maxTokens: request.maxTokens })), engine.settings.maxLength);
  const stopTokens = requests.map((request) => primaryStopToken(request.until, encode, tokenizer.eosId));
  counters.requestTokens += plan.requestTokens;
  counters.prefixTrieTokens += plan.prefixTrieTokens;
  const results: GenerateResponse[] = new Array(requests.length);
  if (plan.longest > 0) await engine.ensureCapacity(plan.longest);
  await primeSharedPrefix(parts, plan.order.map((index) => plan.prompts[index]!));
  let finished = 0;
  await engine.onSequences(plan.order, async (sequence, index) => {
    const text = await generateOne(parts, sequence, plan.prompts[index]!, requests[index]!, stopTokens[index]!);
    results[index] = text;
    onResult?.(index, text);
    finished++;
    onProgress?.(finished, requests.length);
  });
  return results;
}

async function generateOne(parts: GeneratorParts, sequence: LlamaContextSequence, prompt: number[], request: ResolvedGenerateRequest, stopToken: number): Promise<string> {
  const { engine, tokenizer, counters, probe } = parts;
  const maxTokens = generationCap(request.maxTokens);
  if (maxTokens === 0) return "";
  if (prompt.length === 0) throw new RangeError("cannot generate from an empty context: it encodes to no tokens");
  const promptTokens = asTokens(prompt);
  // Another sequence may hold more of the prompt (the same few-shot prefix): copy its cache.
  await copyFromBestSequence(engine, sequence, promptTokens, prompt.length - 1);
  const reuse = await engine.reusePrefix(sequence, promptTokens, prompt.length - 1);
  const tail = promptTokens.slice(reuse);
  counters.decodes += Math.ceil(tail.length / Math.max(1, engine.batchSize));
  counters.tokensEvaluated += tail.length;
  const generated: number[] = [];
  let stopped = false;
  // Greedy (temperature 0: the argmax), one token per step. An end-of-generation token does
  // not stop us: HF `generate` here stops only on the primary stop token.
  for await (const token of probe.greedy(sequence, tail)) {
    if (generated.length > 0) {
      // The previous token was evaluated to give this one. With several sequences these
      // one-token steps run together in one decode (counted per step: an upper bound).
      counters.decodes++;
      counters.tokensEvaluated++;
    }
    generated.push(token);
    counters.generatedTokens++;
    // Stop at the stop token, the cap, or as soon as the cut text can no longer change (see
    // `settledStopCut`): exact, since the stop strings cut everything after their first occurrence.
    if (token === stopToken || generated.length >= maxTokens || settledStopCut(settledText(tokenizer, generated), request.until) !== null) {
      stopped = true;
      break;
    }
  }
  if (!stopped) throw new Error("internal error: llama.cpp returned no next token");
  // HF `decode` keeps special tokens (skip_special_tokens=False): a generated </s> stays as text.
  return cutAtStopStrings(tokenizer.detokenize(generated), request.until);
}

/**
 * With several sequences that can share caches, evaluates the prefix that the first
 * prompts (in trie order, one per sequence) share, on the first sequence, before they
 * start side by side: each then copies it (`copyFromBestSequence`) instead of evaluating it
 * again. The prefix's last token stays unevaluated when it is a whole prompt, since the
 * generation reads it.
 */
async function primeSharedPrefix(parts: GeneratorParts, promptsInOrder: readonly number[][]): Promise<void> {
  const { engine, counters, probe } = parts;
  const sequence = engine.firstSequence;
  const first = promptsInOrder.slice(0, engine.allSequences.length).filter((prompt) => prompt.length > 0);
  if (sequence === undefined || first.length < 2 || !engine.canCopySequences) return;
  let shared = first[0]!.length - 1;
  for (const prompt of first.slice(1)) shared = Math.min(shared, commonPrefixLength(first[0]!, prompt), prompt.length - 1);
  const tokens = asTokens(first[0]!.slice(0, shared));
  const reuse = await engine.reusePrefix(sequence, tokens, shared);
  if (reuse >= shared) return;
  const items = tokens.slice(reuse);
  counters.decodes += Math.ceil(items.length / Math.max(1, engine.batchSize));
  await probe.generate(sequence, items);
  counters.tokensEvaluated += items.length;
}

/** Copies into `sequence` the cache of the sequence that holds the most of `tokens` (at most `keep`), if that beats its own. */
async function copyFromBestSequence(engine: LlamaEngine, sequence: LlamaContextSequence, tokens: Token[], keep: number): Promise<void> {
  if (!engine.canCopySequences) return;
  const own = Math.min(sequence.compareContextTokens(tokens).firstDifferentIndex, keep);
  let best: LlamaContextSequence | undefined;
  let bestShared = own;
  for (const other of engine.allSequences) {
    const shared = Math.min(other.compareContextTokens(tokens).firstDifferentIndex, keep);
    if (other !== sequence && shared > bestShared) {
      best = other;
      bestShared = shared;
    }
  }
  if (best !== undefined) await engine.copyPrefix(sequence, best, bestShared);
}

/** The part of the decoded text that later tokens cannot change. */
function settledText(tokenizer: ModelTokenizer, tokens: number[]): string {
  const text = tokenizer.detokenize(tokens);
  let end = text.length;
  while (end > 0 && text[end - 1] === "\ufffd") end--;
  return text.slice(0, Math.max(0, end - UNSETTLED_TAIL_CHARS));
}
