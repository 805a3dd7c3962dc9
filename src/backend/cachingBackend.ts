// A Backend decorator that answers from the request cache and sends only the
// misses to the inner backend. Every answer is stored, in its own transaction, the
// moment the inner backend reports it final (`onResult`), so a process killed at any
// moment loses only the requests the engine was still computing. (An inner backend
// without `onResult` has its answers stored when its call returns.)
//
// Misses go to the inner backend in chunks. Before each chunk the store is read again,
// so answers that another run sharing the cache committed meanwhile are not recomputed,
// and a chunk that another live run has claimed (is computing) is put off to the end.
// Chunk boundaries never split the choices of one question (requests with the same
// context). The llama backend scores the positions such requests share once, in the
// batch of the first of them; scored in another call, the same position comes from a
// batch of another size and can differ in the last bits (seen: 4.6e-7 nats on
// stories260K). Kept together, an uninterrupted run gives the same bits whatever the
// chunking. (A run resumed after a kill in the middle of a question computes the rest of
// that question without its stored siblings: those answers agree within 1e-6 nats.)
// Chunk sizes follow a fixed schedule (4, 8, 16, ... up to `maxChunk` requests), not
// the clock, so two runs of the same command cut the same chunks.

import type {
  Backend,
  BackendDescription,
  BackendLimits,
  GenerateResponse,
  LoglikelihoodRequest,
  LoglikelihoodResponse,
  OnProgress,
  OnResult,
  ResolvedGenerateRequest,
} from "../api/types.js";
import { UserError } from "../errors.js";
import { killPoint } from "../util/killPoint.js";
import {
  decodeGenerate,
  decodeLoglikelihood,
  encodeGenerate,
  encodeLoglikelihood,
  generateKey,
  loglikelihoodKey,
  type RequestKind,
} from "../cache/keys.js";
import type { RequestCache } from "../cache/store.js";

/** How one phase was answered (distinct requests: a repeated request is looked up and computed once). */
export interface PhaseCounts {
  kind: RequestKind;
  /** Requests in the call, repeats included. */
  requests: number;
  /** Distinct requests. */
  distinct: number;
  /** Distinct requests answered by the persistent cache or by an earlier call of this run. */
  fromCache: number;
  /** Distinct requests sent to the inner backend and answered. */
  computed: number;
  /** Of `computed`, the answers committed to the persistent store (fewer when the store failed). */
  stored: number;
}

export interface CachingBackendOptions {
  /** The persistent store; null keeps answers in memory only (`--no-cache`). */
  store: RequestCache | null;
  /** Stops sending chunks; the pending call rejects with `InterruptedError`. */
  signal?: AbortSignal;
  /** One line per phase ("loglikelihood: 812 of 1000 requests from cache") and warnings. */
  log?: (line: string) => void;
  /**
   * Put off chunks that another live run sharing the store has claimed (default true). The
   * deferred chunk is computed later only if its answers have not been stored meanwhile.
   */
  shareWork?: boolean;
  /** First and largest chunk, in requests (defaults 4 and 64); a question's choices may overrun it. */
  minChunk?: number;
  maxChunk?: number;
}

/** Thrown by a call that was stopped through the abort signal. */
export class InterruptedError extends UserError {
  constructor(message = "interrupted") {
    super("interrupted", message);
    this.name = "InterruptedError";
  }
}

interface KindCodec<Request, Answer> {
  kind: RequestKind;
  key(request: Request): string;
  encode(answer: Answer): string;
  decode(text: string): Answer;
  /** Order of misses: shared prefixes adjacent, so the inner backend keeps its KV cache. */
  compare(a: Request, b: Request): number;
  /** Whether two adjacent requests must go in one call (see the note at the top). */
  together(a: Request, b: Request): boolean;
  compute(inner: Backend, requests: Request[], onProgress: OnProgress, onResult: OnResult<Answer>): Promise<Answer[]>;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const LOGLIKELIHOOD: KindCodec<LoglikelihoodRequest, LoglikelihoodResponse> = {
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
  compute: (inner, requests, onProgress, onResult) => inner.loglikelihood(requests, onProgress, onResult),
};

const GENERATE: KindCodec<ResolvedGenerateRequest, GenerateResponse> = {
  kind: "generate",
  key: generateKey,
  encode: encodeGenerate,
  decode: decodeGenerate,
  compare: (a, b) => compareStrings(a.context, b.context) || a.maxTokens - b.maxTokens || compareStrings(JSON.stringify(a.until), JSON.stringify(b.until)),
  together: () => false,
  compute: (inner, requests, onProgress, onResult) => inner.generate(requests, onProgress, onResult),
};

/** A request the cache cannot answer, with its key and its position in the call. */
interface Miss<R> {
  key: string;
  request: R;
  index: number;
}

export class CachingBackend implements Backend {
  private readonly store: RequestCache | null;
  private storeBroken = false;
  private settings: string | undefined;
  /** Answers of this run (hits and computed), encoded; also serves `--no-cache` and partial results. */
  private readonly memory = new Map<string, string>();
  private readonly counts: PhaseCounts[] = [];
  private offline = false;

