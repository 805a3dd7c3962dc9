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

export type ServerKind = "vllm" | "sglang" | "openai-echo";

export const SERVER_KINDS: readonly ServerKind[] = ["vllm", "sglang", "openai-echo"];

/** One sequence to score: positions `firstScored ..< tokens.length` are read (`tokens[p]` given `tokens[..p)`). */
export interface ScoringPrompt {
  tokens: number[];
  firstScored: number;
}

/** log P(token at a position | the tokens before it) and whether the token is the argmax there. */
export interface PositionScore {
  logprob: number;
  greedy: boolean;
}

/** One greedy generation: stops after `stopTokenId` or `maxTokens` tokens, whichever comes first. */
export interface GenerationPrompt {
  tokens: number[];
  maxTokens: number;
  stopTokenId: number;
}

export interface GenerationOutput {
  /** The generated token ids (the stop token included when it ended the generation); null when the server gives none. */
  tokenIds: number[] | null;
  /** The server's text of the generation (stop text kept). */
  text: string;
}

/** The server answered, but without prompt log-probabilities: it cannot score. */
export class NoPromptLogprobsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NoPromptLogprobsError";
  }
}

/** A response that does not have the shape this protocol documents. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

export interface WireCall {
  /** `api` for the OpenAI-style `/v1` base, `root` for the server's native endpoints. */
  base: "api" | "root";
  path: string;
  body: Record<string, unknown>;
}

type Json = unknown;

function isRecord(value: Json): value is Record<string, Json> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function finiteOrNegInf(value: Json, what: string): number {
  // A token of zero probability comes back as -inf (JSON has none: some servers send -9999 or a string).
  if (typeof value === "number" && !Number.isNaN(value)) return value;
  if (value === "-inf" || value === "-Infinity") return Number.NEGATIVE_INFINITY;
  throw new ProtocolError(`${what} is not a number: ${JSON.stringify(value)?.slice(0, 60)}`);
}

/** `choices` ordered by their `index` (a server may list them in any order); one per prompt. */
function choicesOf(response: Json, count: number): Record<string, Json>[] {
  if (!isRecord(response) || !Array.isArray(response.choices)) throw new ProtocolError("the response has no choices list");
  const choices: (Record<string, Json> | undefined)[] = new Array(count);
  response.choices.forEach((choice, k) => {
    if (!isRecord(choice)) throw new ProtocolError("a choice is not an object");
    const index = typeof choice.index === "number" ? choice.index : k;
    if (!Number.isInteger(index) || index < 0 || index >= count || choices[index] !== undefined) {
      throw new ProtocolError(`choice index ${String(choice.index)} is out of range or repeated (${count} prompts sent)`);
    }
    choices[index] = choice;
  });
  if (choices.some((c) => c === undefined)) throw new ProtocolError(`the response answers ${response.choices.length} of ${count} prompts`);
  return choices as Record<string, Json>[];
}

/** Greedy as llama.cpp's argmax would say: no other candidate has a higher log-probability. */
function isTop(target: number, targetLogprob: number, candidates: Iterable<[number, number]>): boolean {
  for (const [id, logprob] of candidates) if (id !== target && logprob > targetLogprob) return false;
  return true;
}

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

const TOKEN_ID_TEXT = /^token_id:(\d+)$/;

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

function sglangItems(response: Json, count: number): Record<string, Json>[] {
  const items = Array.isArray(response) ? response : [response];
  if (items.length !== count) throw new ProtocolError(`the response answers ${items.length} of ${count} prompts`);
  return items.map((item) => {
    if (!isRecord(item) || !isRecord(item.meta_info)) throw new ProtocolError("an answer has no meta_info");
    return item;
  });
}

