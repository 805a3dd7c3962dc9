// SentencePiece's own ids (Debian's python3-sentencepiece, through sentencepiece_reference.py),
// the independent reference the tokenizer tests and `npm run bench -- --tokenizers` compare with.

import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { TaskRequest } from "../../src/api/types.js";
import { referenceTokenParts, type Encode } from "../../src/backend/tokenization.js";

const here = path.dirname(fileURLToPath(import.meta.url));
/** The script sits in the source tree; this module runs from dist/bench/tokenizer/. */
const SCRIPT = path.resolve(here, "../../../bench/tokenizer/sentencepiece_reference.py");
export const SYSTEM_PYTHON = "/usr/bin/python3";

/** Why the reference cannot run here, or null when it can. */
export function sentencePieceMissing(): string | null {
  const probe = spawnSync(SYSTEM_PYTHON, ["-c", "import sentencepiece"], { encoding: "utf8" });
  return probe.status === 0 ? null : "python3-sentencepiece is not installed (apt-get install -y python3-sentencepiece)";
}

/** SentencePiece's ids of each text, as HF's slow tokenizer encodes them without special tokens added. */
export function sentencePieceIds(modelFile: string, texts: readonly string[], special: Record<string, number> = {}): number[][] {
  const result = spawnSync(SYSTEM_PYTHON, [SCRIPT], { input: JSON.stringify({ model: modelFile, texts, special }), encoding: "utf8", maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`sentencepiece_reference.py failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as number[][];
}

/** Every distinct text the reference encodes for these requests (found by encoding with a recorder). */
export function encodedTexts(requests: readonly TaskRequest[], eosText: string): string[] {
  const texts = new Set<string>();
  const record: Encode = (text) => {
    texts.add(text);
    return [];
  };
  for (const request of requests) referenceTokenParts(request, record, 0, eosText);
  return [...texts];
}

/** An encoder that answers from a table of precomputed ids (throws on a text it lacks). */
export function tableEncoder(texts: readonly string[], ids: readonly number[][]): Encode {
  const table = new Map<string, number[]>();
  texts.forEach((text, i) => table.set(text, ids[i]!));
  return (text) => {
    const found = table.get(text);
    if (found === undefined) throw new Error(`no reference ids for ${JSON.stringify(text.slice(0, 40))}`);
    return found.slice();
  };
}

export interface Agreement {
  strings: number;
  stringsEqual: number;
  requests: number;
  requestsEqual: number;
  /** The first few texts whose ids differ. */
  firstDifferences: string[];
}

/** How often `encode` agrees with the reference table on the texts, and on whole requests (every part). */
export function agreementWith(
  requests: readonly TaskRequest[],
  texts: readonly string[],
  referenceIds: readonly number[][],
  encode: Encode,
  eos: { id: number; text: string },
): Agreement {
  let stringsEqual = 0;
  const firstDifferences: string[] = [];
  texts.forEach((text, i) => {
    if (sameIds(encode(text), referenceIds[i]!)) stringsEqual++;
    else if (firstDifferences.length < 5) firstDifferences.push(text.slice(0, 60));
  });
  const reference = tableEncoder(texts, referenceIds);
  let requestsEqual = 0;
  for (const request of requests) {
    const ours = referenceTokenParts(request, encode, eos.id, eos.text);
    const theirs = referenceTokenParts(request, reference, eos.id, eos.text);
    if (ours.every((p, i) => sameIds(p.tokens, theirs[i]!.tokens))) requestsEqual++;
  }
  return { strings: texts.length, stringsEqual, requests: requests.length, requestsEqual, firstDifferences };
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
