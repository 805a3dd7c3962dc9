// The Backend contract over an inference server. Requests are tokenized here with the
// reference rules (../tokenization.ts) and cut to the reference's window by the same planner
// as the in-process backend (../planning/planner.ts), so the server sees exactly the token ids the
// local engine would evaluate; it only computes log-probabilities and greedy tokens.
//
// Calls go out in prefix-trie order, several prompts per HTTP call, `concurrency` calls in
// flight: requests that share a prefix reach the server together or one after another, so its
// prefix cache serves them. Each request's answer is committed (onResult) exactly once, keyed by
// its index, when its call's answer has been read whole; a failed call is retried whole by the
// HTTP client, and a call that fails for good leaves its requests uncommitted (the run stops
// with partial results and a rerun computes exactly those). Once the call's stop signal fires
// (Ctrl-C, SIGTERM) no new HTTP batch starts; the batches in flight are still committed.

import type {
  Backend,
  BackendDescription,
  BackendLimits,
  BackendStats,
  GenerateResponse,
  LoglikelihoodRequest,
  LoglikelihoodResponse,
  OnResult,
  ResolvedGenerateRequest,
  Tokenizer,
} from "../../api/types.js";
import { UserError } from "../../util/errors.js";
import { throwIfAborted } from "../interruption.js";
import { cutAtStopStrings, primaryStopToken } from "../tokenization.js";
import { generationCap } from "../planning/layout.js";
import { planGeneration, planScoring, slotToken, tokenizeScoringRequests, type ScoringSlot } from "../planning/planner.js";
import type { HttpClient } from "./http.js";
import { NoPromptLogprobsError, type GenerationPrompt, type Protocol, type ScoringPrompt } from "./protocol.js";
import { batchesOf, runPool } from "./schedule.js";

export interface RemoteParts {
  http: HttpClient;
  protocol: Protocol;
  servedModel: string;
  /** Synchronous tokenizer with the reference's encoding rule (a local vocabulary, or the server's memo). */
  tokenizer: Tokenizer;
  /** Token ids to text as HF `decode(skip_special_tokens=False)`; absent: the server's text is used. */
  detokenize?: (tokens: readonly number[]) => string | Promise<string>;
  /** The server's tokenizer: fetches the ids of texts so that `tokenizer.tokenize` can answer them. */
  prefetch?: (texts: Iterable<string>) => Promise<number>;
  /** The reference's `max_length`. */
  maxLength: number;
  /** The most tokens the server takes in one sequence (≤ maxLength). */
  contextSize: number;
  /** HTTP calls in flight at once, over all replicas. */
  concurrency: number;
  /** Prompts per HTTP call, and the most tokens one call carries. */
  promptsPerCall: number;
  tokensPerCall: number;
  /** What `describe()` returns (the identity of the served model and the settings). */
  description: BackendDescription;
  dispose?: () => Promise<void>;
}

/** Turns a server that cannot give prompt log-probabilities into the one-line refusal. */
export function noPromptLogprobsRefusal(parts: Pick<RemoteParts, "protocol" | "http">, why: string): UserError {
  return new UserError(
    "model",
    `The inference server cannot score: with --server ${parts.protocol.kind} ${why}, so log-likelihoods would be scored at chance. ` +
      `Use vLLM (prompt_logprobs) or SGLang (/generate with return_logprob), or pick the protocol the server speaks with --server; llama.cpp's llama-server cannot return prompt log-probabilities.`,
  );
}

export class RemoteBackend implements Backend {
  private readonly counters = { requestTokens: 0, tokensEvaluated: 0, prefixTrieTokens: 0, scoredPositions: 0, generatedTokens: 0 };

  /** With the server's tokenizer only: fetches the ids of these texts, so that `tokenize` answers them. */
  readonly prepareTokens?: (texts: Iterable<string>) => Promise<void>;

  constructor(private readonly parts: RemoteParts) {
    const prefetch = parts.prefetch;
    if (prefetch) this.prepareTokens = async (texts) => void (await prefetch(texts));
  }

  private encode = (text: string): number[] => this.parts.tokenizer.tokenize(text);

  /** Sends one call and reads it; a server that has no prompt log-probabilities is refused in one line. */
  async score(prompts: ScoringPrompt[]): Promise<ReturnType<Protocol["readScores"]>> {
    const { http, protocol, servedModel } = this.parts;
    const call = protocol.scoringCall(servedModel, prompts);
    try {
      return protocol.readScores(await http.call(call.base, call.path, call.body), prompts);
    } catch (error) {
      if (error instanceof NoPromptLogprobsError) throw noPromptLogprobsRefusal(this.parts, error.message);
      throw error;
    }
  }

