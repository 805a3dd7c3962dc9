// A deterministic synthetic llama-architecture GGUF for speed benchmarks and tests.
// Random weights do not change the speed of a forward pass, so a generated model of
// realistic size stands in for a real one; the vocabulary (and so the tokenization of
// real prompts) is copied from a real vocabulary-only GGUF.
//
// Layout per ggml docs/gguf.md (version 3): magic "GGUF", u32 version, u64 tensor count,
// u64 key/value count, the key/value pairs, the tensor descriptors (name, u32 n_dims,
// u64 ne[], u32 ggml type, u64 offset into the data section), padding to
// `general.alignment`, then each tensor's data at its offset, every offset a multiple
// of the alignment. All numbers little-endian.

import { closeSync, existsSync, openSync, readFileSync, renameSync, statSync, writeSync } from "node:fs";

const GGUF_MAGIC = 0x46554747; // "GGUF" as a little-endian u32
const GGUF_VERSION = 3;
const ALIGNMENT = 32;

// gguf_type numbers.
const TYPE_UINT32 = 4;
const TYPE_FLOAT32 = 6;
const TYPE_STRING = 8;
const TYPE_ARRAY = 9;
/** Byte sizes of the fixed-size gguf_type values, by type number (string and array are variable). */
const FIXED_VALUE_BYTES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

// ggml_type numbers.
const GGML_F32 = 0;
const GGML_Q8_0 = 8;
/** Q8_0: blocks of 32 weights, each an f16 scale followed by 32 int8 quants. */
const Q8_0_BLOCK_WEIGHTS = 32;
const Q8_0_BLOCK_BYTES = 34;
/** llama_ftype LLAMA_FTYPE_MOSTLY_Q8_0. */
const FILE_TYPE_MOSTLY_Q8_0 = 7;

export interface SyntheticModelShape {
  embeddingLength: number;
  blockCount: number;
  headCount: number;
  headCountKv: number;
  feedForwardLength: number;
  contextLength: number;
  /** Seeds the weights; the same shape and seed give the same file, byte for byte. */
  seed: number;
  /** Standard deviation of the matrix weights. */
  weightStd: number;
  /** Whether the output matrix is the token embedding (no output.weight). Default true. */
  tiedOutput?: boolean;
}

/** The benchmark model: about 130M parameters with the 48.6K llm-jp vocabulary (embeddings tied to the output). */
export const BENCH_MODEL_SHAPE: SyntheticModelShape = {
  embeddingLength: 768,
  blockCount: 12,
  headCount: 12,
  headCountKv: 12,
  feedForwardLength: 2304,
  contextLength: 8192,
  seed: 20240325,
  weightStd: 0.02,
};

/**
 * RakutenAI-7B's shape (Mistral-7B: 32 layers, d 4096, FFN 14336, 32 query heads and 8
 * key/value heads, an untied output matrix) with the 48.6K llm-jp vocabulary standing in
 * for its 48K one: about 7.3B parameters, a 7.7 GB Q8_0 file. Random weights do not change
 * the speed of a forward pass. Only Q8_0 is written (no Q4_K_M quantiser here).
 */
export const MISTRAL_7B_SHAPE: SyntheticModelShape = {
  embeddingLength: 4096,
  blockCount: 32,
  headCount: 32,
  headCountKv: 8,
  feedForwardLength: 14336,
  contextLength: 32768,
  seed: 20240325,
  weightStd: 0.02,
  tiedOutput: false,
};

/** The shapes `npm run bench -- --shape NAME` knows, and the file each is written to (in bench/out/). */
export const SYNTHETIC_SHAPES: Record<string, { shape: SyntheticModelShape; file: string }> = {
  "130m": { shape: BENCH_MODEL_SHAPE, file: "synthetic-130m-q8_0.gguf" },
  "7b": { shape: MISTRAL_7B_SHAPE, file: "synthetic-7b-q8_0.gguf" },
};

