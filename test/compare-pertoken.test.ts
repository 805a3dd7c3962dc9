// `compare --quantisation --tokenizer`: |Δ log-likelihood| per continuation token, on two real runs of
// stories260K (KV cache f16 and f32, which move the log-likelihoods by ~1e-3 nats), checked against
// token counts and |Δ| the test computes itself from the two samples files and the vocabulary.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { loadTokenizer } from "../src/backend/llama/index.js";
import { compareRuns } from "../src/compare/compare.js";
import { DEFAULT_COMPARE_OPTIONS } from "../src/compare/comparisonTypes.js";
import { runScores } from "../src/results/read.js";
import { renderComparisonMarkdown, renderComparisonTable } from "../src/report/comparison.js";
import { readRunSamples } from "./support/runFiles.js";
import { tempDir } from "./support/compareFixtures.js";
import { sharedSkip } from "./support/sharedData.js";

const root = process.cwd();
const bin = path.resolve(root, "bin/run.js");
const model = path.resolve(root, "../shared/models/stories260K.gguf");
const dataDir = path.resolve(root, "../shared/datasets");
const TASK = "jcommonsenseqa-1.1-0.3";
const skip =
  sharedSkip(model, dataDir) ||
  (!existsSync(path.resolve(root, "dist/src/commands/run.js")) && "dist/ missing: run `npm run build` first");

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: "utf8", timeout: 180_000, maxBuffer: 32 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Sample {
  doc_id: number;
  requests: { type: string; context: string; continuation: string; tokenization: string }[];
  responses: { logprob: number }[];
}

function samples(dir: string): Map<number, Sample> {
  return new Map(readRunSamples(dir, TASK).map((s) => [s.doc_id, s as Sample]));
}

