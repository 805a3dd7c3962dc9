// Hugging Face's own tokenizer library (Rust, through its Node binding `tokenizers`, a
// devDependency): what `AutoTokenizer` (the fast tokenizer) returns for a tokenizer.json with
// `encode(text, add_special_tokens=False)`. The independent reference for the tokenizer.json
// path: the reference harnesses load this library when a model ships tokenizer.json.

import { Tokenizer } from "tokenizers";

/** The library's ids of each text. */
export async function hfRustIds(tokenizerJson: string, texts: readonly string[]): Promise<number[][]> {
  const tokenizer = Tokenizer.fromFile(tokenizerJson);
  const out: number[][] = [];
  const BATCH = 512;
  for (let i = 0; i < texts.length; i += BATCH) {
    const encodings = await tokenizer.encodeBatch(texts.slice(i, i + BATCH), { addSpecialTokens: false });
    for (const encoding of encodings) out.push(encoding.getIds());
  }
  return out;
}
