// --hf-tokenizer against the libraries the reference harnesses tokenize with: SentencePiece itself
// for tokenizer.model (Debian's python3-sentencepiece, bench/tokenizer/sentencepiece_reference.py:
// what HF's slow tokenizer calls), Hugging Face's Rust `tokenizers` (its Node binding, a
// devDependency) for tokenizer.json (what AutoTokenizer's fast tokenizer runs). The two differ
// on a few MMLU texts: SentencePiece's unigram Viterbi adds scores in float32, HF's in float64,
// and near-ties ("_____" as "__"+"_"+"____" or "__"+"____"+"_") then fall either way. On the requests the suites send
// with ../shared/datasets: every request of the Japanese suite, and the English suite at
// --limit 20 per task (all 57 MMLU subjects, ARC, TruthfulQA): its full 70,851 requests hold
// 243M characters, minutes of SentencePiece on CI's two cores (`npm run bench -- --tokenizers`
// measures them all). Every token sequence the reference derives from a request is compared
// (context and continuation under the task's rule; a generation's prompt, stop token and cap texts).
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { loadHfTokenizer } from "../src/backend/tokenizers/hfTokenizer.js";
import { selectTasks } from "../src/tasks/registry.js";
import { plannedRequests } from "../src/run/tokenizerCheck.js";
import type { TaskRequest } from "../src/api/types.js";
import { hfRustIds } from "../bench/tokenizer/hfRustReference.js";
import { agreementWith, encodedTexts, sentencePieceIds, sentencePieceMissing } from "../bench/tokenizer/sentencePieceReference.js";
import { sharedSkip } from "./support/sharedData.js";

const shared = path.resolve("../shared");
const dataDir = path.join(shared, "datasets");
const TOKENIZERS = [
  { label: "Llama-2 tokenizer.model (SentencePiece BPE)", reference: "SentencePiece", spm: "models/tokenizers/llama-2/tokenizer.model", hf: "models/tokenizers/llama-2/tokenizer.model" },
  { label: "llm-jp v2.2 tokenizer.json (Unigram, byte fallback)", reference: "HF tokenizers (Rust)", spm: "models/tokenizers/llm-jp-v2.2/tokenizer.model", hf: "models/tokenizers/llm-jp-v2.2/tokenizer.json" },
  { label: "llm-jp v2.2 tokenizer.model (SentencePiece unigram)", reference: "SentencePiece", spm: "models/tokenizers/llm-jp-v2.2/tokenizer.model", hf: "models/tokenizers/llm-jp-v2.2/tokenizer.model" },
] as const;
const absent = sharedSkip(dataDir, ...TOKENIZERS.map((t) => path.join(shared, t.hf))) || sentencePieceMissing();

const suites: Array<{ suite: "ja" | "en"; limit?: number }> = [{ suite: "ja" }, { suite: "en", limit: 20 }];
const requestsOf = new Map<string, TaskRequest[]>();
async function suiteRequests(suite: "ja" | "en", limit?: number): Promise<TaskRequest[]> {
  let requests = requestsOf.get(suite);
  if (requests === undefined) {
    const planned = await plannedRequests(selectTasks({ suite }), { dataDir, ...(limit !== undefined ? { limit } : {}) });
    requestsOf.set(suite, (requests = planned.requests.map((r) => r.request)));
  }
  return requests;
}

for (const { suite, limit } of suites) {
  for (const t of TOKENIZERS) {
    test(`${t.label}: token ids equal ${t.reference}'s on every ${suite} request${limit ? ` (--limit ${limit})` : ""}`, { skip: absent ?? false }, async () => {
      const requests = await suiteRequests(suite, limit);
      assert.ok(requests.length > (suite === "ja" ? 10_000 : 4_000), `only ${requests.length} requests planned`);
      const tokenizer = await loadHfTokenizer(path.join(shared, t.hf));
      const eosText = tokenizer.eosText();
      const texts = encodedTexts(requests, eosText);
      // HF parses the tokenizer's own EOS text as its special token: SentencePiece is told the same.
      const reference =
        t.reference === "SentencePiece" ? sentencePieceIds(path.join(shared, t.spm), texts, { [eosText]: tokenizer.eosId }) : await hfRustIds(path.join(shared, t.hf), texts);
      const agreement = agreementWith(requests, texts, reference, (text) => tokenizer.tokenize(text), { id: tokenizer.eosId, text: eosText });
      assert.deepEqual(agreement.firstDifferences, []);
      assert.equal(agreement.stringsEqual, agreement.strings);
      assert.equal(agreement.requestsEqual, agreement.requests);
    });
  }
}

// Texts the suites' data happen not to hold, where the JavaScript port needed our repairs:
// characters outside the vocabulary (byte fallback) and outside the BMP (surrogate pairs).
const EDGE_TEXTS = ["鑑賞𠮷野家 😀", "😀", "\n\n😀x", "a\u{20BB7}\u{20BB7}b", "答え<EOD|LLM-jp>次", " ", "", "\u0000\u0001", "ｶﾀｶﾅ ＡＢＣ①", "negative _____, the"];

test("llm-jp tokenizer.json: HF's Rust library's ids on texts with rare, astral and special characters", { skip: sharedSkip(path.join(shared, TOKENIZERS[1].hf)) || false }, async () => {
  const file = path.join(shared, TOKENIZERS[1].hf);
  const tokenizer = await loadHfTokenizer(file);
  const expected = await hfRustIds(file, EDGE_TEXTS);
  assert.deepEqual(EDGE_TEXTS.map((t) => tokenizer.tokenize(t)), expected);
});
