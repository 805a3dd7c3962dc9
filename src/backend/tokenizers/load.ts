// A tokenizer from a file or folder, whatever it is: a GGUF (a whole model or a vocabulary-only
// file, whose vocabulary llama.cpp loads alone) or the model's Hugging Face tokenizer files.
// What `--tokenizer` (servers, compare) and `tokenize --model/--hf-tokenizer` take.

import { open } from "node:fs/promises";
import type { TextTokenizer } from "../../api/types.js";
import { loadTokenizer } from "../llama/index.js";
import { loadHfTokenizer } from "./hfTokenizer.js";

/** A loaded tokenizer; `trainContextSize` is known for a GGUF only (0 otherwise). */
export interface TokenizerHandle extends TextTokenizer {
  readonly trainContextSize: number;
  dispose(): Promise<void>;
}

/** A GGUF by its name or its first four bytes (a folder, or Hugging Face files, are not). */
export async function isGguf(file: string): Promise<boolean> {
  return file.endsWith(".gguf") || (await startsWithGgufMagic(file));
}

async function startsWithGgufMagic(file: string): Promise<boolean> {
  try {
    const handle = await open(file, "r");
    try {
      const magic = Buffer.alloc(4);
      const { bytesRead } = await handle.read(magic, 0, 4, 0);
      return bytesRead === 4 && magic.toString("latin1") === "GGUF";
    } finally {
      await handle.close();
    }
  } catch {
    return false;
  }
}

/** A GGUF's vocabulary (llama.cpp), or Hugging Face tokenizer files; one-line UserError otherwise. */
export async function loadAnyTokenizer(file: string): Promise<TokenizerHandle> {
  if (await isGguf(file)) return loadTokenizer(file);
  const hf = await loadHfTokenizer(file);
  return Object.assign(hf, { trainContextSize: 0, dispose: async () => {} });
}