function triple(value: Json, what: string): [number, number] {
  if (!Array.isArray(value) || value.length < 2 || typeof value[1] !== "number") throw new ProtocolError(`${what} is not a [logprob, token_id, text] triple`);
  return [finiteOrNegInf(value[0], what), value[1]];
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

// ---- generation --------------------------------------------------------------------------------

/** One call for prompts that share their cap and stop token (`prompt` takes a list, the settings are per call). */
function completionsGenerationCall(model: string, prompts: GenerationPrompt[]): WireCall {
  const first = prompts[0]!;
  if (prompts.some((p) => !sameCompletionSettings(p, first))) throw new Error("internal error: one completions call with several generation settings");
  return {
    base: "api",
    path: "/completions",
    body: {
      model,
      prompt: prompts.map((p) => p.tokens),
      max_tokens: first.maxTokens,
      temperature: 0,
      // The reference's HF `generate` stops only on the primary stop token or at the cap.
      stop_token_ids: [first.stopTokenId],
      ignore_eos: true,
      skip_special_tokens: false,
      include_stop_str_in_output: true,
      logprobs: 1,
      return_tokens_as_token_ids: true,
    },
  };
}

function sameCompletionSettings(a: GenerationPrompt, b: GenerationPrompt): boolean {
  return a.maxTokens === b.maxTokens && a.stopTokenId === b.stopTokenId;
}

function sglangGenerationCall(prompts: GenerationPrompt[]): WireCall {
  return {
    base: "root",
    path: "/generate",
    body: {
      input_ids: prompts.map((p) => p.tokens),
      sampling_params: prompts.map((p) => ({
        max_new_tokens: p.maxTokens,
        temperature: 0,
        stop_token_ids: [p.stopTokenId],
        ignore_eos: true,
        skip_special_tokens: false,
        no_stop_trim: true,
      })),
      return_logprob: true,
      logprob_start_len: -1,
    },
  };
}

/** The stop token, appended when the server says it stopped on it but left it out of the ids. */
function withStopToken(ids: number[] | null, stoppedOnToken: boolean, prompt: GenerationPrompt): number[] | null {
  if (ids === null || !stoppedOnToken || ids.length >= prompt.maxTokens || ids[ids.length - 1] === prompt.stopTokenId) return ids;
  return [...ids, prompt.stopTokenId];
}

function completionsGenerations(response: Json, prompts: GenerationPrompt[]): GenerationOutput[] {
  return choicesOf(response, prompts.length).map((choice, i) => {
    if (typeof choice.text !== "string") throw new ProtocolError("a choice has no text");
    let ids: number[] | null = null;
    if (Array.isArray(choice.token_ids) && choice.token_ids.every((t) => typeof t === "number")) ids = choice.token_ids as number[];
    else if (isRecord(choice.logprobs) && Array.isArray(choice.logprobs.tokens)) {
      const parsed = choice.logprobs.tokens.map((t) => (typeof t === "string" ? TOKEN_ID_TEXT.exec(t) : null));
      if (parsed.every((m) => m !== null)) ids = parsed.map((m) => Number(m![1]));
    }
    const stoppedOnToken = choice.finish_reason === "stop" && choice.stop_reason === prompts[i]!.stopTokenId;
    return { tokenIds: withStopToken(ids, stoppedOnToken, prompts[i]!), text: choice.text };
  });
}

function sglangGenerations(response: Json, prompts: GenerationPrompt[]): GenerationOutput[] {
  return sglangItems(response, prompts.length).map((item, i) => {
    if (typeof item.text !== "string") throw new ProtocolError("an answer has no text");
    const meta = item.meta_info as Record<string, Json>;
    let ids: number[] | null = null;
    if (Array.isArray(item.output_ids) && item.output_ids.every((t) => typeof t === "number")) ids = item.output_ids as number[];
    else if (Array.isArray(meta.output_token_logprobs)) ids = meta.output_token_logprobs.map((t, k) => triple(t, `output_token_logprobs[${k}]`)[1]);
    const finish = meta.finish_reason;
    const stoppedOnToken = isRecord(finish) && finish.type === "stop" && finish.matched === prompts[i]!.stopTokenId;
    return { tokenIds: withStopToken(ids, stoppedOnToken, prompts[i]!), text: item.text };
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
