// A Hugging Face fast tokenizer (`tokenizer.json`, with `tokenizer_config.json` beside it) read by
// Hugging Face's JavaScript port, @huggingface/tokenizers: added and special tokens parsed out of
// the text, the normalizer, the pre-tokenizer and the model as the Rust library applies them,
// `encode(text, add_special_tokens=False)`. One gap of the port is closed here: a Unigram model
// with `byte_fallback: true` is segmented by unigram.ts, which emits byte pieces where the port
// emits `<unk>`.

import { Tokenizer } from "@huggingface/tokenizers";
import { UnigramSegmenter } from "./unigram.js";

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** What of tokenizer.json's model this module needs to see. */
export interface TokenizerJsonModel {
  type: string;
  byteFallback: boolean;
  vocabularySize: number;
}

export class TokenizerJsonEncoder {
  private readonly idToPiece: string[] = [];

  private constructor(
    private readonly tokenizer: Tokenizer,
    readonly model: TokenizerJsonModel,
    readonly eosToken: string | undefined,
  ) {
    const vocabulary = (tokenizer.model as unknown as { vocab?: unknown }).vocab;
    if (Array.isArray(vocabulary)) vocabulary.forEach((piece, id) => (this.idToPiece[id] = String(piece)));
  }

  /** Builds the tokenizer from the two files' parsed JSON; throws Error with why for what it cannot read. */
  static fromJson(json: unknown, config: unknown): TokenizerJsonEncoder {
    if (!isRecord(json) || !isRecord(json.model) || typeof json.model.type !== "string") throw new Error("no \"model\" with a \"type\": not a Hugging Face tokenizer.json");
    const configRecord = isRecord(config) ? config : {};
    const tokenizer = new Tokenizer(json, configRecord);
    const model = json.model;
    const byteFallback = model.byte_fallback === true;
    if (model.type === "Unigram" && byteFallback) patchUnigram(tokenizer, model);
    keepSurrogatePairsWhole(tokenizer);
    const vocab = model.vocab;
    const vocabularySize = Array.isArray(vocab) ? vocab.length : isRecord(vocab) ? Object.keys(vocab).length : 0;
    const eos = configRecord.eos_token;
    const eosContent = isRecord(eos) ? eos.content : undefined;
    const eosToken = typeof eos === "string" ? eos : typeof eosContent === "string" ? eosContent : undefined;
    return new TokenizerJsonEncoder(tokenizer, { type: String(model.type), byteFallback, vocabularySize }, eosToken);
  }

  encode(text: string): number[] {
    if (text === "") return [];
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: readonly number[]): string {
    if (ids.length === 0) return "";
    return this.tokenizer.decode([...ids], { skip_special_tokens: false });
  }

  idOf(token: string): number | undefined {
    const id = (this.tokenizer as unknown as { token_to_id(t: string): number | undefined }).token_to_id(token);
    return typeof id === "number" ? id : undefined;
  }

  pieceOf(id: number): string | undefined {
    return this.idToPiece[id];
  }
}

/** A high surrogate, whatever was put after it, then a low surrogate: the pair split by an insertion. */
const SPLIT_PAIR = /([\uD800-\uDBFF])[^\uDC00-\uDFFF]+(?=[\uDC00-\uDFFF])/g;

/**
 * The port compiles tokenizer.json's Oniguruma patterns to JavaScript regular expressions, and
 * V8 lets a zero-width lookbehind match between the two UTF-16 halves of a character outside
 * the BMP: llm-jp's normalizer `Replace("(?<!\n)^", "▁")` (the dummy prefix at the start of the
 * text) also puts "▁" inside every emoji and rare kanji ("𠮷" → "\ud842▁\udfb7"). HF's Rust
 * library matches on characters and never does. Valid text has no high surrogate that is not
 * directly followed by its low one, so whatever the normalizer put between them is removed.
 */
function keepSurrogatePairsWhole(tokenizer: Tokenizer): void {
  const normalize = tokenizer.normalizer as unknown as ((text: string) => string) | null;
  if (normalize === null) return;
  const repaired = (text: string): string => {
    const normalized = normalize(text);
    return /[\uD800-\uDBFF]/.test(normalized) ? normalized.replace(SPLIT_PAIR, "$1") : normalized;
  };
  (tokenizer as unknown as { normalizer: (text: string) => string }).normalizer = repaired;
}

/**
 * Replaces the port's Unigram segmentation with ours (byte fallback). The port's model is
 * called with the pre-tokenized strings and returns pieces as text, which it maps to ids;
 * only that step changes.
 */
function patchUnigram(tokenizer: Tokenizer, model: Record<string, unknown>): void {
  const vocab = model.vocab;
  if (!Array.isArray(vocab)) throw new Error("Unigram model without a vocab list");
  const pieces: string[] = [];
  const scores: number[] = [];
  for (const entry of vocab) {
    if (!Array.isArray(entry) || typeof entry[0] !== "string" || typeof entry[1] !== "number") throw new Error("Unigram vocab entries must be [piece, score]");
    pieces.push(entry[0]);
    scores.push(entry[1]);
  }
  const unknownId = typeof model.unk_id === "number" ? model.unk_id : 0;
  const segmenter = new UnigramSegmenter(pieces, scores, unknownId, true);
  const target = tokenizer.model as unknown as { tokenize?: (normalized: string) => string[] };
  if (typeof target.tokenize !== "function") throw new Error("@huggingface/tokenizers' Unigram model has no tokenize step to replace (library version changed?)");
  target.tokenize = (normalized: string) => segmenter.segment(normalized);
}
