// The few fields of a SentencePiece `ModelProto` (sentencepiece_model.proto) that tokenization
// needs to know about, read from the protobuf wire format: the pieces with their scores and
// types, the model type, byte fallback, and the special ids. The encoding itself is done by
// SentencePiece (sentencePiece.ts); this is for ids → pieces, the EOS token, which pieces are
// control tokens that HF parses out of text, and a refusal of what is not a model file.

/** sentencepiece_model.proto `SentencePiece.Type`. */
export const PIECE_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;
/** sentencepiece_model.proto `TrainerSpec.ModelType`. */
const MODEL_TYPES: Record<number, string> = { 1: "unigram", 2: "bpe", 3: "word", 4: "char" };

export interface SentencePieceModelInfo {
  pieces: string[];
  scores: number[];
  types: number[];
  modelType: string;
  byteFallback: boolean;
  unkId: number;
  bosId: number;
  eosId: number;
  padId: number;
  /** NormalizerSpec.name ("identity", "nmt_nfkc", ...). */
  normalizer: string;
}

class WireReader {
  position = 0;
  constructor(private readonly bytes: Uint8Array, private readonly end = bytes.length) {}

  get done(): boolean {
    return this.position >= this.end;
  }

  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.position >= this.end) throw new Error("truncated varint");
      const byte = this.bytes[this.position++]!;
      // Ids, lengths and enums fit in 53 bits; a negative int32 (10 bytes) still reads right in its low 32.
      if (shift < 49) result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) break;
      if (shift > 70) throw new Error("varint too long");
    }
    return result;
  }

  /** A field's key: its number and wire type. */
  key(): { field: number; wire: number } {
    const key = this.varint();
    return { field: Math.floor(key / 8), wire: key & 7 };
  }

  bytesField(): Uint8Array {
    const length = this.varint();
    if (this.position + length > this.end) throw new Error("truncated field");
    const out = this.bytes.subarray(this.position, this.position + length);
    this.position += length;
    return out;
  }

  float(): number {
    if (this.position + 4 > this.end) throw new Error("truncated float");
    const value = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.position, 4).getFloat32(0, true);
    this.position += 4;
    return value;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.position += 8;
    else if (wire === 2) this.bytesField();
    else if (wire === 5) this.position += 4;
    else throw new Error(`unsupported wire type ${wire}`);
    if (this.position > this.end) throw new Error("truncated field");
  }
}

/** int32 fields are varints of a 64-bit two's complement (-1 is ten bytes): its low 32 bits, signed. */
function int32(value: number): number {
  const low = value % 2 ** 32;
  return low >= 2 ** 31 ? low - 2 ** 32 : low;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Parses a SentencePiece model file's bytes; throws Error (with why) when it is not one. */
export function readSentencePieceModel(bytes: Uint8Array): SentencePieceModelInfo {
  const info: SentencePieceModelInfo = { pieces: [], scores: [], types: [], modelType: "unigram", byteFallback: false, unkId: 0, bosId: 1, eosId: 2, padId: -1, normalizer: "" };
  const reader = new WireReader(bytes);
  while (!reader.done) {
    const { field, wire } = reader.key();
    if (field === 1 && wire === 2) {
      const piece = new WireReader(reader.bytesField());
      let text = "";
      let score = 0;
      let type = PIECE_TYPE.normal as number;
      while (!piece.done) {
        const k = piece.key();
        if (k.field === 1 && k.wire === 2) text = utf8.decode(piece.bytesField());
        else if (k.field === 2 && k.wire === 5) score = piece.float();
        else if (k.field === 3 && k.wire === 0) type = piece.varint();
        else piece.skip(k.wire);
      }
      info.pieces.push(text);
      info.scores.push(score);
      info.types.push(type);
    } else if (field === 2 && wire === 2) {
      const trainer = new WireReader(reader.bytesField());
      while (!trainer.done) {
        const k = trainer.key();
        if (k.wire !== 0) {
          trainer.skip(k.wire);
          continue;
        }
        const value = trainer.varint();
        if (k.field === 3) info.modelType = MODEL_TYPES[value] ?? `type ${value}`;
        else if (k.field === 35) info.byteFallback = value !== 0;
        else if (k.field === 40) info.unkId = int32(value);
        else if (k.field === 41) info.bosId = int32(value);
        else if (k.field === 42) info.eosId = int32(value);
        else if (k.field === 43) info.padId = int32(value);
      }
    } else if (field === 3 && wire === 2) {
      const normalizer = new WireReader(reader.bytesField());
      while (!normalizer.done) {
        const k = normalizer.key();
        if (k.field === 1 && k.wire === 2) info.normalizer = utf8.decode(normalizer.bytesField());
        else normalizer.skip(k.wire);
      }
    } else {
      reader.skip(wire);
    }
  }
  if (info.pieces.length === 0) throw new Error("no pieces: not a SentencePiece model");
  return info;
}
