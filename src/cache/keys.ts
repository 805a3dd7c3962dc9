// What a cached answer is keyed by. An answer may be served only for the same model
// bytes, the same number-changing engine settings and the same request, so each part
// is hashed from its full content, never from a path or a display name.

import { createHash } from "node:crypto";
import type {
  BackendDescription,
  GenerateResponse,
  LoglikelihoodRequest,
  LoglikelihoodResponse,
  ResolvedGenerateRequest,
} from "../api/types.js";

export type RequestKind = "loglikelihood" | "generate";

/**
 * Description keys that cannot change a number, left out of the settings key.
 * `threads`: llama.cpp's CPU kernels split a matrix product's rows over threads;
 * each dot product is summed the same way whatever the split, so scores are
 * bit-identical across thread counts (test/cache-threads.test.ts checks it on a real model). `modelPath`: the
 * model is identified by `modelSha256`, so a moved or renamed file keeps its answers.
 * `mmap`: mapped or read into memory, the weights are the same bytes and go through the
 * same kernels (test/cache-threads.test.ts checks it too).
 */
export const SETTINGS_KEYS_IGNORED: readonly string[] = ["threads", "modelPath", "mmap"];

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** JSON with object keys sorted at every level, so that key order never changes a hash. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** The settings that can change a number: the backend's description without threads and path. */
export function numberChangingSettings(description: BackendDescription): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(description)) if (!SETTINGS_KEYS_IGNORED.includes(key)) out[key] = value;
  return out;
}

/** The id of a (model contents, engine settings) pair: every answer is stored under one. */
export function settingsId(description: BackendDescription): string {
  return sha256Hex(canonicalJson(numberChangingSettings(description)));
}

/** The key of one loglikelihood request: its full text and tokenization rule. */
export function loglikelihoodKey(request: LoglikelihoodRequest): string {
  return sha256Hex(
    canonicalJson({ type: "loglikelihood", context: request.context, continuation: request.continuation, tokenization: request.tokenization }),
  );
}

/** The key of one resolved generate request: its context, stop strings and token cap. */
export function generateKey(request: ResolvedGenerateRequest): string {
  return sha256Hex(canonicalJson({ type: "generate", context: request.context, until: request.until, maxTokens: request.maxTokens }));
}

// JSON has no -Infinity or NaN (a continuation llama.cpp gives zero probability scores
// -Infinity); they are written as strings so that every double comes back bit for bit.
function encodeNumber(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

function decodeNumber(value: unknown): number {
  if (typeof value === "number") return value;
  if (value === "Infinity" || value === "-Infinity" || value === "NaN") return Number(value);
  throw new Error(`not a cached number: ${JSON.stringify(value)}`);
}

export function encodeLoglikelihood(response: LoglikelihoodResponse): string {
  return JSON.stringify([encodeNumber(response.logprob), response.isGreedy]);
}

export function decodeLoglikelihood(text: string): LoglikelihoodResponse {
  const parsed = JSON.parse(text) as unknown;
  if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[1] !== "boolean") throw new Error(`not a cached loglikelihood answer: ${text.slice(0, 80)}`);
  return { logprob: decodeNumber(parsed[0]), isGreedy: parsed[1] };
}

export function encodeGenerate(response: GenerateResponse): string {
  return JSON.stringify(response);
}

export function decodeGenerate(text: string): GenerateResponse {
  const parsed = JSON.parse(text) as unknown;
  if (typeof parsed !== "string") throw new Error(`not a cached generation: ${text.slice(0, 80)}`);
  return parsed;
}