export interface TensorPlan {
  name: string;
  /** ne[0] first (the contiguous dimension). */
  dims: number[];
  type: typeof GGML_F32 | typeof GGML_Q8_0;
}

function tensorBytes(tensor: TensorPlan): number {
  const elements = tensor.dims.reduce((product, dimension) => product * dimension, 1);
  if (tensor.type === GGML_F32) return elements * 4;
  if (tensor.dims[0]! % Q8_0_BLOCK_WEIGHTS !== 0) throw new RangeError(`${tensor.name}: ne[0]=${tensor.dims[0]} is not a multiple of 32, as Q8_0 needs`);
  return (elements / Q8_0_BLOCK_WEIGHTS) * Q8_0_BLOCK_BYTES;
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/** The raw key/value records of a GGUF header whose key starts with `prefix`, byte for byte, and the vocabulary size. */
export function readRawKeyValues(path: string, prefix: string): { records: Buffer[]; tokenCount: number } {
  const buffer = readFileSync(path);
  let at = 0;
  const u32 = () => { const v = buffer.readUInt32LE(at); at += 4; return v; };
  const u64 = () => { const v = Number(buffer.readBigUInt64LE(at)); at += 8; return v; };
  if (u32() !== GGUF_MAGIC) throw new Error(`${path} is not a GGUF file`);
  const version = u32();
  if (version !== 2 && version !== 3) throw new Error(`${path}: unsupported GGUF version ${version}`);
  u64(); // tensor count
  const kvCount = u64();
  const skipValue = (type: number): void => {
    if (type === TYPE_STRING) { const length = u64(); at += length; return; }
    if (type === TYPE_ARRAY) {
      const elementType = u32();
      const count = u64();
      const fixed = FIXED_VALUE_BYTES[elementType];
      if (fixed !== undefined) at += fixed * count;
      else for (let i = 0; i < count; i++) skipValue(elementType);
      return;
    }
    const fixed = FIXED_VALUE_BYTES[type];
    if (fixed === undefined) throw new Error(`${path}: unknown GGUF value type ${type}`);
    at += fixed;
  };
  const records: Buffer[] = [];
  let tokenCount = 0;
  for (let i = 0; i < kvCount; i++) {
    const start = at;
    const keyLength = u64();
    const key = buffer.toString("utf8", at, at + keyLength);
    at += keyLength;
    const type = u32();
    const valueStart = at;
    skipValue(type);
    if (key === "tokenizer.ggml.tokens" && type === TYPE_ARRAY) tokenCount = Number(buffer.readBigUInt64LE(valueStart + 4));
    if (key.startsWith(prefix)) records.push(Buffer.from(buffer.subarray(start, at)));
  }
  if (tokenCount === 0) throw new Error(`${path} has no tokenizer.ggml.tokens array`);
  return { records, tokenCount };
}

class HeaderWriter {
  private readonly parts: Buffer[] = [];
  bytes(buffer: Buffer): void { this.parts.push(buffer); }
  u32(value: number): void { const b = Buffer.alloc(4); b.writeUInt32LE(value); this.parts.push(b); }
  u64(value: number): void { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(value)); this.parts.push(b); }
  f32(value: number): void { const b = Buffer.alloc(4); b.writeFloatLE(value); this.parts.push(b); }
  string(text: string): void { const b = Buffer.from(text, "utf8"); this.u64(b.length); this.parts.push(b); }
  keyU32(key: string, value: number): void { this.string(key); this.u32(TYPE_UINT32); this.u32(value); }
  keyF32(key: string, value: number): void { this.string(key); this.u32(TYPE_FLOAT32); this.f32(value); }
  keyString(key: string, value: string): void { this.string(key); this.u32(TYPE_STRING); this.string(value); }
  concat(): Buffer { return Buffer.concat(this.parts); }
}

