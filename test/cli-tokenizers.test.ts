// The tokenizer commands and flags through the CLI, on ../shared's real tokenizer files:
// `tokenize`, `tokenizer-check`, `run --hf-tokenizer` (what it records, what compare makes of
// it, the agreement it prints), the GGUF vocabulary warning, vocabulary-only GGUFs. Expected
// ids come from SentencePiece itself (python3-sentencepiece), or from the GGUF path on a
// vocabulary where both are known to agree (Llama-2's: see tokenizer-sentencepiece.test.ts).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { writeSyntheticGguf } from "../bench/syntheticGguf.js";
import { hfRustIds } from "../bench/tokenizer/hfRustReference.js";
import { sentencePieceIds, sentencePieceMissing } from "../bench/tokenizer/sentencePieceReference.js";
import { readRunDoc, readAllRunSamples } from "./support/runFiles.js";
import { sharedSkip } from "./support/sharedData.js";

const root = process.cwd();
const shared = path.resolve(root, "../shared");
const dataDir = path.join(shared, "datasets");
const LLAMA2_GGUF = path.join(shared, "models/llama-2-tiny-random.gguf");
const LLAMA2_SPM = path.join(shared, "models/tokenizers/llama-2/tokenizer.model");
const LLMJP_DIR = path.join(shared, "models/tokenizers/llm-jp-v2.2");
const LLMJP_VOCAB = path.join(shared, "models/vocab/llm-jp-v2.2-vocab.gguf");
const SPM_VOCAB = path.join(shared, "models/vocab/llama-spm-vocab.gguf");
const need = sharedSkip;
const cli = (args: string[], input?: string) => spawnSync(process.execPath, [path.join(root, "bin/run.js"), ...args], { cwd: root, encoding: "utf8", ...(input !== undefined ? { input } : {}) });
const scratch = mkdtempSync(path.join(tmpdir(), "cli-tokenizers-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const TEXTS = ["Question: 日本の首都は？\nAnswer:", " 東京", "鑑賞𠮷野家 😀", "  two  spaces", "答え</s>"];

test("tokenize prints SentencePiece's ids, a line each; --json reads JSON strings (newlines inside)", { skip: need(LLMJP_DIR, LLAMA2_GGUF) || sentencePieceMissing() || false }, async () => {
  const plain = TEXTS.filter((t) => !t.includes("\n"));
  const hf = cli(["tokenize", "--hf-tokenizer", LLMJP_DIR], plain.join("\n") + "\n");
  assert.equal(hf.status, 0, hf.stderr);
  // tokenizer.json's reference is HF's Rust library: it renames the special pieces ("</s|LLM-jp>"), so "</s>" is text there.
  assert.deepEqual(hf.stdout.trim().split("\n").map((l) => JSON.parse(l)), await hfRustIds(path.join(LLMJP_DIR, "tokenizer.json"), plain));
  const json = cli(["tokenize", "--hf-tokenizer", path.join(LLMJP_DIR, "tokenizer.model"), "--json"], TEXTS.map((t) => JSON.stringify(t)).join("\n") + "\n");
  assert.equal(json.status, 0, json.stderr);
  assert.deepEqual(json.stdout.trim().split("\n").map((l) => JSON.parse(l)), sentencePieceIds(path.join(LLMJP_DIR, "tokenizer.model"), TEXTS));
  const gguf = cli(["tokenize", "--model", LLAMA2_GGUF, "--json"], TEXTS.map((t) => JSON.stringify(t)).join("\n") + "\n");
  assert.equal(gguf.status, 0, gguf.stderr);
  assert.deepEqual(gguf.stdout.trim().split("\n").map((l) => JSON.parse(l)), sentencePieceIds(LLAMA2_SPM, TEXTS));
  const bad = cli(["tokenize", "--hf-tokenizer", LLMJP_DIR, "--json"], "not json\n");
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^error: line 1 of stdin is not JSON .*JSON string/);
  assert.equal(bad.stderr.trim().split("\n").length, 1);
});

test("tokenizer-check: llm-jp's GGUF differs from its own tokenizer (exit 1, pieces shown); Llama-2's agrees (exit 0)", { skip: need(LLMJP_DIR, LLMJP_VOCAB, LLAMA2_GGUF, dataDir) }, () => {
  const differing = cli(["tokenizer-check", "--model", LLMJP_VOCAB, "--hf-tokenizer", LLMJP_DIR, "--tasks", "jcommonsenseqa", "--limit", "5", "--data-dir", dataDir]);
  assert.equal(differing.status, 1, differing.stderr);
  const row = differing.stdout.split("\n").find((l) => l.startsWith("jcommonsenseqa-1.1-0.3"));
  assert.match(row ?? "", /of\s+25 requests agree\s+\(\d+ differ\)/);
  assert.match(differing.stdout, /gguf: .*"/);
  assert.match(differing.stdout, /hf  : .*"/);
  const json = cli(["tokenizer-check", "--model", LLMJP_VOCAB, "--hf-tokenizer", LLMJP_DIR, "--tasks", "jcommonsenseqa", "--limit", "5", "--data-dir", dataDir, "--json"]);
  const report = JSON.parse(json.stdout) as { requests: number; differing: number };
  assert.equal(report.requests, 25);
  assert.ok(report.differing > 0);
  const agreeing = cli(["tokenizer-check", "--model", LLAMA2_GGUF, "--hf-tokenizer", LLAMA2_SPM, "--tasks", "jcommonsenseqa,mgsm", "--limit", "5", "--data-dir", dataDir]);
  assert.equal(agreeing.status, 0, agreeing.stdout + agreeing.stderr);
  assert.match(agreeing.stdout, /^all\s+30 of\s+30 requests agree$/m);
});

test("vocabulary-only GGUFs: read as tokenizers; as --model, one line saying so (exit 2)", { skip: need(SPM_VOCAB, LLMJP_VOCAB, dataDir) }, () => {
  const prompts = cli(["prompts", "--task", "mgsm", "--limit", "1", "--data-dir", dataDir, "--model", SPM_VOCAB]);
  assert.equal(prompts.status, 0, prompts.stderr);
  assert.equal(JSON.parse(prompts.stdout.trim().split("\n")[0]!).until[0], "</s>");
  const run = cli(["run", "--tasks", "jcommonsenseqa", "--limit", "1", "--model", LLMJP_VOCAB, "--data-dir", dataDir, "--no-cache", "--output", path.join(scratch, "vocab")]);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /^error: .*llm-jp-v2\.2-vocab\.gguf is a vocabulary-only GGUF \(no weights\).*--tokenizer/);
  assert.equal(run.stderr.trim().split("\n").length, 1);
  // node-llama-cpp's memory estimate fails on a file without tensors; the vocabulary load does not, and says nothing.
  const quiet = cli(["tokenize", "--model", LLMJP_VOCAB], "Question:\n");
  assert.equal(quiet.status, 0, quiet.stderr);
  assert.equal(quiet.stderr, "");
});

test("run --hf-tokenizer: the same ids give the same numbers, recorded as hf with the file's sha256; compare refuses a gguf baseline", { skip: need(LLAMA2_GGUF, LLAMA2_SPM, dataDir) }, () => {
  const tasks = ["--tasks", "jcommonsenseqa,xwinograd_ja,mgsm", "--limit", "3", "--data-dir", dataDir, "--no-cache", "-q"];
  const gguf = path.join(scratch, "gguf");
  const hf = path.join(scratch, "hf");
  assert.equal(cli(["run", "--model", LLAMA2_GGUF, ...tasks, "--output", gguf]).status, 0);
  const run = cli(["run", "--model", LLAMA2_GGUF, "--hf-tokenizer", LLAMA2_SPM, ...tasks, "--output", hf]);
  assert.equal(run.status, 0, run.stderr);
  // Llama-2's GGUF and tokenizer.model give the same ids on every request (tokenizer-sentencepiece.test.ts),
  // so every log-likelihood and generation is the GGUF run's.
  const strip = (s: { task: string; doc_id: number; responses: unknown; resps?: unknown }) => ({ task: s.task, doc: s.doc_id, responses: s.responses, resps: s.resps });
  assert.deepEqual(readAllRunSamples(hf).map(strip), readAllRunSamples(gguf).map(strip));
  const doc = readRunDoc(hf);
  const sha = createHash("sha256").update(readFileSync(LLAMA2_SPM)).digest("hex");
  assert.deepEqual(doc.rakuten_eval.tokenizer?.files, { "tokenizer.model": sha });
  assert.equal(doc.rakuten_eval.tokenizer?.source, "hf");
  assert.deepEqual(doc.rakuten_eval.tokenizer?.gguf_agreement && { requests: doc.rakuten_eval.tokenizer.gguf_agreement.requests, differing: doc.rakuten_eval.tokenizer.gguf_agreement.differing }, { requests: 3 * 5 + 3 * 2 + 3, differing: 0 });
  assert.equal(readRunDoc(gguf).rakuten_eval.tokenizer?.source, "gguf");
  const compare = cli(["compare", hf, "--baseline", gguf]);
  assert.equal(compare.status, 2);
  assert.match(compare.stderr, /tokenizer gguf → hf \(tokenizer\.model 9e556afd…\)/);
  // rescore takes the tokenizer the run used, and refuses another kind.
  const wrong = cli(["rescore", hf, "--data-dir", dataDir, "--tokenizer", LLAMA2_GGUF, "--output", path.join(scratch, "rescored-wrong"), "-q"]);
  assert.equal(wrong.status, 2);
  assert.match(wrong.stderr, /^error: .*was tokenized by the model's own tokenizer \(tokenizer\.model\), and --tokenizer is a GGUF/);
  const right = cli(["rescore", hf, "--data-dir", dataDir, "--tokenizer", LLAMA2_SPM, "--output", path.join(scratch, "rescored"), "-q"]);
  assert.equal(right.status, 0, right.stderr);
  assert.deepEqual(readRunDoc(path.join(scratch, "rescored")).results, doc.results);
});

test("--hf-tokenizer with more pieces than the model's vocabulary is refused in one line (exit 2)", { skip: need(path.join(shared, "models/stories260K.gguf"), LLAMA2_SPM, dataDir) }, () => {
  const run = cli(["run", "--model", path.join(shared, "models/stories260K.gguf"), "--hf-tokenizer", LLAMA2_SPM, "--tasks", "jcommonsenseqa", "--limit", "1", "--data-dir", dataDir, "--no-cache", "--output", path.join(scratch, "mismatch")]);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /^error: --hf-tokenizer has 32000 pieces but .*stories260K\.gguf has 512: it is not this model's tokenizer/);
  assert.equal(run.stderr.trim().split("\n").length, 1);
});

test("a GGUF whose vocabulary llama.cpp segments unlike SentencePiece gets one warning naming --hf-tokenizer; with it, the agreement is printed and recorded", { skip: need(LLMJP_VOCAB, LLMJP_DIR, dataDir) }, () => {
  const model = writeSyntheticGguf(path.join(scratch, "llmjp-tiny.gguf"), LLMJP_VOCAB, {
    embeddingLength: 32, blockCount: 1, headCount: 2, headCountKv: 2, feedForwardLength: 64, contextLength: 4096, seed: 3, weightStd: 0.2,
  }).path;
  const args = ["--tasks", "jcommonsenseqa", "--limit", "2", "--data-dir", dataDir, "--no-cache"];
  const plain = cli(["run", "--model", model, ...args, "--output", path.join(scratch, "warned")]);
  assert.equal(plain.status, 0, plain.stderr);
  const warnings = plain.stderr.split("\n").filter((l) => l.startsWith("warning:") && l.includes("--hf-tokenizer"));
  assert.equal(warnings.length, 1, plain.stderr);
  const own = cli(["run", "--model", model, "--hf-tokenizer", LLMJP_DIR, ...args, "--output", path.join(scratch, "own")]);
  assert.equal(own.status, 0, own.stderr);
  assert.equal(own.stderr.split("\n").filter((l) => l.startsWith("warning:") && l.includes("--hf-tokenizer")).length, 0);
  assert.match(own.stderr, /the GGUF's own tokenizer \(llama\.cpp\) would have given other ids for \d+ of 10 requests/);
  const agreement = readRunDoc(path.join(scratch, "own")).rakuten_eval.tokenizer?.gguf_agreement;
  assert.equal(agreement?.requests, 10);
  assert.ok((agreement?.differing ?? 0) > 0);
  // The ids llama.cpp evaluated are the model's own: the same requests, other log-likelihoods.
  const before = readAllRunSamples(path.join(scratch, "warned")).flatMap((x) => x.responses.map((r) => r.logprob));
  const after = readAllRunSamples(path.join(scratch, "own")).flatMap((x) => x.responses.map((r) => r.logprob));
  assert.equal(after.length, before.length);
  assert.ok(after.some((logprob, i) => logprob !== before[i]), "--hf-tokenizer changed no log-likelihood");
});