  async loglikelihood(
    requests: LoglikelihoodRequest[],
    onProgress?: (done: number, total: number) => void,
    onResult?: OnResult<LoglikelihoodResponse>,
    signal?: AbortSignal,
  ): Promise<LoglikelihoodResponse[]> {
    const plan = planScoring(tokenizeScoringRequests(requests, this.encode, this.parts.tokenizer.eosId), this.parts.maxLength);
    this.counters.requestTokens += plan.requestTokens;
    this.counters.prefixTrieTokens += plan.prefixTrieTokens;
    const results: LoglikelihoodResponse[] = new Array(requests.length);
    let finished = 0;
    const commit = (index: number, response: LoglikelihoodResponse): void => {
      if (results[index] !== undefined) throw new Error(`internal error: request ${index} answered twice`);
      results[index] = response;
      onResult?.(index, response);
      finished++;
      onProgress?.(finished, requests.length);
    };
    // An empty continuation scores nothing: the sum of nothing.
    for (const slot of plan.slots) if (slot.continuation.length === 0) commit(slot.index, { logprob: 0, isGreedy: true });
    const scored = plan.slots.filter((slot) => slot.continuation.length > 0);
    const batches = batchesOf(scored, this.parts.promptsPerCall, this.parts.tokensPerCall, (slot) => slot.length + 1);
    await runPool(batches, this.parts.concurrency, unlessStopped(signal, async (batch) => {
      const prompts = batch.map(scoringPrompt);
      const scores = await this.score(prompts);
      this.counters.tokensEvaluated += prompts.reduce((a, p) => a + p.tokens.length, 0);
      batch.forEach((slot, k) => {
        const positions = scores[k]!;
        if (positions.length !== slot.continuation.length) throw new Error(`internal error: ${positions.length} scores for ${slot.continuation.length} continuation tokens`);
        let logprob = 0;
        let isGreedy = true;
        // Summed in token order, as the in-process backend does.
        for (const position of positions) {
          logprob += position.logprob;
          if (!position.greedy) isGreedy = false;
        }
        this.counters.scoredPositions += positions.length;
        commit(slot.index, { logprob, isGreedy });
      });
    }));
    return results;
  }

  async generate(
    requests: ResolvedGenerateRequest[],
    onProgress?: (done: number, total: number) => void,
    onResult?: OnResult<GenerateResponse>,
    signal?: AbortSignal,
  ): Promise<GenerateResponse[]> {
    const { tokenizer, protocol, http, servedModel } = this.parts;
    const memo = new Map<string, number[]>();
    const encode = (text: string): number[] => {
      let tokens = memo.get(text);
      if (tokens === undefined) memo.set(text, (tokens = this.encode(text)));
      return tokens;
    };
    const plan = planGeneration(requests.map((r) => ({ prompt: encode(r.context), maxTokens: r.maxTokens })), this.parts.maxLength);
    this.counters.requestTokens += plan.requestTokens;
    this.counters.prefixTrieTokens += plan.prefixTrieTokens;
    const results: GenerateResponse[] = new Array(requests.length);
    let finished = 0;
    const commit = (index: number, text: string): void => {
      if (results[index] !== undefined) throw new Error(`internal error: request ${index} answered twice`);
      results[index] = text;
      onResult?.(index, text);
      finished++;
      onProgress?.(finished, requests.length);
    };
    const work: { index: number; prompt: GenerationPrompt }[] = [];
    for (const index of plan.order) {
      const request = requests[index]!;
      const maxTokens = generationCap(request.maxTokens);
      if (maxTokens === 0) {
        commit(index, "");
        continue;
      }
      const tokens = plan.prompts[index]!;
      if (tokens.length === 0) throw new RangeError("cannot generate from an empty context: it encodes to no tokens");
      work.push({ index, prompt: { tokens, maxTokens, stopTokenId: primaryStopToken(request.until, encode, tokenizer.eosId) } });
    }
    const batches = batchesOf(work, this.parts.promptsPerCall, this.parts.tokensPerCall, (w) => w.prompt.tokens.length + w.prompt.maxTokens, (a, b) =>
      protocol.shareGenerationCall(a.prompt, b.prompt),
    );
    await runPool(batches, this.parts.concurrency, unlessStopped(signal, async (batch) => {
      const prompts = batch.map((w) => w.prompt);
      const call = protocol.generationCall(servedModel, prompts);
      const outputs = protocol.readGenerations(await http.call(call.base, call.path, call.body), prompts);
      // The ids through the tokenizer's decode, as the in-process generator decodes them; the
      // server's text only when it gives no ids or there is no decoder.
      const detokenize = this.parts.detokenize;
      const texts = await Promise.all(outputs.map(async (output, k) => cutAtStopStrings(output.tokenIds && detokenize ? await detokenize(output.tokenIds) : output.text, requests[batch[k]!.index]!.until)));
      // A task may tokenize what was generated (XLSum's ROUGE): its ids are fetched before it is returned.
      await this.prepareTokens?.(texts);
      batch.forEach((w, k) => {
        const output = outputs[k]!;
        this.counters.tokensEvaluated += w.prompt.tokens.length;
        if (output.tokenIds) this.counters.generatedTokens += output.tokenIds.length;
        commit(w.index, texts[k]!);
      });
    }));
    return results;
  }

  tokenize(text: string): number[] {
    return this.parts.tokenizer.tokenize(text);
  }


  eosText(): string {
    return this.parts.tokenizer.eosText();
  }

  limits(): BackendLimits {
    return { maxLength: this.parts.maxLength, contextSize: this.parts.contextSize };
  }

  stats(): BackendStats {
    return { ...this.counters, scoreExtractionMs: 0, evaluationMs: 0, sequences: this.parts.concurrency };
  }

  describe(): BackendDescription {
    return this.parts.description;
  }

  async dispose(): Promise<void> {
    await this.parts.dispose?.();
  }
}

/**
 * The work on one batch, refused once `signal` has fired: the pool (schedule.ts `runPool`) then
 * starts no new batch, lets those in flight finish and commit, and rejects with InterruptedError.
 */
function unlessStopped<T>(signal: AbortSignal | undefined, work: (batch: T) => Promise<void>): (batch: T) => Promise<void> {
  return async (batch) => {
    throwIfAborted(signal);
    await work(batch);
  };
}

/** The sequence sent for a slot: its input window plus the last continuation token, whose positions from `firstScored + 1` are read. */
function scoringPrompt(slot: ScoringSlot): ScoringPrompt {
  const tokens = new Array<number>(slot.length + 1);
  for (let position = 0; position <= slot.length; position++) tokens[position] = slotToken(slot, position);
  return { tokens, firstScored: slot.firstScored + 1 };
}