  /** The inner backend's context limits, when it has them. */
  readonly limits?: () => BackendLimits;

  constructor(
    private readonly inner: Backend,
    private readonly options: CachingBackendOptions,
  ) {
    this.store = options.store;
    if (inner.limits !== undefined) this.limits = inner.limits.bind(inner);
  }

  /** Per-phase counts of the calls so far. */
  phaseCounts(): PhaseCounts[] {
    return this.counts.map((c) => ({ ...c }));
  }

  /** Whether the request has an answer (this run's or the store's). */
  isAnswered(request: LoglikelihoodRequest | ResolvedGenerateRequest): boolean {
    if ("continuation" in request) return this.lookup(LOGLIKELIHOOD, LOGLIKELIHOOD.key(request)) !== undefined;
    return this.lookup(GENERATE, GENERATE.key(request)) !== undefined;
  }

  /**
   * From now on answer only from what is stored; a miss is an error. Used after an
   * interrupt to score the docs that were fully answered.
   */
  answerOnlyFromCache(): void {
    this.offline = true;
  }

  loglikelihood(requests: LoglikelihoodRequest[], onProgress?: OnProgress): Promise<LoglikelihoodResponse[]> {
    return this.answer(LOGLIKELIHOOD, requests, onProgress);
  }

  generate(requests: ResolvedGenerateRequest[], onProgress?: OnProgress): Promise<GenerateResponse[]> {
    return this.answer(GENERATE, requests, onProgress);
  }

  tokenize(text: string): number[] {
    return this.inner.tokenize(text);
  }

  eosText(): string {
    return this.inner.eosText();
  }

  describe(): BackendDescription {
    return this.inner.describe();
  }

  dispose(): Promise<void> {
    return this.inner.dispose();
  }

  private settingsId(): string {
    // Registered on first use: the description is final once the inner backend is created.
    if (this.settings === undefined) {
      const description = this.inner.describe();
      this.settings = this.store && !this.storeBroken ? this.guard(() => this.store!.registerSettings(description)) : undefined;
      this.settings ??= `memory:${JSON.stringify(description)}`;
    }
    return this.settings;
  }

  private memoryKey(kind: RequestKind, key: string): string {
    return `${kind}:${key}`;
  }

  private lookup<R, A>(codec: KindCodec<R, A>, key: string): string | undefined {
    const remembered = this.memory.get(this.memoryKey(codec.kind, key));
    if (remembered !== undefined) return remembered;
    if (!this.store || this.storeBroken || this.store.isClosed) return undefined;
    const settings = this.settingsId();
    const stored = this.guard(() => this.store!.get(settings, codec.kind, key));
    if (stored !== undefined) this.memory.set(this.memoryKey(codec.kind, key), stored);
    return stored;
  }

  /** Runs a store operation; a failing store (disk full, damaged mid-run) is dropped with one warning. */
  private guard<T>(operation: () => T): T | undefined {
    try {
      return operation();
    } catch (error) {
      this.storeBroken = true;
      const message = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ").trim();
      this.options.log?.(`warning: the request cache ${this.store?.file ?? ""} failed (${message}); the run goes on without storing answers.`);
      return undefined;
    }
  }

