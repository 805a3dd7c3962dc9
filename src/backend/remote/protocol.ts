// The wire formats of the inference servers, as pure functions: request bodies out, per-position
// scores and generated tokens in. No I/O: test/remote-protocol.test.ts drives them with the
// response shapes of the servers' documentation.
//
// Scoring reads prompt log-probabilities: the whole sequence `(context + continuation)` (already
// cut to the reference's window) is sent as token ids, and the log-probability of each
// continuation token given everything before it is read back, with the top-1 token at that
// position (the argmax, for `isGreedy`).
// - vllm: `/v1/completions` with `prompt_logprobs` (a vLLM extension): `choices[i].prompt_logprobs[p]`
//   maps token ids (as strings) to `{ logprob, rank, decoded_token }` and holds the prompt token
//   and the top-k; entry 0 is null.
// - openai-echo: the older OpenAI form `echo: true` + `logprobs`: `choices[i].logprobs` holds
//   `tokens`, `token_logprobs` (entry 0 null) and `top_logprobs` (token text -> logprob) for the
//   prompt followed by the generated token. `return_tokens_as_token_ids` (vLLM) makes the token
//   texts `token_id:<id>`, so the argmax is compared by id rather than by text.
// - sglang: native `/generate` with `input_ids`, `return_logprob`, `logprob_start_len` and
//   `top_logprobs_num`: `meta_info.input_token_logprobs` is `[logprob, token_id, text]` per prompt
//   token from `logprob_start_len` on, `input_top_logprobs` a list of such triples per position.

import {
  choicesOf,
  finiteOrNegInf,
  isRecord,
  isTop,
  NoPromptLogprobsError,
  ProtocolError,
  sglangItems,
  TOKEN_ID_TEXT,
  triple,
  type GenerationOutput,
  type GenerationPrompt,
  type Json,
  type PositionScore,
  type ScoringPrompt,
  type WireCall,
} from "./wire.js";
import { completionsGenerationCall, completionsGenerations, sameCompletionSettings, sglangGenerationCall, sglangGenerations } from "./generationProtocol.js";

export { NoPromptLogprobsError, ProtocolError, type GenerationOutput, type GenerationPrompt, type PositionScore, type ScoringPrompt, type WireCall } from "./wire.js";

export type ServerKind = "vllm" | "sglang" | "openai-echo";

export const SERVER_KINDS: readonly ServerKind[] = ["vllm", "sglang", "openai-echo"];

// ---- vLLM: /v1/completions with prompt_logprobs ------------------------------------------------

function vllmScoringCall(model: string, prompts: ScoringPrompt[]): WireCall {
  return {
    base: "api",
    path: "/completions",
    body: { model, prompt: prompts.map((p) => p.tokens), max_tokens: 1, temperature: 0, prompt_logprobs: 1 },
  };
}

function vllmScores(response: Json, prompts: ScoringPrompt[]): PositionScore[][] {
  return choicesOf(response, prompts.length).map((choice, i) => {
    const prompt = prompts[i]!;
    const entries = choice.prompt_logprobs;
    if (!Array.isArray(entries)) throw new NoPromptLogprobsError("its completions carry no prompt_logprobs");
    if (entries.length < prompt.tokens.length) throw new ProtocolError(`prompt_logprobs has ${entries.length} entries for a ${prompt.tokens.length}-token prompt`);
    const scores: PositionScore[] = [];
    for (let p = prompt.firstScored; p < prompt.tokens.length; p++) {
      const entry = entries[p];
      const target = prompt.tokens[p]!;
      if (!isRecord(entry)) throw new ProtocolError(`prompt_logprobs[${p}] is not an object`);
      const candidates: [number, number][] = [];
      for (const [key, value] of Object.entries(entry)) {
        if (!isRecord(value)) throw new ProtocolError(`prompt_logprobs[${p}]["${key}"] is not an object`);
        candidates.push([Number(key), finiteOrNegInf(value.logprob, `prompt_logprobs[${p}]["${key}"].logprob`)]);
      }
      const own = candidates.find(([id]) => id === target);
      if (own === undefined) throw new ProtocolError(`prompt_logprobs[${p}] lacks the prompt token ${target}`);
      scores.push({ logprob: own[1], greedy: isTop(target, own[1], candidates) });
    }
    return scores;
  });
}

// ---- OpenAI echo: /v1/completions with echo + logprobs -----------------------------------------

function echoScoringCall(model: string, prompts: ScoringPrompt[]): WireCall {
  return {
    base: "api",
    path: "/completions",
    body: { model, prompt: prompts.map((p) => p.tokens), max_tokens: 1, temperature: 0, echo: true, logprobs: 1, return_tokens_as_token_ids: true },
  };
}

