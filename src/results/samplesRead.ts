// Reading a run's samples files for compare: per-doc metric values and loglikelihood choices,
// from our files (either layout) and from lm-evaluation-harness's (src/results/lmEvalRead.ts
// says which file and which key a task's metric is under).

import { existsSync, statSync } from "node:fs";
import type { TokenizationRule } from "../api/types.js";
import { UserError } from "../util/errors.js";
import { readJsonLines, UnusableLines } from "./jsonLines.js";
import { notAFileKind } from "../util/files.js";
import type { SampleSource } from "./lmEvalRead.js";

/** What the readers need of a run: its samples files by task. */
interface WithSamples {
  samples?: Map<string, SampleSource>;
}

/** The run's samples file of a task, or null when it has none on disk. */
export function samplesSourceOf(run: WithSamples, task: string): SampleSource | null {
  const source = run.samples?.get(task);
  return source && existsSync(source.file) ? source : null;
}

/** Per-doc values of one metric of one task, by doc_id; null when the run has no samples file for it. */
export function loadSampleMetric(run: WithSamples, task: string, metric: string): Map<number, number> | null {
  const source = samplesSourceOf(run, task);
  if (!source) return null;
  const file = source.file;
  const key = source.metricKeys[metric] ?? metric;
  const kind = notAFileKind(statSync(file));
  if (kind !== null) throw new UserError("usage", `${file} is ${kind}, not a samples file; remove it to compare unpaired, or rerun \`rakuten-eval run\`.`);
  const out = new Map<number, number>();
  for (const { value: rec, lineNumber } of readJsonLines(file, "the samples file is damaged (rerun `rakuten-eval run` or delete it to compare unpaired).")) {
    const r = rec as Record<string, unknown> & { doc_id?: unknown; metrics?: unknown };
    // lm-eval's layout: the value at the top level (metrics lists the names); older files: metrics.<name>.
    const value = Array.isArray(r.metrics) || r.metrics === undefined ? r[key] : (r.metrics as Record<string, unknown>)[key];
    if (typeof r.doc_id !== "number" || typeof value !== "number") {
      throw new UserError("usage", `${file} line ${lineNumber} lacks a numeric doc_id or ${key}; the samples file does not match its results file.`);
    }
    if (out.has(r.doc_id)) throw new UserError("usage", `${file} has doc_id ${r.doc_id} twice (line ${lineNumber}); the samples file is damaged.`);
    out.set(r.doc_id, value);
  }
  return out;
}

/** One doc's loglikelihood requests of a samples file: the continuations scored and their log-likelihoods. */
export interface SampleChoices {
  continuations: string[];
  logprobs: number[];
  /** Each request's context and tokenization rule (null when the file does not record a known one). */
  contexts: string[];
  rules: (TokenizationRule | null)[];
}

/**
 * A samples line's requests and responses in our form: under `rakuten_eval` (ours in lm-eval's
 * layout), at the top level (older files), or rebuilt from lm-eval's `arguments` and `resps`
 * (["-1.5", "True"] pairs; the tokenization rule is not recorded there).
 */
function requestsOf(rec: Record<string, unknown>): { doc_id?: unknown; requests?: unknown; responses?: unknown } {
  const ours = rec.rakuten_eval as { requests?: unknown; responses?: unknown } | undefined;
  if (ours && Array.isArray(ours.requests)) return { doc_id: rec.doc_id, requests: ours.requests, responses: ours.responses };
  if (Array.isArray(rec.requests)) return rec;
  const args = rec.arguments as Record<string, { arg_0?: unknown; arg_1?: unknown }> | undefined;
  const resps = rec.resps as unknown[][] | undefined;
  if (!args || !Array.isArray(resps)) return { doc_id: rec.doc_id };
  const requests: unknown[] = [];
  const responses: unknown[] = [];
  Object.values(args).forEach((a, k) => {
    const pair = resps[k]?.[0];
    if (typeof a.arg_1 !== "string" || !Array.isArray(pair)) return;
    requests.push({ type: "loglikelihood", context: a.arg_0, continuation: a.arg_1 });
    responses.push({ logprob: Number(pair[0]), isGreedy: pair[1] === "True" });
  });
  return { doc_id: rec.doc_id, requests, responses };
}

/**
 * Per doc, the loglikelihood continuations and their log-likelihoods (request order); null when the
 * run wrote no samples file. Docs without loglikelihood requests (generation tasks) are left out.
 */
export function loadSampleChoices(run: WithSamples, task: string): Map<number, SampleChoices> | null {
  const source = samplesSourceOf(run, task);
  if (!source) return null;
  const file = source.file;
  const out = new Map<number, SampleChoices>();
  const unusable = new UnusableLines(file, "the samples file is damaged (rerun `rakuten-eval run`).");
  for (const { value, lineNumber } of readJsonLines(file, "the samples file is damaged.")) {
    let rec: { doc_id?: unknown; requests?: unknown; responses?: unknown };
    try {
      rec = requestsOf(value as Record<string, unknown>);
    } catch {
      throw new UserError("usage", `${file} line ${lineNumber} is not a samples record; the samples file is damaged.`);
    }
    if (typeof rec.doc_id !== "number" || !Array.isArray(rec.requests) || !Array.isArray(rec.responses)) {
      unusable.add(lineNumber);
      continue;
    }
    const continuations: string[] = [];
    const logprobs: number[] = [];
    const contexts: string[] = [];
    const rules: (TokenizationRule | null)[] = [];
    rec.requests.forEach((q: unknown, k: number) => {
      const req = q as { type?: unknown; context?: unknown; continuation?: unknown; tokenization?: unknown };
      const res = (rec.responses as unknown[])[k] as { logprob?: unknown } | undefined;
      if (req?.type === "loglikelihood" && typeof req.continuation === "string" && typeof res?.logprob === "number") {
        continuations.push(req.continuation);
        logprobs.push(res.logprob);
        contexts.push(typeof req.context === "string" ? req.context : "");
        rules.push(typeof req.context === "string" && (req.tokenization === "separate" || req.tokenization === "encode_pair") ? req.tokenization : null);
      }
    });
    if (logprobs.length > 0) out.set(rec.doc_id, { continuations, logprobs, contexts, rules });
  }
  unusable.throwIfAny("sample records (doc_id with requests and responses, or lm-eval's arguments and resps)");
  return out;
}
