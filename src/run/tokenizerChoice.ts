// Which tokenizer a command uses, from its flags: `--hf-tokenizer PATH` (the model's own
// Hugging Face tokenizer) wins over `--model X.gguf` (llama.cpp's reading of the GGUF's
// vocabulary, loaded alone); `--tokenizer` takes either. Also `tokenize`'s line handling.

import type { TextTokenizer } from "../api/types.js";
import { loadTokenizer } from "../backend/llama/index.js";
import { loadHfTokenizer } from "../backend/tokenizers/hfTokenizer.js";
import { loadAnyTokenizer, type TokenizerHandle } from "../backend/tokenizers/load.js";
import { UserError } from "../util/errors.js";

export interface TokenizerFlags {
  model?: string | undefined;
  hfTokenizer?: string | undefined;
  tokenizer?: string | undefined;
}

/** The tokenizer the flags name; UserError (one line) when they name none. */
export async function openTokenizer(flags: TokenizerFlags, command: string): Promise<TokenizerHandle> {
  if (flags.hfTokenizer !== undefined) {
    const hf = await loadHfTokenizer(flags.hfTokenizer);
    return Object.assign(hf, { trainContextSize: 0, dispose: async () => {} });
  }
  if (flags.tokenizer !== undefined) return loadAnyTokenizer(flags.tokenizer);
  if (flags.model !== undefined) return loadTokenizer(flags.model);
  throw new UserError("usage", `${command} needs a tokenizer: --model X.gguf (llama.cpp's reading of its vocabulary), --hf-tokenizer DIR (the model's own tokenizer.json or tokenizer.model) or --tokenizer FILE; see \`rakuten-eval ${command} --help\`.`);
}

/**
 * One input line's token ids, as `run` makes them (HF `encode(text, add_special_tokens=False)`).
 * `json`: the line is a JSON string (so a text may hold newlines); else the line is the text.
 */
export function tokenizeLine(line: string, json: boolean, tokenizer: Pick<TextTokenizer, "tokenize">, lineNumber: number): number[] {
  return tokenizer.tokenize(json ? textOfLine(line, lineNumber) : line);
}

/** The text of a `--json` input line: a JSON string, else one line naming the problem. */
export function textOfLine(line: string, lineNumber: number): string {
  let text: unknown;
  try {
    text = JSON.parse(line);
  } catch (error) {
    throw new UserError("usage", `line ${lineNumber} of stdin is not JSON (${error instanceof Error ? error.message : String(error)}); with --json every line must be a JSON string such as "Question:\\n".`);
  }
  if (typeof text !== "string") throw new UserError("usage", `line ${lineNumber} of stdin is JSON but not a string; with --json every line must be a JSON string such as "Question:\\n".`);
  return text;
}
