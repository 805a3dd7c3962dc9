// The small modules of ours around the tokenizer libraries, on hand-worked inputs and on the
// real tokenizer files of ../shared/models (expected values from python's sentencepiece
// protobuf reading of the same files, see ../shared/models/README.md).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { UnigramSegmenter, bytePiece } from "../src/backend/tokenizers/unigram.js";
import { SpecialTextSplitter } from "../src/backend/tokenizers/specialText.js";
import { PIECE_TYPE, readSentencePieceModel } from "../src/backend/tokenizers/sentencePieceProto.js";
import { ggufTokenizerWarning, type GgufVocabularyMetadata } from "../src/backend/tokenizers/ggufVocabularyCheck.js";
import { sharedSkip } from "./support/sharedData.js";

const models = path.resolve("../shared/models");
const LLAMA2_MODEL = path.join(models, "tokenizers/llama-2/tokenizer.model");
const LLMJP_MODEL = path.join(models, "tokenizers/llm-jp-v2.2/tokenizer.model");
const LLMJP_GGUF = path.join(models, "vocab/llm-jp-v2.2-vocab.gguf");
const LLAMA2_GGUF = path.join(models, "llama-2-tiny-random.gguf");

// A toy unigram vocabulary: 0 <unk>, 1 a (-1), 2 b (-1), 3 ab (-1.5), 4 abc (-4), 5 c (-2), 6 bc (-2.2).
const TOY_PIECES = ["<unk>", "a", "b", "ab", "abc", "c", "bc"];
const TOY_SCORES = [0, -1, -1, -1.5, -4, -2, -2.2];

test("unigram: the best-scoring split, worked by hand", () => {
  const segmenter = new UnigramSegmenter(TOY_PIECES, TOY_SCORES, 0, true);
  // "abc": a|b|c = -4, ab|c = -3.5, a|bc = -3.2, abc = -4: a|bc wins.
  assert.deepEqual(segmenter.segment("abc"), ["a", "bc"]);
  // "ab": a|b = -2, ab = -1.5.
  assert.deepEqual(segmenter.segment("ab"), ["ab"]);
  assert.deepEqual(segmenter.segment(""), []);
});

test("unigram: an unknown character becomes its UTF-8 bytes under byte fallback, <unk> without", () => {
  const withBytes = new UnigramSegmenter(TOY_PIECES, TOY_SCORES, 0, true);
  // "abd": d is unknown (score min -4 - 10 = -14): ab|d = -15.5 beats a|b|d = -16. "d" is byte 0x64.
  assert.deepEqual(withBytes.segment("abd"), ["ab", "<0x64>"]);
  // An emoji outside the BMP is one character of four bytes (F0 9F 98 80), not two UTF-16 halves.
  assert.deepEqual(withBytes.segment("a😀"), ["a", "<0xF0>", "<0x9F>", "<0x98>", "<0x80>"]);
  // "é" is C3 A9.
  assert.deepEqual(withBytes.segment("é"), ["<0xC3>", "<0xA9>"]);
  const withoutBytes = new UnigramSegmenter(TOY_PIECES, TOY_SCORES, 0, false);
  assert.deepEqual(withoutBytes.segment("abd"), ["ab", "<unk>"]);
});

test("unigram: equal scores keep the split found first (the longer piece from the earlier start)", () => {
  // x|y and xy both score -2: HF's encode_optimized and SentencePiece replace a best only when strictly better.
  const segmenter = new UnigramSegmenter(["<unk>", "x", "y", "xy"], [0, -1, -1, -2], 0, true);
  assert.deepEqual(segmenter.segment("xy"), ["xy"]);
});

test("byte pieces are named as SentencePiece names them", () => {
  assert.equal(bytePiece(0x0a), "<0x0A>");
  assert.equal(bytePiece(0xe3), "<0xE3>");
});

test("special-token text is split out, leftmost first and longest at a position, whitespace kept", () => {
  const splitter = new SpecialTextSplitter(new Map([["</s>", 2], ["<s>", 1], ["<EOD>", 7], ["<EOD|x>", 9]]));
  assert.deepEqual(splitter.split("a </s>b<s>"), ["a ", 2, "b", 1]);
  assert.deepEqual(splitter.split("</s>"), [2]);
  assert.deepEqual(splitter.split("<EOD|x><EOD>"), [9, 7]);
  assert.deepEqual(splitter.split("plain"), ["plain"]);
});

test("SentencePiece model files are read as python's protobuf reads them", { skip: sharedSkip(LLAMA2_MODEL, LLMJP_MODEL) }, () => {
  const count = (types: number[], type: number) => types.filter((t) => t === type).length;
  const llama = readSentencePieceModel(readFileSync(LLAMA2_MODEL));
  assert.equal(llama.pieces.length, 32000);
  assert.equal(llama.modelType, "bpe");
  assert.equal(llama.byteFallback, true);
  assert.deepEqual([llama.unkId, llama.bosId, llama.eosId, llama.padId], [0, 1, 2, -1]);
  assert.deepEqual([count(llama.types, PIECE_TYPE.normal), count(llama.types, PIECE_TYPE.byte), count(llama.types, PIECE_TYPE.control), count(llama.types, PIECE_TYPE.unknown)], [31741, 256, 2, 1]);
  assert.equal(llama.normalizer, "identity");
  const llmjp = readSentencePieceModel(readFileSync(LLMJP_MODEL));
  assert.equal(llmjp.pieces.length, 48586);
  assert.equal(llmjp.modelType, "unigram");
  assert.equal(llmjp.byteFallback, true);
  assert.deepEqual([count(llmjp.types, PIECE_TYPE.normal), count(llmjp.types, PIECE_TYPE.byte), count(llmjp.types, PIECE_TYPE.control)], [48322, 256, 7]);
  assert.equal(llmjp.pieces[7], "<EOD>");
  assert.throws(() => readSentencePieceModel(Buffer.from("not a model at all")), /varint|field|wire|pieces/);
});

async function ggml(file: string): Promise<GgufVocabularyMetadata | undefined> {
  const info = await readGgufFileInfo(file, { readTensorInfo: false });
  return (info.metadata as { tokenizer?: { ggml?: GgufVocabularyMetadata } }).tokenizer?.ggml;
}

test("the GGUF vocabulary warning flags llm-jp's unigram vocabulary and not Llama-2's BPE one", { skip: sharedSkip(LLMJP_GGUF, LLAMA2_GGUF) }, async () => {
  const warning = ggufTokenizerWarning(await ggml(LLMJP_GGUF), "llm-jp-v2.2-vocab.gguf");
  assert.match(warning ?? "", /--hf-tokenizer/);
  assert.equal(warning?.split("\n").length, 1);
  assert.equal(ggufTokenizerWarning(await ggml(LLAMA2_GGUF), "llama-2-tiny-random.gguf"), null);
  // Not SentencePiece at all: llama.cpp's BPE (gpt2) path is not this test's concern.
  assert.equal(ggufTokenizerWarning({ model: "gpt2", scores: [0.5, 0.25] }, "x.gguf"), null);
  // Fractional scores on control pieces only (types 3) do not count.
  assert.equal(ggufTokenizerWarning({ model: "llama", scores: [0.5, -1, -2], token_type: [3, 1, 1] }, "x.gguf"), null);
  assert.notEqual(ggufTokenizerWarning({ model: "llama", scores: [0, -1.25, -2.5], token_type: [3, 1, 1] }, "x.gguf"), null);
});
