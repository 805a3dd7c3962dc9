// A SentencePiece model file (`tokenizer.model`) as the reference harnesses' Hugging Face slow
// tokenizer (`LlamaTokenizer`, legacy mode) uses it: `encode(text, add_special_tokens=False)`
// is SentencePiece's own `encode` of each stretch of text between special-token texts, and a
// special token's text ("</s>") becomes its id. The encoding is SentencePiece itself, compiled
// to WebAssembly (@agnai/sentencepiece-js), so ids equal `SentencePieceProcessor.encode` by
// construction; the model file is also read here (sentencePieceProto.ts) for its pieces.

import { SentencePieceProcessor } from "@agnai/sentencepiece-js";
import { PIECE_TYPE, type SentencePieceModelInfo } from "./sentencePieceProto.js";
import { SpecialTextSplitter } from "./specialText.js";

export class SentencePieceEncoder {
  private readonly splitter: SpecialTextSplitter;

  private constructor(
    private readonly processor: SentencePieceProcessor,
    readonly info: SentencePieceModelInfo,
  ) {
    // HF's slow tokenizer splits on its special tokens (unk, bos, eos and any added): for a
    // SentencePiece model these are its control pieces and its unknown piece.
    const special = new Map<string, number>();
    info.types.forEach((type, id) => {
      if (type === PIECE_TYPE.control || type === PIECE_TYPE.unknown) special.set(info.pieces[id]!, id);
    });
    this.splitter = new SpecialTextSplitter(special);
  }

  static async load(modelPath: string, info: SentencePieceModelInfo): Promise<SentencePieceEncoder> {
    const processor = new SentencePieceProcessor();
    await processor.load(modelPath);
    return new SentencePieceEncoder(processor, info);
  }

  encode(text: string): number[] {
    const out: number[] = [];
    for (const part of this.splitter.split(text)) {
      if (typeof part === "number") out.push(part);
      else if (part !== "") out.push(...this.processor.encodeIds(part));
    }
    return out;
  }

  /** SentencePiece's decode of ordinary pieces; a control piece is rendered as its text (HF decode, skip_special_tokens=False). */
  decode(ids: readonly number[]): string {
    let text = "";
    let run: number[] = [];
    const flush = () => {
      if (run.length > 0) text += this.processor.decodeIds(run);
      run = [];
    };
    for (const id of ids) {
      const type = this.info.types[id];
      if (type === PIECE_TYPE.control) {
        flush();
        text += this.info.pieces[id] ?? "";
      } else {
        run.push(id);
      }
    }
    flush();
    return text;
  }
}
