// A Backend decorator that answers from the request cache and sends only the
// misses to the inner backend. Every answer is stored, in its own transaction, the
// moment the inner backend reports it final (`onResult`), so a process killed at any
// moment loses only the requests the engine was still computing. (An inner backend
// without `onResult` has its answers stored when its call returns.)
//
// Misses go to the inner backend in chunks (cut as missChunks.ts explains: a question's
// choices together, sizes on a fixed schedule). Before each chunk the store is read again,
// so answers that another run sharing the cache committed meanwhile are not recomputed,
// and a chunk that another live run has claimed (is computing) is put off to the end.

import type {
  Backend,
  BackendDescription,
  BackendLimits,
  GenerateResponse,
  LoglikelihoodRequest,
  LoglikelihoodResponse,
  OnProgress,
  ResolvedGenerateRequest,
} from "../api/types.js";
import { killPoint } from "../util/killPoint.js";
import type { RequestKind } from "../cache/keys.js";
import type { RequestCache } from "../cache/store.js";
import { abortable, throwIfAborted } from "./interruption.js";
import { cutChunks, type Miss } from "./missChunks.js";
import { GENERATE, LOGLIKELIHOOD, type KindCodec } from "./requestCodecs.js";
import { RunAnswers } from "./runAnswers.js";

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
  /** Stops sending chunks, and is passed to the inner backend; the pending call rejects with `InterruptedError`. */
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

export class CachingBackend implements Backend {
  /** This run's answers in front of the persistent store. */
  private readonly runAnswers: RunAnswers;
  private readonly counts: PhaseCounts[] = [];
  private offline = false;

  /** The inner backend's context limits, when it has them. */
  readonly limits?: () => BackendLimits;
  /** The inner backend's token preparation (a server's tokenizer), when it has one. */
  readonly prepareTokens?: (texts: readonly string[]) => Promise<void>;

  constructor(
    private readonly inner: Backend,
    private readonly options: CachingBackendOptions,
  ) {
    this.runAnswers = new RunAnswers(options.store, () => this.inner.describe(), (line) => this.options.log?.(line));
    if (inner.limits !== undefined) this.limits = inner.limits.bind(inner);
    if (inner.prepareTokens !== undefined) this.prepareTokens = inner.prepareTokens.bind(inner);
  }

  /** Per-phase counts of the calls so far. */
  phaseCounts(): PhaseCounts[] {
    return this.counts.map((c) => ({ ...c }));
  }

  /** Whether the request has an answer (this run's or the store's). */
  isAnswered(request: LoglikelihoodRequest | ResolvedGenerateRequest): boolean {
    if ("continuation" in request) return this.runAnswers.lookup(LOGLIKELIHOOD.kind, LOGLIKELIHOOD.key(request)) !== undefined;
    return this.runAnswers.lookup(GENERATE.kind, GENERATE.key(request)) !== undefined;
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

  async generate(requests: ResolvedGenerateRequest[], onProgress?: OnProgress): Promise<GenerateResponse[]> {
    const texts = await this.answer(GENERATE, requests, onProgress);
    // Stored generations too may be tokenized by their task (XLSum's ROUGE): a remote tokenizer fetches them now.
    await this.prepareTokens?.(texts);
    return texts;
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

  private async answer<R, A>(codec: KindCodec<R, A>, requests: R[], onProgress?: OnProgress): Promise<A[]> {
    const keys = requests.map((r) => codec.key(r));
    const firstOfKey = new Map<string, number>();
    keys.forEach((k, i) => {
      if (!firstOfKey.has(k)) firstOfKey.set(k, i);
    });
    const misses: Miss<R>[] = [];
    let fromCache = 0;
    for (const [key, index] of firstOfKey) {
      if (this.runAnswers.lookup(codec.kind, key) !== undefined) fromCache++;
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
    const chunks = cutChunks(misses, codec.together, this.options.minChunk ?? 4, this.options.maxChunk ?? 64);
    let fromOthers = 0;
    const progress = (latest?: number) => onProgress?.(counts.fromCache + counts.computed, firstOfKey.size, latest);
    // A chunk that another live run sharing the cache is computing is put off to the end, when
    // its answers are probably stored; two runs started together thus share the work.
    const deferred: Miss<R>[][] = [];
    const runChunk = async (candidates: Miss<R>[], mayDefer: boolean): Promise<void> => {
      throwIfAborted(this.options.signal);
      // Read again: another run sharing the cache may have answered some meanwhile.
      const slice = candidates.filter((m) => this.runAnswers.lookup(codec.kind, m.key) === undefined);
      const answeredMeanwhile = candidates.length - slice.length;
      counts.fromCache += answeredMeanwhile;
      fromOthers += answeredMeanwhile;
      if (slice.length === 0) {
        progress();
        return;
      }
      if (this.runAnswers.claimsEnabled(this.options.shareWork !== false)) {
        const keys = slice.map((m) => m.key);
        if (mayDefer && this.runAnswers.claimedByOthers(codec.kind, keys) > 0) {
          deferred.push(slice);
          return;
        }
        this.runAnswers.claim(codec.kind, keys);
      }
      const done = new Uint8Array(slice.length);
      const keep = (i: number, answer: A) => {
        if (done[i] === 1) return;
        done[i] = 1;
        counts.computed++;
        if (this.runAnswers.remember(codec.kind, slice[i]!.key, codec.encode(answer))) counts.stored++;
        killPoint("stored");
        killPoint(`stored-${codec.kind}`);
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
          // The inner backend starts no new work once it fires (a remote one: no new HTTP batch).
          this.options.signal,
        )
        .then((answers) => {
          if (answers.length !== slice.length) throw new Error(`internal error: the backend returned ${answers.length} answers for ${slice.length} requests`);
          answers.forEach((answer, i) => keep(i, answer));
        });
      await abortable(computation, this.options.signal);
      progress();
    };
    for (const c of chunks) await runChunk(c, true);
    for (const c of deferred) await runChunk(c, false);
    if (fromOthers > 0) this.options.log?.(`${codec.kind}: ${fromOthers} requests were answered meanwhile by another run sharing the cache`);
    if (misses.length === 0 && firstOfKey.size > 0) onProgress?.(firstOfKey.size, firstOfKey.size);
    return keys.map((key) => codec.decode(this.runAnswers.remembered(codec.kind, key)!));
  }
}
