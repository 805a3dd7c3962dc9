// `--hf-tokenizer PATH`: the model's own Hugging Face tokenizer, from a folder or a file:
// `tokenizer.json` (with `tokenizer_config.json` beside it for the EOS token), as
// `AutoTokenizer` prefers it, else a SentencePiece `tokenizer.model`. Every problem is one
// line (UserError) naming the file and the fix.

import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { TextTokenizer, TokenizerDescription } from "../../api/types.js";
import { UserError } from "../../util/errors.js";
import { sha256File } from "../../util/files.js";
import { oneLine } from "../../util/oneLine.js";
import { SentencePieceEncoder } from "./sentencePiece.js";
import { readSentencePieceModel } from "./sentencePieceProto.js";
import { TokenizerJsonEncoder } from "./tokenizerJson.js";

const FIX = "pass the folder of the model's Hugging Face tokenizer (tokenizer.json with tokenizer_config.json, or a SentencePiece tokenizer.model) or one of those files";

interface Encoder {
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
}

/** The model's own tokenizer; `tokenize` remembers each distinct text (the suites repeat few-shot text heavily). */
export class HfTokenizer implements TextTokenizer {
  private readonly memo = new Map<string, number[]>();

  constructor(
    private readonly encoder: Encoder,
    readonly eosId: number,
    readonly vocabularySize: number,
    private readonly pieces: (id: number) => string | undefined,
    private readonly description: TokenizerDescription,
  ) {}

  tokenize(text: string): number[] {
    let ids = this.memo.get(text);
    if (ids === undefined) this.memo.set(text, (ids = this.encoder.encode(text)));
    return ids.slice();
  }

  detokenize(tokens: readonly number[]): string {
    return this.encoder.decode(tokens);
  }

  eosText(): string {
    return this.pieceOf(this.eosId);
  }

  pieceOf(id: number): string {
    return this.pieces(id) ?? `<id ${id}>`;
  }

  describe(): TokenizerDescription {
    return { ...this.description, files: { ...this.description.files } };
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UserError("usage", `--hf-tokenizer: cannot read ${file} as JSON (${oneLine(error)}); ${FIX}.`);
  }
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The tokenizer files a path names: tokenizer.json (+ config) or tokenizer.model (+ config). */
export function hfTokenizerFiles(given: string): { kind: "json" | "model"; main: string; config: string | undefined } {
  let stat;
  try {
    stat = statSync(given);
  } catch (error) {
    throw new UserError("usage", `--hf-tokenizer ${given}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or folder" : oneLine(error)}; ${FIX}.`);
  }
  const folder = stat.isDirectory() ? given : path.dirname(given);
  const configPath = path.join(folder, "tokenizer_config.json");
  const config = isFile(configPath) ? configPath : undefined;
  if (stat.isDirectory()) {
    const json = path.join(given, "tokenizer.json");
    if (isFile(json)) return { kind: "json", main: json, config };
    const model = path.join(given, "tokenizer.model");
    if (isFile(model)) return { kind: "model", main: model, config };
    throw new UserError("usage", `--hf-tokenizer ${given}: the folder holds neither tokenizer.json nor tokenizer.model; ${FIX}.`);
  }
  if (!stat.isFile()) throw new UserError("usage", `--hf-tokenizer ${given} is not a regular file; ${FIX}.`);
  if (given.endsWith(".json")) {
    if (path.basename(given) === "tokenizer_config.json") throw new UserError("usage", `--hf-tokenizer ${given}: tokenizer_config.json holds no vocabulary; ${FIX}.`);
    return { kind: "json", main: given, config };
  }
  return { kind: "model", main: given, config };
}

function eosFromConfig(config: unknown): string | undefined {
  if (config === null || typeof config !== "object") return undefined;
  const eos = (config as Record<string, unknown>).eos_token;
  if (typeof eos === "string") return eos;
  if (eos !== null && typeof eos === "object" && typeof (eos as Record<string, unknown>).content === "string") return (eos as Record<string, string>).content;
  return undefined;
}

/** Loads `--hf-tokenizer PATH`; throws UserError with one line for anything it cannot use. */
export async function loadHfTokenizer(given: string): Promise<HfTokenizer> {
  const files = hfTokenizerFiles(given);
  const config = files.config ? readJson(files.config) : undefined;
  const hashes: Record<string, string> = { [path.basename(files.main)]: await sha256File(files.main) };
  if (files.config) hashes[path.basename(files.config)] = await sha256File(files.config);
  if (files.kind === "json") {
    let encoder: TokenizerJsonEncoder;
    try {
      encoder = TokenizerJsonEncoder.fromJson(readJson(files.main), config);
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw new UserError("usage", `--hf-tokenizer ${files.main}: cannot build the tokenizer (${oneLine(error)}); ${FIX}.`);
    }
    const eosText = encoder.eosToken;
    const eosId = eosText !== undefined ? encoder.idOf(eosText) : undefined;
    if (eosId === undefined) {
      throw new UserError("usage", `--hf-tokenizer ${given}: no EOS token (tokenizer_config.json's eos_token${eosText ? ` "${eosText}" is not in the vocabulary` : " is missing"}); the reference harnesses need one. Put the model's tokenizer_config.json beside tokenizer.json.`);
    }
    return new HfTokenizer(encoder, eosId, encoder.model.vocabularySize, (id) => encoder.pieceOf(id), {
      vocabulary: `tokenizer.json ${encoder.model.type}`,
      bos: false,
      specialTokensInText: "parsed",
      source: "hf",
      files: hashes,
    });
  }
  let info;
  try {
    info = readSentencePieceModel(readFileSync(files.main));
  } catch (error) {
    throw new UserError("usage", `--hf-tokenizer ${files.main} is not a SentencePiece model (${oneLine(error)}); ${FIX}.`);
  }
  const encoder = await SentencePieceEncoder.load(files.main, info);
  // HF's tokenizer_config.json names the EOS token when it is not SentencePiece's own; where the
  // config names a piece the model file lacks (llm-jp's config names tokenizer.json's renamed
  // "<EOD|LLM-jp>", the model file's piece is "<EOD>"), SentencePiece's own eos_id stands.
  const configEos = eosFromConfig(config);
  const configEosId = configEos !== undefined ? info.pieces.indexOf(configEos) : -1;
  const eosId = configEosId >= 0 ? configEosId : info.eosId;
  if (eosId < 0 || eosId >= info.pieces.length) {
    throw new UserError("usage", `--hf-tokenizer ${given}: no EOS token (the model's eos_id is unset and tokenizer_config.json names none of its pieces); the reference harnesses need one.`);
  }
  return new HfTokenizer(encoder, eosId, info.pieces.length, (id) => info.pieces[id], {
    vocabulary: `tokenizer.model ${info.modelType}`,
    bos: false,
    specialTokensInText: "parsed",
    source: "hf",
    files: hashes,
  });
}
