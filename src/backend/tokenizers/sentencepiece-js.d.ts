// Types of @agnai/sentencepiece-js (SentencePiece compiled to WebAssembly), which ships none:
// only what this project calls.
declare module "@agnai/sentencepiece-js" {
  export class SentencePieceProcessor {
    /** Reads a SentencePiece model file and instantiates the WebAssembly module. */
    load(path: string): Promise<void>;
    encodeIds(text: string): number[];
    encodePieces(text: string): string[];
    decodeIds(ids: number[]): string;
  }
}
