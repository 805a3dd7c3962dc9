// Greedy generation on each server's wire format, as pure functions (see protocol.ts for scoring).
// The reference's HF `generate` stops only on the primary stop token or at the cap, so the
// request carries that token as `stop_token_ids`, `ignore_eos` and the cap; the generated token
// ids come back (vLLM: `logprobs.tokens` as `token_id:<id>` with `return_tokens_as_token_ids`, or
// `token_ids`; SGLang: `output_ids` or `meta_info.output_token_logprobs`) and are decoded with the
// local vocabulary, so stop strings cut the same text as in process.

import { choicesOf, isRecord, ProtocolError, sglangItems, TOKEN_ID_TEXT, triple, type GenerationOutput, type GenerationPrompt, type Json, type WireCall } from "./wire.js";

/** One call for prompts that share their cap and stop token (`prompt` takes a list, the settings are per call). */
export function completionsGenerationCall(model: string, prompts: GenerationPrompt[]): WireCall {
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

export function sameCompletionSettings(a: GenerationPrompt, b: GenerationPrompt): boolean {
  return a.maxTokens === b.maxTokens && a.stopTokenId === b.stopTokenId;
}

export function sglangGenerationCall(prompts: GenerationPrompt[]): WireCall {
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

export function completionsGenerations(response: Json, prompts: GenerationPrompt[]): GenerationOutput[] {
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

export function sglangGenerations(response: Json, prompts: GenerationPrompt[]): GenerationOutput[] {
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

