// A minimal GGUF (v2/v3) reader for tests: header, metadata, tensor descriptors and
// F32/F16/Q8_0 tensor decoding. It exists so that test oracles can read model weights
// without going through llama.cpp (the code they check). Layout per ggml's docs/gguf.md.
import { readFileSync } from "node:fs";

/** GGUF metadata value types (gguf_type in ggml). */
export const GgufValueType = {
    UINT8: 0,
    INT8: 1,
    UINT16: 2,
    INT16: 3,
    UINT32: 4,
    INT32: 5,
    FLOAT32: 6,
    BOOL: 7,
    STRING: 8,
    ARRAY: 9,
    UINT64: 10,
    INT64: 11,
    FLOAT64: 12
} as const;

/** The ggml tensor types this reader can decode (ggml_type numbering). */
export const GgmlTensorType = {
    F32: 0,
    F16: 1,
    Q8_0: 8
} as const;

/** 64-bit integers become `bigint` only when they do not fit a double exactly. */
export type GgufScalar = number | bigint | boolean | string;
export type GgufValue = GgufScalar | GgufValue[];

export interface GgufTensorInfo {
    name: string;
    /** ne[0] first: ne[0] is the innermost (contiguous) dimension. */
    dims: number[];
    /** ggml_type number. */
    type: number;
    /** Offset relative to the start of the tensor data section. */
    offset: number;
    elementCount: number;
}

export interface GgufFile {
    version: number;
    metadata: Map<string, GgufValue>;
    tensors: Map<string, GgufTensorInfo>;
    alignment: number;
    /** Absolute file offset of the tensor data section. */
    dataOffset: number;
    /** Where the key/value section ends and the tensor infos begin, and where those end. */
    metadataEnd: number;
    tensorInfoEnd: number;
    buffer: Buffer;
}

const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const DEFAULT_ALIGNMENT = 32;

class Cursor {
    position = 0;
    constructor(private readonly buffer: Buffer) {}

    u8(): number { const v = this.buffer.readUInt8(this.position); this.position += 1; return v; }
    i8(): number { const v = this.buffer.readInt8(this.position); this.position += 1; return v; }
    u16(): number { const v = this.buffer.readUInt16LE(this.position); this.position += 2; return v; }
    i16(): number { const v = this.buffer.readInt16LE(this.position); this.position += 2; return v; }
    u32(): number { const v = this.buffer.readUInt32LE(this.position); this.position += 4; return v; }
    i32(): number { const v = this.buffer.readInt32LE(this.position); this.position += 4; return v; }
    f32(): number { const v = this.buffer.readFloatLE(this.position); this.position += 4; return v; }
    f64(): number { const v = this.buffer.readDoubleLE(this.position); this.position += 8; return v; }
    u64(): number | bigint { const v = this.buffer.readBigUInt64LE(this.position); this.position += 8; return narrow(v); }
    i64(): number | bigint { const v = this.buffer.readBigInt64LE(this.position); this.position += 8; return narrow(v); }

    /** A u64 that must be a usable size/offset. */
    size(): number {
        const v = this.u64();
        if (typeof v === "bigint") throw new Error(`GGUF size ${v} at byte ${this.position - 8} is too large`);
        return v;
    }

    string(): string {
        const length = this.size();
        const text = this.buffer.toString("utf8", this.position, this.position + length);
        this.position += length;
        return text;
    }
}

function narrow(value: bigint): number | bigint {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value;
}

function readValue(cursor: Cursor, type: number): GgufValue {
    switch (type) {
        case GgufValueType.UINT8: return cursor.u8();
        case GgufValueType.INT8: return cursor.i8();
        case GgufValueType.UINT16: return cursor.u16();
        case GgufValueType.INT16: return cursor.i16();
        case GgufValueType.UINT32: return cursor.u32();
        case GgufValueType.INT32: return cursor.i32();
        case GgufValueType.FLOAT32: return cursor.f32();
        case GgufValueType.BOOL: return cursor.u8() !== 0;
        case GgufValueType.STRING: return cursor.string();
        case GgufValueType.UINT64: return cursor.u64();
        case GgufValueType.INT64: return cursor.i64();
        case GgufValueType.FLOAT64: return cursor.f64();
        case GgufValueType.ARRAY: {
            const elementType = cursor.u32();
            const count = cursor.size();
            const values: GgufValue[] = new Array(count);
            for (let i = 0; i < count; i++) values[i] = readValue(cursor, elementType);
            return values;
        }
        default:
            throw new Error(`unknown GGUF value type ${type} at byte ${cursor.position}`);
    }
}

