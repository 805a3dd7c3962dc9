// A GGUF model's tokenizer through llama.cpp, with the encoding rule of both reference
// harnesses. The backend tokenizes with it; `loadTokenizer` loads the vocabulary alone
// (no weights, no context, no file hash) for commands that only need tokens
// (`rakuten-eval prompts --model`).

import { oneLine } from "../../util/oneLine.js";
import { LlamaLogLevel, type LlamaModel } from "node-llama-cpp";
import { causeOf } from "./loadFailure.js";
import type { TextTokenizer, Tokenizer, TokenizerDescription } from "../../api/types.js";
import type { ChatRenderer } from "../../api/chat.js";
import { UserError } from "../../util/errors.js";
import { createChatRenderer } from "./chatTemplate.js";
import { inspectModelFile } from "../modelFile.js";
import { acquireLlama, asToken, asTokens, releaseLlama } from "./engine.js";

export class ModelTokenizer implements Tokenizer, TextTokenizer {
  private constructor(
    private readonly model: LlamaModel,
    readonly eosId: number,
    readonly trainContextSize: number,
    /** The model's own tokenizer (`--hf-tokenizer`), which then makes every id; absent: llama.cpp's reading of the GGUF. */
    private readonly own: TextTokenizer | undefined,
  ) {}

  /**
   * The tokenizer of a loaded model. `fileTrainContextSize` (the GGUF header's) stands in
   * when llama.cpp does not report the training context. With `own` (the model's Hugging Face
   * tokenizer), ids, text and EOS are its, checked to fit the model's vocabulary. Throws
   * `UserError` for a model the reference harnesses cannot use.
   */
  static of(model: LlamaModel, modelPath: string, fileTrainContextSize: number, own?: TextTokenizer): ModelTokenizer {
    const eosId = own ? own.eosId : model.tokens.eos;
    if (eosId === null) throw new UserError("model", `Model ${modelPath} has no EOS token; the reference harnesses need one. Use a model whose GGUF defines tokenizer.ggml.eos_token_id.`);
    const trainContextSize = model.trainContextSize || fileTrainContextSize;
    if (!(trainContextSize > 0)) throw new UserError("model", `Model ${modelPath} does not state its training context length; it is needed as the reference's max_length.`);
    const modelVocabulary = ggufPieces(model)?.length;
    if (own && modelVocabulary !== undefined && own.vocabularySize > modelVocabulary) {
      throw new UserError(
        "usage",
        `--hf-tokenizer has ${own.vocabularySize} pieces but ${modelPath} has ${modelVocabulary}: it is not this model's tokenizer. Pass the tokenizer the model was trained with.`,
      );
    }
    return new ModelTokenizer(model, eosId, trainContextSize, own);
  }

  tokenize(text: string): number[] {
    if (this.own) return this.own.tokenize(text);
    // No BOS; SentencePiece's dummy prefix stays, as HF `encode(s, add_special_tokens=False)`.
    // HF also parses special-token text ("</s>") into the special token, even without
    // add_special_tokens: MGSM's stop list starts with `tokenizer.eos_token`, whose
    // `encode(...)[-1]` must be EOS (the primary stop token), not the ">" piece of the text.
    return this.model.tokenize(text, true);
  }

  /** Text of tokens with special tokens rendered, as HF `decode(skip_special_tokens=False)`. */
  detokenize(tokens: readonly number[]): string {
    if (this.own) return this.own.detokenize(tokens);
    return this.model.detokenize(asTokens(tokens), true);
  }

  eosText(): string {
    if (this.own) return this.own.eosText();
    return this.model.detokenize([asToken(this.eosId)], true);
  }

  get vocabularySize(): number {
    return ggufPieces(this.model)?.length ?? 0;
  }

  /** The GGUF's piece for an id (`tokenizer.ggml.tokens`), or its text when the metadata lacks the list. */
  pieceOf(id: number): string {
    if (this.own) return this.own.pieceOf(id);
    return ggufPieces(this.model)?.[id] ?? this.model.detokenize([asToken(id)], true);
  }

  describe(): TokenizerDescription {
    if (this.own) return this.own.describe();
    return { vocabulary: this.model.vocabularyType, bos: false, specialTokensInText: "parsed" };
  }
}

/** `tokenizer.ggml.tokens` of the model's GGUF, as node-llama-cpp read it. */
function ggufPieces(model: LlamaModel): readonly string[] | undefined {
  const tokens = (model.fileInfo.metadata as { tokenizer?: { ggml?: { tokens?: unknown } } }).tokenizer?.ggml?.tokens;
  return Array.isArray(tokens) ? (tokens as string[]) : undefined;
}

/** A tokenizer that holds its own vocabulary; dispose it when done. */
export interface LoadedTokenizer extends Tokenizer, TextTokenizer {
  /** The model's chat template (or a named one, or a Jinja file); `UserError` when there is none. Usable after dispose. */
  chatRenderer(name?: string): ChatRenderer;
  dispose(): Promise<void>;
}

/**
 * Loads the vocabulary of a GGUF model (llama.cpp's `vocab_only`): tokens as the backend
 * makes them, for a fraction of the cost of loading the model, and without hashing the
 * file. Throws `UserError` with one line for a bad file.
 */
export async function loadTokenizer(modelPath: string): Promise<LoadedTokenizer> {
  const file = await inspectModelFile(modelPath);
  const llama = await acquireLlama(false);
  let model: LlamaModel;
  // node-llama-cpp's memory estimate loads the tensors too, which a vocabulary-only file lacks
  // ("missing tensor 'token_embd.weight'") while the vocabulary load itself succeeds: llama.cpp's
  // lines are held back, and only name the cause when the load fails.
  const previousLogger = llama.logger;
  const lines: string[] = [];
  llama.logger = (level, message) => {
    if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) lines.push(message);
  };
  try {
    model = await llama.loadModel({ modelPath, vocabOnly: true });
  } catch (error) {
    await releaseLlama(llama);
    const cause = causeOf(lines);
    throw new UserError("model", `Cannot load the vocabulary of ${modelPath} (${cause ?? oneLine(error)}). Check that llama.cpp supports this model.`);
  } finally {
    llama.logger = previousLogger;
  }
  let tokenizer: ModelTokenizer;
  try {
    tokenizer = ModelTokenizer.of(model, modelPath, file.trainContextSize);
  } catch (error) {
    await model.dispose();
    await releaseLlama(llama);
    throw error;
  }
  // The vocabulary's tokenizer, plus the release of the model and the shared llama instance.
  return Object.assign(tokenizer, {
    chatRenderer: (name?: string) => createChatRenderer(model, modelPath, name),
    dispose: async () => {
      await model.dispose();
      await releaseLlama(llama);
    },
  });
}