  private async answer<R, A>(codec: KindCodec<R, A>, requests: R[], onProgress?: OnProgress): Promise<A[]> {
    const keys = requests.map((r) => codec.key(r));
    const firstOfKey = new Map<string, number>();
    keys.forEach((k, i) => {
      if (!firstOfKey.has(k)) firstOfKey.set(k, i);
    });
    const misses: Miss<R>[] = [];
    let fromCache = 0;
    for (const [key, index] of firstOfKey) {
      if (this.lookup(codec, key) !== undefined) fromCache++;
      else misses.push({ key, request: requests[index]!, index });
    }
    const counts: PhaseCounts = { kind: codec.kind, requests: requests.length, distinct: firstOfKey.size, fromCache, computed: 0, stored: 0 };
    this.counts.push(counts);
    if (requests.length > 0 && !this.offline) {
      this.options.log?.(
        `${codec.kind}: ${fromCache} of ${firstOfKey.size} requests from cache, ${misses.length} to compute${requests.length > firstOfKey.size ? ` (${requests.length - firstOfKey.size} repeats)` : ""}`,
      );
    }
    if (misses.length > 0 && this.offline) throw new Error(`internal error: ${misses.length} ${codec.kind} requests have no stored answer`);

    misses.sort((a, b) => codec.compare(a.request, b.request));
    const maxChunk = this.options.maxChunk ?? 64;
    let chunk = Math.min(this.options.minChunk ?? 4, maxChunk);
    let fromOthers = 0;
    const progress = (latest?: number) => onProgress?.(counts.fromCache + counts.computed, firstOfKey.size, latest);
    const chunks: Miss<R>[][] = [];
    for (let start = 0; start < misses.length; ) {
      let end = Math.min(misses.length, start + chunk);
      while (end < misses.length && codec.together(misses[end - 1]!.request, misses[end]!.request)) end++;
      chunks.push(misses.slice(start, end));
      start = end;
      chunk = Math.min(maxChunk, 2 * chunk);
    }
    // A chunk that another live run sharing the cache is computing is put off to the end, when
    // its answers are probably stored; two runs started together thus share the work.
    const deferred: Miss<R>[][] = [];
    const runChunk = async (candidates: Miss<R>[], mayDefer: boolean): Promise<void> => {
      this.throwIfAborted();
      // Read again: another run sharing the cache may have answered some meanwhile.
      const slice = candidates.filter((m) => this.lookup(codec, m.key) === undefined);
      const answeredMeanwhile = candidates.length - slice.length;
      counts.fromCache += answeredMeanwhile;
      fromOthers += answeredMeanwhile;
      if (slice.length === 0) {
        progress();
        return;
      }
      if (this.claimsEnabled()) {
        const settings = this.settingsId();
        const keys = slice.map((m) => m.key);
        if (mayDefer && (this.guard(() => this.store!.claimedByOthers(settings, codec.kind, keys).size) ?? 0) > 0) {
          deferred.push(slice);
          return;
        }
        this.guard(() => this.store!.claim(settings, codec.kind, keys));
      }
      const done = new Uint8Array(slice.length);
      const keep = (i: number, answer: A) => {
        if (done[i] === 1) return;
        done[i] = 1;
        counts.computed++;
        if (this.remember(codec, slice[i]!.key, codec.encode(answer))) counts.stored++;
        killPoint("stored");
        progress(slice[i]!.index);
      };
      // Each answer is stored as it is reported, even after an abort has released the
      // caller: nothing that finished is thrown away.
      const computation = codec
        .compute(
          this.inner,
          slice.map((m) => m.request),
          // Progress is reported per stored answer (keep), which also names the request.
          () => {},
          (index, answer) => {
            if (index >= 0 && index < slice.length) keep(index, answer);
          },
        )
        .then((answers) => {
          if (answers.length !== slice.length) throw new Error(`internal error: the backend returned ${answers.length} answers for ${slice.length} requests`);
          answers.forEach((answer, i) => keep(i, answer));
        });
      await this.abortable(computation);
      progress();
    };
    for (const c of chunks) await runChunk(c, true);
    for (const c of deferred) await runChunk(c, false);
    if (fromOthers > 0) this.options.log?.(`${codec.kind}: ${fromOthers} requests were answered meanwhile by another run sharing the cache`);
    if (misses.length === 0 && firstOfKey.size > 0) onProgress?.(firstOfKey.size, firstOfKey.size);
    return keys.map((key) => codec.decode(this.memory.get(this.memoryKey(codec.kind, key))!));
  }

  /** Whether claims are worth making: a usable persistent store (runs may share it). */
  private claimsEnabled(): boolean {
    return this.store !== null && !this.storeBroken && !this.store.isClosed && this.options.shareWork !== false;
  }

  /** Keeps one answer for this run and commits it to the store; whether it was stored. */
  private remember<R, A>(codec: KindCodec<R, A>, key: string, text: string): boolean {
    this.memory.set(this.memoryKey(codec.kind, key), text);
    if (!this.store || this.storeBroken || this.store.isClosed) return false;
    const settings = this.settingsId();
    return this.guard(() => this.store!.put(settings, codec.kind, key, text)) === true;
  }

  private throwIfAborted(): void {
    if (this.options.signal?.aborted) throw new InterruptedError();
  }

  /** Rejects as soon as the signal fires; the inner call's late answers are then dropped. */
  private abortable<T>(work: Promise<T>): Promise<T> {
    const signal = this.options.signal;
    if (!signal) return work;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(new InterruptedError());
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      work.then(
        (value) => {
          signal.removeEventListener("abort", onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
  }
}