export function parseGguf(buffer: Buffer): GgufFile {
    const cursor = new Cursor(buffer);
    const magic = cursor.u32();
    if (magic !== GGUF_MAGIC) throw new Error("not a GGUF file (bad magic)");
    const version = cursor.u32();
    // v1 used 32-bit counts and lengths; nothing current writes it.
    if (version !== 2 && version !== 3) throw new Error(`unsupported GGUF version ${version}`);
    const tensorCount = cursor.size();
    const kvCount = cursor.size();

    const metadata = new Map<string, GgufValue>();
    for (let i = 0; i < kvCount; i++) {
        const key = cursor.string();
        const type = cursor.u32();
        metadata.set(key, readValue(cursor, type));
    }

    const metadataEnd = cursor.position;
    const tensors = new Map<string, GgufTensorInfo>();
    for (let i = 0; i < tensorCount; i++) {
        const name = cursor.string();
        const nDims = cursor.u32();
        const dims: number[] = [];
        for (let d = 0; d < nDims; d++) dims.push(cursor.size());
        const type = cursor.u32();
        const offset = cursor.size();
        tensors.set(name, { name, dims, type, offset, elementCount: dims.reduce((a, b) => a * b, 1) });
    }

    const alignmentValue = metadata.get("general.alignment");
    const alignment = typeof alignmentValue === "number" ? alignmentValue : DEFAULT_ALIGNMENT;
    const dataOffset = Math.ceil(cursor.position / alignment) * alignment;
    return { version, metadata, tensors, alignment, dataOffset, metadataEnd, tensorInfoEnd: cursor.position, buffer };
}

export function readGguf(path: string): GgufFile {
    return parseGguf(readFileSync(path));
}

/** IEEE 754 half → double (exact). */
export function halfToNumber(bits: number): number {
    const sign = bits & 0x8000 ? -1 : 1;
    const exponent = (bits >> 10) & 0x1f;
    const fraction = bits & 0x3ff;
    if (exponent === 0) return sign * fraction * 2 ** -24;
    if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
    return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const Q8_0_BLOCK = 32; // QK8_0: one f16 scale followed by 32 int8 quants (34 bytes)

/** Decodes a whole tensor to float64, in ggml element order (ne[0] fastest). */
export function decodeTensor(file: GgufFile, name: string): Float64Array {
    const info = file.tensors.get(name);
    if (info === undefined) throw new Error(`tensor ${name} not in GGUF file`);
    const start = file.dataOffset + info.offset;
    const out = new Float64Array(info.elementCount);
    const buf = file.buffer;
    switch (info.type) {
        case GgmlTensorType.F32:
            for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(start + 4 * i);
            break;
        case GgmlTensorType.F16:
            for (let i = 0; i < out.length; i++) out[i] = halfToNumber(buf.readUInt16LE(start + 2 * i));
            break;
        case GgmlTensorType.Q8_0: {
            if (out.length % Q8_0_BLOCK !== 0) throw new Error(`Q8_0 tensor ${name} size not a multiple of 32`);
            for (let block = 0; block < out.length / Q8_0_BLOCK; block++) {
                const at = start + block * (2 + Q8_0_BLOCK);
                const scale = halfToNumber(buf.readUInt16LE(at));
                for (let j = 0; j < Q8_0_BLOCK; j++) out[block * Q8_0_BLOCK + j] = scale * buf.readInt8(at + 2 + j);
            }
            break;
        }
        default:
            throw new Error(`tensor ${name}: ggml type ${info.type} not supported by this reader`);
    }
    return out;
}

export function metadataNumber(file: GgufFile, key: string, fallback?: number): number {
    const value = file.metadata.get(key);
    if (typeof value === "number") return value;
    if (value === undefined && fallback !== undefined) return fallback;
    throw new Error(`GGUF metadata ${key} missing or not a number`);
}