function echoScores(response: Json, prompts: ScoringPrompt[]): PositionScore[][] {
  return choicesOf(response, prompts.length).map((choice, i) => {
    const prompt = prompts[i]!;
    const logprobs = choice.logprobs;
    if (!isRecord(logprobs) || !Array.isArray(logprobs.token_logprobs)) throw new NoPromptLogprobsError("its completions carry no logprobs");
    const { tokens, token_logprobs: tokenLogprobs, top_logprobs: top } = logprobs;
    if (tokenLogprobs.length < prompt.tokens.length || !Array.isArray(tokens) || tokens.length < prompt.tokens.length) {
      throw new NoPromptLogprobsError(`it returned ${tokenLogprobs.length} token log-probabilities for a ${prompt.tokens.length}-token prompt (echo ignored)`);
    }
    if (!Array.isArray(top)) throw new ProtocolError("logprobs.top_logprobs is missing");
    const scores: PositionScore[] = [];
    for (let p = prompt.firstScored; p < prompt.tokens.length; p++) {
      const text = tokens[p];
      if (typeof text !== "string") throw new ProtocolError(`logprobs.tokens[${p}] is not a string`);
      const asId = TOKEN_ID_TEXT.exec(text);
      if (asId && Number(asId[1]) !== prompt.tokens[p]) throw new ProtocolError(`the echoed token ${p} is ${text}, not the prompt's ${prompt.tokens[p]}`);
      const logprob = finiteOrNegInf(tokenLogprobs[p], `logprobs.token_logprobs[${p}]`);
      const alternatives = top[p];
      if (!isRecord(alternatives)) throw new ProtocolError(`logprobs.top_logprobs[${p}] is not an object`);
      // Compared by text (by id when the server writes ids as text): the argmax is the prompt token.
      let greedy = true;
      for (const [key, value] of Object.entries(alternatives)) if (key !== text && finiteOrNegInf(value, `top_logprobs[${p}]`) > logprob) greedy = false;
      scores.push({ logprob, greedy });
    }
    return scores;
  });
}

// ---- SGLang: native /generate ------------------------------------------------------------------

function sglangScoringCall(prompts: ScoringPrompt[]): WireCall {
  return {
    base: "root",
    path: "/generate",
    body: {
      input_ids: prompts.map((p) => p.tokens),
      sampling_params: { max_new_tokens: 1, temperature: 0 },
      return_logprob: true,
      // Log-probabilities from the first scored token on: SGLang's prefix cache serves the part before.
      logprob_start_len: prompts.map((p) => Math.max(0, p.firstScored - 1)),
      top_logprobs_num: 1,
    },
  };
}

function sglangScores(response: Json, prompts: ScoringPrompt[]): PositionScore[][] {
  return sglangItems(response, prompts.length).map((item, i) => {
    const prompt = prompts[i]!;
    const meta = item.meta_info as Record<string, Json>;
    const own = meta.input_token_logprobs;
    const top = meta.input_top_logprobs;
    if (!Array.isArray(own)) throw new NoPromptLogprobsError("its answers carry no input_token_logprobs");
    if (!Array.isArray(top) || top.length !== own.length) throw new ProtocolError("input_top_logprobs is missing or not as long as input_token_logprobs");
    // The lists end at the last prompt token; counted from there, whatever `logprob_start_len` meant.
    const offset = prompt.tokens.length - own.length;
    if (offset > prompt.firstScored) throw new ProtocolError(`input_token_logprobs starts at prompt position ${offset}, after the first scored position ${prompt.firstScored}`);
    const scores: PositionScore[] = [];
    for (let p = prompt.firstScored; p < prompt.tokens.length; p++) {
      const [logprob, id] = triple(own[p - offset], `input_token_logprobs[${p - offset}]`);
      if (id !== prompt.tokens[p]) throw new ProtocolError(`input_token_logprobs[${p - offset}] is for token ${id}, not the prompt's ${prompt.tokens[p]}`);
      const alternatives = top[p - offset];
      if (!Array.isArray(alternatives)) throw new ProtocolError(`input_top_logprobs[${p - offset}] is not a list`);
      const candidates = alternatives.map((a, k) => triple(a, `input_top_logprobs[${p - offset}][${k}]`).reverse() as [number, number]);
      scores.push({ logprob, greedy: isTop(id, logprob, candidates) });
    }
    return scores;
  });
}

/** A server's protocol: how to ask for scores and generations, and how to read the answers. */
export interface Protocol {
  kind: ServerKind;
  scoringCall(model: string, prompts: ScoringPrompt[]): WireCall;
  readScores(response: Json, prompts: ScoringPrompt[]): PositionScore[][];
  generationCall(model: string, prompts: GenerationPrompt[]): WireCall;
  /** Whether two prompts may go in one generation call (vLLM takes one cap per call). */
  shareGenerationCall(a: GenerationPrompt, b: GenerationPrompt): boolean;
  readGenerations(response: Json, prompts: GenerationPrompt[]): GenerationOutput[];
}

export function protocolFor(kind: ServerKind): Protocol {
  switch (kind) {
    case "vllm":
      return { kind, scoringCall: vllmScoringCall, readScores: vllmScores, generationCall: completionsGenerationCall, shareGenerationCall: sameCompletionSettings, readGenerations: completionsGenerations };
    case "openai-echo":
      return { kind, scoringCall: echoScoringCall, readScores: echoScores, generationCall: completionsGenerationCall, shareGenerationCall: sameCompletionSettings, readGenerations: completionsGenerations };
    case "sglang":
      return {
        kind,
        scoringCall: (_model, prompts) => sglangScoringCall(prompts),
        readScores: sglangScores,
        generationCall: (_model, prompts) => sglangGenerationCall(prompts),
        shareGenerationCall: () => true,
        readGenerations: sglangGenerations,
      };
  }
}
