// The shapes shared by the scoring and generation wire formats (protocol.ts,
// generationProtocol.ts): prompts, answers, errors and the response readers both use.

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

export type Json = unknown;

export function isRecord(value: Json): value is Record<string, Json> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export function finiteOrNegInf(value: Json, what: string): number {
  // A token of zero probability comes back as -inf (JSON has none: some servers send -9999 or a string).
  if (typeof value === "number" && !Number.isNaN(value)) return value;
  if (value === "-inf" || value === "-Infinity") return Number.NEGATIVE_INFINITY;
  throw new ProtocolError(`${what} is not a number: ${JSON.stringify(value)?.slice(0, 60)}`);
}

/** `choices` ordered by their `index` (a server may list them in any order); one per prompt. */
export function choicesOf(response: Json, count: number): Record<string, Json>[] {
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
  // (`some` skips the holes of a sparse array: count instead.)
  if (response.choices.length !== count) throw new ProtocolError(`the response answers ${response.choices.length} of ${count} prompts`);
  return choices as Record<string, Json>[];
}

/** Greedy as llama.cpp's argmax would say: no other candidate has a higher log-probability. */
export function isTop(target: number, targetLogprob: number, candidates: Iterable<[number, number]>): boolean {
  for (const [id, logprob] of candidates) if (id !== target && logprob > targetLogprob) return false;
  return true;
}

export const TOKEN_ID_TEXT = /^token_id:(\d+)$/;

export function sglangItems(response: Json, count: number): Record<string, Json>[] {
  const items = Array.isArray(response) ? response : [response];
  if (items.length !== count) throw new ProtocolError(`the response answers ${items.length} of ${count} prompts`);
  return items.map((item) => {
    if (!isRecord(item) || !isRecord(item.meta_info)) throw new ProtocolError("an answer has no meta_info");
    return item;
  });
}

export function triple(value: Json, what: string): [number, number] {
  if (!Array.isArray(value) || value.length < 2 || typeof value[1] !== "number") throw new ProtocolError(`${what} is not a [logprob, token_id, text] triple`);
  return [finiteOrNegInf(value[0], what), value[1]];
}