/** xorshift32: a tiny deterministic generator; weights need to be reproducible, not good random numbers. */
function xorshift32(seed: number): () => number {
  let state = seed >>> 0 || 0x9e3779b9;
  return () => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state;
  };
}

/** FNV-1a of a tensor name, mixed with the model seed: each tensor gets its own stream. */
function tensorSeed(name: string, seed: number): number {
  let hash = 0x811c9dc5 ^ seed;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return hash >>> 0;
}

/** IEEE half-precision bits of a normal positive number (round to nearest). */
function halfBits(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0]!;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  if (exponent <= 0 || exponent >= 31) throw new RangeError(`${value} is outside the normal f16 range`);
  let mantissa = (bits >>> 13) & 0x3ff;
  if ((bits & 0x1fff) > 0x1000) mantissa++;
  return mantissa === 0x400 ? (exponent + 1) << 10 : (exponent << 10) | mantissa;
}

/**
 * Q8_0 data of uniformly distributed weights: int8 quants uniform in [-127, 127] and one
 * scale for every block, chosen so that the weights' standard deviation is `std`
 * (a uniform integer on [-127, 127] has standard deviation ≈ 73.6).
 */
function q8_0Data(bytes: number, seed: number, std: number): Buffer {
  const data = Buffer.alloc(bytes);
  const next = xorshift32(seed);
  const scale = halfBits(std / Math.sqrt((255 * 255 - 1) / 12));
  for (let block = 0; block < bytes; block += Q8_0_BLOCK_BYTES) {
    data.writeUInt16LE(scale, block);
    for (let j = 0; j < Q8_0_BLOCK_WEIGHTS; j += 4) {
      const r = next();
      for (let k = 0; k < 4; k++) data.writeInt8((((r >>> (8 * k)) & 0xff) % 255) - 127, block + 2 + j + k);
    }
  }
  return data;
}

function onesF32(count: number): Buffer {
  const data = Buffer.alloc(count * 4);
  for (let i = 0; i < count; i++) data.writeFloatLE(1, i * 4);
  return data;
}

/** The tensors llama.cpp's LLM_ARCH_LLAMA loader expects; without output.weight it ties the output to token_embd. */
export function planTensors(shape: SyntheticModelShape, vocabularySize: number): TensorPlan[] {
  const d = shape.embeddingLength;
  const headDim = d / shape.headCount;
  const kvDim = headDim * shape.headCountKv;
  const tensors: TensorPlan[] = [{ name: "token_embd.weight", dims: [d, vocabularySize], type: GGML_Q8_0 }];
  for (let layer = 0; layer < shape.blockCount; layer++) {
    const prefix = `blk.${layer}.`;
    tensors.push(
      { name: `${prefix}attn_norm.weight`, dims: [d], type: GGML_F32 },
      { name: `${prefix}attn_q.weight`, dims: [d, d], type: GGML_Q8_0 },
      { name: `${prefix}attn_k.weight`, dims: [d, kvDim], type: GGML_Q8_0 },
      { name: `${prefix}attn_v.weight`, dims: [d, kvDim], type: GGML_Q8_0 },
      { name: `${prefix}attn_output.weight`, dims: [d, d], type: GGML_Q8_0 },
      { name: `${prefix}ffn_norm.weight`, dims: [d], type: GGML_F32 },
      { name: `${prefix}ffn_gate.weight`, dims: [d, shape.feedForwardLength], type: GGML_Q8_0 },
      { name: `${prefix}ffn_up.weight`, dims: [d, shape.feedForwardLength], type: GGML_Q8_0 },
      { name: `${prefix}ffn_down.weight`, dims: [shape.feedForwardLength, d], type: GGML_Q8_0 },
    );
  }
  tensors.push({ name: "output_norm.weight", dims: [d], type: GGML_F32 });
  if (shape.tiedOutput === false) tensors.push({ name: "output.weight", dims: [d, vocabularySize], type: GGML_Q8_0 });
  return tensors;
}

