// xWinograd's Japanese rows rebuilt as Stability's sentence pairs from yandex's TSV: the manifest
// pins the sha256 of that derived file, and this is how it is derived.
// Source: yandex-research/crosslingual_winograd dataset.tsv, columns
//   lang, split, English original, sentence, tokens (JSON), pronoun [text,[s,e],tokens] (JSON),
//   candidates [[text,[s,e],tokens,correct], ...] (JSON).
// Stability's polm-stability/xwinograd-ja replaces the pronoun span by each candidate:
//   sentence_k = join(tokens[:s]) + candidate_k + join(tokens[e:]),  answer = "k" of the correct one.
// Japanese (and Chinese) tokens join with no separator: "".join(tokens) equals the sentence.

import { DatasetError } from "../util/errors.js";
import { parseDelimitedRows } from "./delimited.js";
import { pythonJson } from "./pythonDumps.js";

const JOINERS: Record<string, string> = { jp: "", zh: "" };

export function xwinogradFromYandexTsv(text: string, language: string, label: string): Buffer {
  const joiner = JOINERS[language];
  if (joiner === undefined) throw new DatasetError("parse", label, `${label}: xWinograd conversion supports ${Object.keys(JOINERS).join(", ")}, not "${language}".`);
  const out: string[] = [];
  // Rows as Python's csv reader with delimiter="\t" yields them (src/datasets/delimited.ts).
  parseDelimitedRows(text, "\t", label).forEach((cols, index) => {
    if (cols[0] !== language) return;
    const fail = (what: string): never => {
      throw new DatasetError("parse", label, `${label}: dataset.tsv row ${index + 1}: ${what}.`);
    };
    if (cols.length !== 7) fail(`expected 7 tab-separated columns, found ${cols.length}`);
    let tokens: unknown, pronoun: unknown, candidates: unknown;
    try {
      tokens = JSON.parse(cols[4]!);
      pronoun = JSON.parse(cols[5]!);
      candidates = JSON.parse(cols[6]!);
    } catch (e) {
      return fail(`a JSON column does not parse (${(e as Error).message})`);
    }
    if (!Array.isArray(tokens) || !Array.isArray(pronoun) || !Array.isArray(candidates) || candidates.length !== 2) return fail("unexpected tokens/pronoun/candidates shape");
    const span = pronoun[1] as unknown;
    if (!Array.isArray(span) || typeof span[0] !== "number" || typeof span[1] !== "number") return fail("pronoun span is not [start, end]");
    const before = (tokens as string[]).slice(0, span[0]).join(joiner);
    const after = (tokens as string[]).slice(span[1]).join(joiner);
    const sentences = (candidates as unknown[][]).map((c) => `${before}${String(c[0])}${after}`);
    const correct = (candidates as unknown[][]).findIndex((c) => c[3] === true);
    if (correct < 0) fail("no candidate is marked correct");
    out.push(pythonJson({ sentence1: sentences[0], sentence2: sentences[1], answer: String(correct + 1) }) + "\n");
  });
  return Buffer.from(out.join(""), "utf8");
}