test("per-token |Δ log-likelihood| equals |Δ| over the continuation's tokens, counted independently", { skip, timeout: 400_000 }, async () => {
  const dir = tempDir("pertoken");
  const runDir = (kv: string) => path.join(dir, kv);
  for (const kv of ["f16", "f32"]) {
    const r = cli("run", "--model", model, "--tasks", TASK, "--limit", "5", "--data-dir", dataDir, "--no-cache", "--kv-cache-type", kv, "--output", runDir(kv));
    assert.equal(r.status, 0, r.stderr);
  }
  const base = samples(runDir("f16"));
  const next = samples(runDir("f32"));
  const tokenizer = await loadTokenizer(model);
  try {
    // The Stability JP harness's rule ("separate", BaseLM.loglikelihood in hf-causal mode): context
    // and continuation are encoded each on its own (no BOS; SentencePiece's dummy prefix on both),
    // so the log-likelihood sums over exactly tokenize(continuation); the context (or [EOS] for
    // an empty one) never changes that count, and truncation cuts only the context.
    let sum = 0;
    let max = 0;
    let choices = 0;
    let tokens = 0;
    let multiToken = 0;
    let sumPerChoice = 0;
    let sumWrong = 0; // the same with a wrong count: context and continuation encoded together
    for (const [docId, x] of next) {
      const y = base.get(docId);
      assert.ok(y, `doc ${docId} in both runs`);
      x.requests.forEach((req, i) => {
        assert.equal(req.type, "loglikelihood");
        assert.equal(req.tokenization, "separate", "JCommonsenseQA uses the Stability JP rule");
        assert.equal(req.continuation, y.requests[i]!.continuation);
        const n = tokenizer.tokenize(req.continuation).length;
        const d = Math.abs(x.responses[i]!.logprob - y.responses[i]!.logprob);
        assert.ok(n > 0);
        if (n > 1) multiToken++;
        sum += d / n;
        max = Math.max(max, d / n);
        sumPerChoice += d;
        sumWrong += d / tokenizer.tokenize(req.context + req.continuation).length;
        choices++;
        tokens += n;
      });
    }
    const comparison = compareRuns(runScores(runDir("f32")), runScores(runDir("f16")), { ...DEFAULT_COMPARE_OPTIONS, bootstrapIterations: 100, agreement: true, tokenizer });
    const a = comparison.agreement?.find((r) => r.task === TASK);
    assert.ok(a, "an agreement row");
    assert.ok(a.perToken, "per-token figures with a tokenizer");
    assert.equal(comparison.agreementPerToken, true);
    assert.equal(a.choices, choices);
    assert.equal(a.perToken.choices, choices);
    assert.equal(a.perToken.tokens, tokens);
    const close = (got: number, want: number, what: string) => assert.ok(Math.abs(got - want) <= 1e-12 * Math.max(1, Math.abs(want)), `${what}: ${got} vs ${want}`);
    close(a.perToken.meanAbsDelta, sum / choices, "mean |Δ| per token");
    close(a.perToken.maxAbsDelta, max, "max |Δ| per token");
    close(a.meanAbsDelta, sumPerChoice / choices, "mean |Δ| per choice");
    // The check can fail: the runs differ, the continuations have several tokens (byte pieces for
    // Japanese in a 512-piece vocabulary), so per token is not per choice, nor a wrong count's figure.
    assert.ok(a.meanAbsDelta > 0, "f16 and f32 KV caches move the log-likelihoods");
    assert.ok(multiToken > 0, "some continuation has more than one token");
    assert.ok(Math.abs(a.perToken.meanAbsDelta - a.meanAbsDelta) > 1e-6 * a.meanAbsDelta, "per token differs from per choice");
    assert.ok(Math.abs(a.perToken.meanAbsDelta - sumWrong / choices) > 1e-6 * a.meanAbsDelta, "per token differs from a wrong token count");

    // Rendered in every format.
    assert.match(renderComparisonTable(comparison), new RegExp(`${TASK.replace(/\./g, "\\.")}: .* per token mean \\|Δ\\| \\S+, max \\|Δ\\| \\S+ over ${tokens} tokens`));
    assert.match(renderComparisonMarkdown(comparison), /\| Mean abs Δ\/token \| Max abs Δ\/token \|/);

    // Through the CLI: the flag loads the vocabulary and implies --quantisation; JSON carries the same figures.
    const j = cli("compare", runDir("f32"), "--baseline", runDir("f16"), "--tokenizer", model, "--json");
    assert.equal(j.status, 0, j.stderr);
    const doc = JSON.parse(j.stdout) as { agreementPerToken: boolean; agreement: { task: string; perToken: { meanAbsDelta: number; maxAbsDelta: number; tokens: number } }[] };
    assert.equal(doc.agreementPerToken, true);
    const ja = doc.agreement.find((r) => r.task === TASK)!;
    assert.equal(ja.perToken.tokens, tokens);
    close(ja.perToken.meanAbsDelta, sum / choices, "JSON mean |Δ| per token");
    close(ja.perToken.maxAbsDelta, max, "JSON max |Δ| per token");

    // Without --tokenizer: no per-token figures, and the output names the flag.
    const plain = cli("compare", runDir("f32"), "--baseline", runDir("f16"), "--quantisation");
    assert.equal(plain.status, 0, plain.stderr);
    assert.match(plain.stdout, /per token: needs --tokenizer FILE\.gguf/);
    const noTok = compareRuns(runScores(runDir("f32")), runScores(runDir("f16")), { ...DEFAULT_COMPARE_OPTIONS, bootstrapIterations: 100, agreement: true });
    assert.equal(noTok.agreement?.[0]?.perToken, null);
    assert.equal(noTok.agreementPerToken, false);

    // A bad --tokenizer path: the one-line model-file error, exit 2.
    const bad = cli("compare", runDir("f32"), "--baseline", runDir("f16"), "--tokenizer", path.join(dir, "missing.gguf"));
    assert.equal(bad.status, 2);
    assert.equal(bad.stdout, "");
    assert.match(bad.stderr.trim(), /^error: Model file not found: .*missing\.gguf\. [^\n]*$/);
  } finally {
    await tokenizer.dispose();
  }
});

test("encode_pair continuation counts: whitespace moves to the continuation, the split is by token count", { skip: sharedSkip(model) }, async () => {
  const { continuationTokenCount } = await import("../src/compare/agreement.js");
  const tokenizer = await loadTokenizer(model);
  try {
    const tok = (s: string) => tokenizer.tokenize(s);
    // lm-evaluation-harness `_encode_pair`: n = |enc(ctx.rstrip() + ws + cont)| − |enc(ctx.rstrip())|.
    for (const [ctx, cont] of [
      ["Question: Where do cats sleep?\nAnswer:", " on the bed"],
      ["Question: Where do cats sleep?\nAnswer: ", "on the bed"],
      ["Once upon a time", " there was a dog"],
    ] as const) {
      const stripped = ctx.replace(/\s+$/, "");
      const want = tok(stripped + ctx.slice(stripped.length) + cont).length - tok(stripped).length;
      assert.equal(continuationTokenCount(ctx, cont, "encode_pair", tokenizer), want, `${JSON.stringify(ctx)} + ${JSON.stringify(cont)}`);
      assert.equal(continuationTokenCount(ctx, cont, "separate", tokenizer), tok(cont).length);
    }
    // An empty context: [EOS] + enc(continuation) under both rules.
    assert.equal(continuationTokenCount("", " the end", "encode_pair", tokenizer), tok(" the end").length);
  } finally {
    await tokenizer.dispose();
  }
});
