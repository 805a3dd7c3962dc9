// A copy of a GGUF file with string metadata added (a chat template, say): the key/value count
// grows by one, the new pairs go after the existing ones, and the tensor data is re-aligned
// (tensor offsets are relative to the data section, so they stay as they are).
import { readFileSync, writeFileSync } from "node:fs";
import { GgufValueType, parseGguf } from "./ggufReader.js";

function stringBytes(text: string): Buffer {
  const body = Buffer.from(text, "utf8");
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(body.length));
  return Buffer.concat([length, body]);
}

export function writeGgufWithStrings(source: string, destination: string, strings: Record<string, string>): void {
  const file = parseGguf(readFileSync(source));
  const { buffer } = file;
  const header = Buffer.from(buffer.subarray(0, 24));
  header.writeBigUInt64LE(BigInt(file.metadata.size + Object.keys(strings).length), 16);
  const pairs = Object.entries(strings).map(([key, value]) => {
    const type = Buffer.alloc(4);
    type.writeUInt32LE(GgufValueType.STRING);
    return Buffer.concat([stringBytes(key), type, stringBytes(value)]);
  });
  const head = Buffer.concat([header, buffer.subarray(24, file.metadataEnd), ...pairs, buffer.subarray(file.metadataEnd, file.tensorInfoEnd)]);
  const padded = Math.ceil(head.length / file.alignment) * file.alignment;
  const data = file.tensors.size > 0 ? buffer.subarray(file.dataOffset) : Buffer.alloc(0);
  writeFileSync(destination, Buffer.concat([head, Buffer.alloc(padded - head.length), data]));
}
