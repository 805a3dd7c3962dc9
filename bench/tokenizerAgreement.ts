// `npm run bench -- --tokenizers`: how often each way of tokenizing agrees with SentencePiece
// itself, per suite, on every request the suites send with ../shared/datasets (all docs there):
// llama.cpp's reading of the GGUF, and --hf-tokenizer with tokenizer.model and tokenizer.json
// (tokenizer.json also against HF's Rust tokenizers, its own reference). `--limit N` per task.
// Also the time each takes over those texts. Prints a table.

import path from "node:path";
import type { TaskRequest, TextTokenizer } from "../src/api/types.js";
import { loadTokenizer } from "../src/backend/llama/index.js";
import { loadHfTokenizer } from "../src/backend/tokenizers/hfTokenizer.js";
import { selectTasks } from "../src/tasks/registry.js";
import { plannedRequests } from "../src/run/tokenizerCheck.js";
import { hfRustIds } from "./tokenizer/hfRustReference.js";
import { agreementWith, encodedTexts, sentencePieceIds, sentencePieceMissing } from "./tokenizer/sentencePieceReference.js";

const shared = path.resolve("../shared");
const VOCABULARIES = [
  { name: "Llama-2 (SentencePiece BPE)", spm: "models/tokenizers/llama-2/tokenizer.model", gguf: "models/llama-2-tiny-random.gguf", hf: ["models/tokenizers/llama-2/tokenizer.model"] },
  {
    name: "llm-jp v2.2 (SentencePiece unigram)",
    spm: "models/tokenizers/llm-jp-v2.2/tokenizer.model",
    gguf: "models/vocab/llm-jp-v2.2-vocab.gguf",
    hf: ["models/tokenizers/llm-jp-v2.2/tokenizer.json", "models/tokenizers/llm-jp-v2.2/tokenizer.model"],
  },
];

async function timed<T>(work: () => T | Promise<T>): Promise<{ value: T; seconds: number }> {
  const start = performance.now();
  const value = await work();
  return { value, seconds: (performance.now() - start) / 1000 };
}

export async function runTokenizerAgreement(limit?: number, suites: readonly ("ja" | "en")[] = ["ja", "en"]): Promise<void> {
  const missing = sentencePieceMissing();
  if (missing) throw new Error(missing);
  for (const suite of suites) {
    const { requests: planned } = await plannedRequests(selectTasks({ suite }), { dataDir: path.join(shared, "datasets"), ...(limit !== undefined ? { limit } : {}) });
    const requests: TaskRequest[] = planned.map((p) => p.request);
    for (const vocabulary of VOCABULARIES) {
      const candidates: Array<{ label: string; tokenizer: TextTokenizer & { dispose?: () => Promise<void> } }> = [
        { label: `llama.cpp, ${path.basename(vocabulary.gguf)}`, tokenizer: await loadTokenizer(path.join(shared, vocabulary.gguf)) },
      ];
      for (const file of vocabulary.hf) candidates.push({ label: `--hf-tokenizer ${path.basename(file)}`, tokenizer: await loadHfTokenizer(path.join(shared, file)) });
      // The texts are the ones each tokenizer's run would encode: the EOS text (MGSM's stop) is the tokenizer's own.
      for (const { label, tokenizer } of candidates) {
        const texts = encodedTexts(requests, tokenizer.eosText());
        // HF parses the tokenizer's EOS text as its special token; SentencePiece is told the same.
        const reference = await timed(() => sentencePieceIds(path.join(shared, vocabulary.spm), texts, { [tokenizer.eosText()]: tokenizer.eosId }));
        const run = await timed(() => agreementWith(requests, texts, reference.value, (t) => tokenizer.tokenize(t), { id: tokenizer.eosId, text: tokenizer.eosText() }));
        const a = run.value;
        if (label.endsWith("tokenizer.json")) {
          // tokenizer.json's own reference: HF's Rust library (float64 unigram scores; SentencePiece adds in float32).
          const rust = await hfRustIds(path.join(shared, vocabulary.hf[0]!), texts);
          const r = agreementWith(requests, texts, rust, (t) => tokenizer.tokenize(t), { id: tokenizer.eosId, text: tokenizer.eosText() });
          console.log(`${suite.padEnd(3)} ${vocabulary.name.padEnd(36)} ${label.padEnd(40)} vs HF tokenizers (Rust): strings ${r.stringsEqual}/${r.strings}  requests ${r.requestsEqual}/${r.requests}`);
        }
        console.log(
          `${suite.padEnd(3)} ${vocabulary.name.padEnd(36)} ${label.padEnd(40)} strings ${a.stringsEqual}/${a.strings}  requests ${a.requestsEqual}/${a.requests}  (${run.seconds.toFixed(2)} s; SentencePiece ${reference.seconds.toFixed(2)} s)` +
            (a.firstDifferences.length ? `  e.g. ${JSON.stringify(a.firstDifferences[0])}` : ""),
        );
        await tokenizer.dispose?.();
      }
    }
  }
}

/**
 * `npm run bench -- --tokenizer-cost [--limit N]`: seconds to tokenize every text the reference
 * encodes for each suite's requests, once per distinct text, with today's path (llama.cpp's reading
 * of the GGUF) and with --hf-tokenizer (tokenizer.json, tokenizer.model), each on a fresh instance.
 */
export async function runTokenizerCost(limit?: number, suites: readonly ("ja" | "en")[] = ["ja", "en"]): Promise<void> {
  const vocabulary = VOCABULARIES[1]!;
  for (const suite of suites) {
    const { requests: planned } = await plannedRequests(selectTasks({ suite }), { dataDir: path.join(shared, "datasets"), ...(limit !== undefined ? { limit } : {}) });
    const requests = planned.map((p) => p.request);
    const texts = encodedTexts(requests, "</s>");
    const line: string[] = [];
    const gguf = await loadTokenizer(path.join(shared, vocabulary.gguf));
    const ggufTime = await timed(() => texts.forEach((t) => gguf.tokenize(t)));
    await gguf.dispose();
    line.push(`llama.cpp ${ggufTime.seconds.toFixed(2)} s`);
    for (const file of vocabulary.hf) {
      const load = await timed(() => loadHfTokenizer(path.join(shared, file)));
      const run = await timed(() => texts.forEach((t) => load.value.tokenize(t)));
      line.push(`${path.basename(file)} ${run.seconds.toFixed(2)} s (+${load.seconds.toFixed(2)} s to load)`);
    }
    console.log(`${suite}: ${requests.length} requests, ${texts.length} distinct texts: ${line.join("; ")}`);
  }
}
