// What the caching backend needs to know of each kind of request: its cache key, how its
// answer is stored as text, the order that keeps shared prefixes adjacent, which requests
// must share a call, and which inner-backend method computes it. One table per kind, so
// the caching logic itself is written once for both.

import type {
  Backend,
  GenerateResponse,
  LoglikelihoodRequest,
  LoglikelihoodResponse,
  OnProgress,
  OnResult,
  ResolvedGenerateRequest,
} from "../api/types.js";
import {
  decodeGenerate,
  decodeLoglikelihood,
  encodeGenerate,
  encodeLoglikelihood,
  generateKey,
  loglikelihoodKey,
  type RequestKind,
} from "../cache/keys.js";

export interface KindCodec<Request, Answer> {
  kind: RequestKind;
  key(request: Request): string;
  encode(answer: Answer): string;
  decode(text: string): Answer;
  /** Order of misses: shared prefixes adjacent, so the inner backend keeps its KV cache. */
  compare(a: Request, b: Request): number;
  /** Whether two adjacent requests must go in one call (see missChunks.ts). */
  together(a: Request, b: Request): boolean;
  compute(inner: Backend, requests: Request[], onProgress: OnProgress, onResult: OnResult<Answer>, signal?: AbortSignal): Promise<Answer[]>;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export const LOGLIKELIHOOD: KindCodec<LoglikelihoodRequest, LoglikelihoodResponse> = {
  kind: "loglikelihood",
  key: loglikelihoodKey,
  encode: encodeLoglikelihood,
  decode: decodeLoglikelihood,
  compare: (a, b) => compareStrings(a.context, b.context) || compareStrings(a.continuation, b.continuation) || compareStrings(a.tokenization, b.tokenization),
  // An empty context is one EOS token for every request: nothing to keep together there
  // (checked: splitting xWinograd's requests changes no bit).
  together: (a, b) =>
    a.context !== "" &&
    a.tokenization === b.tokenization &&
    (a.context === b.context || (a.tokenization === "encode_pair" && a.context.trimEnd() === b.context.trimEnd())),
  compute: (inner, requests, onProgress, onResult, signal) => inner.loglikelihood(requests, onProgress, onResult, signal),
};

export const GENERATE: KindCodec<ResolvedGenerateRequest, GenerateResponse> = {
  kind: "generate",
  key: generateKey,
  encode: encodeGenerate,
  decode: decodeGenerate,
  compare: (a, b) => compareStrings(a.context, b.context) || a.maxTokens - b.maxTokens || compareStrings(JSON.stringify(a.until), JSON.stringify(b.until)),
  together: () => false,
  compute: (inner, requests, onProgress, onResult, signal) => inner.generate(requests, onProgress, onResult, signal),
};