export interface WrittenModel {
  path: string;
  parameters: number;
  bytes: number;
  /** Whether the file was already there (and reused). */
  reused: boolean;
}

/**
 * Writes a synthetic Q8_0 llama GGUF with the vocabulary of `vocabularyPath` (every
 * `tokenizer.*` key copied byte for byte) to `path`, unless the file exists. The file
 * is written under a temporary name and renamed, so a partial file is never reused.
 */
export function writeSyntheticGguf(path: string, vocabularyPath: string, shape: SyntheticModelShape = BENCH_MODEL_SHAPE): WrittenModel {
  if (shape.embeddingLength % shape.headCount !== 0) throw new RangeError("embedding length must be a multiple of the head count");
  if (shape.headCount % shape.headCountKv !== 0) throw new RangeError("the head count must be a multiple of the key/value head count");
  const { records, tokenCount } = readRawKeyValues(vocabularyPath, "tokenizer.");
  const tensors = planTensors(shape, tokenCount);
  const parameters = tensors.reduce((sum, t) => sum + t.dims.reduce((p, x) => p * x, 1), 0);
  if (existsSync(path)) {
    return { path, parameters, bytes: statSync(path).size, reused: true };
  }
  const header = new HeaderWriter();
  header.u32(GGUF_MAGIC);
  header.u32(GGUF_VERSION);
  header.u64(tensors.length);
  header.u64(12 + records.length);
  header.keyString("general.architecture", "llama");
  header.keyString("general.name", `rakuten-eval synthetic bench model (${Math.round(parameters / 1e6)}M, seed ${shape.seed})`);
  header.keyU32("general.alignment", ALIGNMENT);
  header.keyU32("general.file_type", FILE_TYPE_MOSTLY_Q8_0);
  header.keyU32("llama.context_length", shape.contextLength);
  header.keyU32("llama.embedding_length", shape.embeddingLength);
  header.keyU32("llama.block_count", shape.blockCount);
  header.keyU32("llama.feed_forward_length", shape.feedForwardLength);
  header.keyU32("llama.attention.head_count", shape.headCount);
  header.keyU32("llama.attention.head_count_kv", shape.headCountKv);
  header.keyU32("llama.rope.dimension_count", shape.embeddingLength / shape.headCount);
  header.keyF32("llama.attention.layer_norm_rms_epsilon", 1e-5);
  for (const record of records) header.bytes(record);
  let offset = 0;
  const offsets: number[] = [];
  for (const tensor of tensors) {
    header.string(tensor.name);
    header.u32(tensor.dims.length);
    for (const dimension of tensor.dims) header.u64(dimension);
    header.u32(tensor.type);
    header.u64(offset);
    offsets.push(offset);
    offset = alignUp(offset + tensorBytes(tensor), ALIGNMENT);
  }
  const headerBytes = header.concat();
  const dataStart = alignUp(headerBytes.length, ALIGNMENT);

  const temporaryPath = `${path}.partial-${process.pid}`;
  const fd = openSync(temporaryPath, "w");
  try {
    writeSync(fd, headerBytes);
    writeSync(fd, Buffer.alloc(dataStart - headerBytes.length));
    let written = 0;
    tensors.forEach((tensor, index) => {
      if (written < offsets[index]!) writeSync(fd, Buffer.alloc(offsets[index]! - written));
      const bytes = tensorBytes(tensor);
      const data = tensor.type === GGML_F32 ? onesF32(bytes / 4) : q8_0Data(bytes, tensorSeed(tensor.name, shape.seed), shape.weightStd);
      writeSync(fd, data);
      written = offsets[index]! + bytes;
    });
    if (written < offset) writeSync(fd, Buffer.alloc(offset - written));
  } finally {
    closeSync(fd);
  }
  renameSync(temporaryPath, path);
  return { path, parameters, bytes: dataStart + offset, reused: false };
}
