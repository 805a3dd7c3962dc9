// The plain data that flows between tasks, the evaluator and backends.
// Tasks know nothing of models; backends know nothing of tasks. Everything here
// is JSON-serialisable so that requests and responses can be cached, written to
// disk and read back.

/**
 * How a (context, continuation) pair becomes tokens. The two reference
 * harnesses differ, and the difference changes scores:
 * - `separate` (Stability-AI JP harness, `BaseLM.loglikelihood`): context and
 *   continuation are encoded on their own, no BOS; an empty context is [EOS].
 * - `encode_pair` (EleutherAI b281b09 `_encode_pair`): trailing whitespace of
 *   the context moves to the continuation, the whole string is encoded and
 *   split at the context's token length; an empty context is [EOS].
 */
export type TokenizationRule = "separate" | "encode_pair";

export interface LoglikelihoodRequest {
  type: "loglikelihood";
  context: string;
  continuation: string;
  tokenization: TokenizationRule;
}

/** A stop sequence: literal text, or the model's EOS token (MGSM's `tokenizer.eos_token`). */
export type StopSequence = string | { eosToken: true };

/**
 * The generation cap. Some caps depend on the model's tokenizer (JSQuAD: the
 * longest gold answer in model tokens; XLSum: summary tokens + 10), so tasks
 * state the rule and the evaluator resolves it with the backend's tokenizer.
 */
export type MaxTokensRule =
  | { kind: "fixed"; tokens: number }
  | { kind: "longestInModelTokens"; texts: string[]; extra: number };

export interface GenerateRequest {
  type: "generate";
  context: string;
  until: StopSequence[];
  maxTokens: MaxTokensRule;
}

export type TaskRequest = LoglikelihoodRequest | GenerateRequest;

/** A generate request whose cap and stops were resolved against a model. */
export interface ResolvedGenerateRequest {
  context: string;
  /** Stop strings, the EOS placeholder replaced by the model's EOS text. */
  until: string[];
  maxTokens: number;
}

export interface LoglikelihoodResponse {
  /** Sum of log-probabilities (natural log) of the continuation tokens. */
  logprob: number;
  /** Whether every continuation token is the argmax at its position. */
  isGreedy: boolean;
}

export type GenerateResponse = string;

export type TaskResponse = LoglikelihoodResponse | GenerateResponse;

/** What a task may ask of the model's tokenizer when scoring (XLSum's ROUGE-2 pieces). */
export interface ScoringTools {
  /** Token ids of `text`, encoded as `tokenizer.tokenize()` would split it (no special tokens). */
  tokenize?: (text: string) => number[];
}

/**
 * A model's tokenizer as both reference harnesses use it: no BOS, and special-token text
 * ("</s>") parsed into the special token, as HF `encode(s, add_special_tokens=False)` does.
 */
export interface Tokenizer {
  /** Encode without special tokens added, as `tokenizer.encode(s, add_special_tokens=False)`. */
  tokenize(text: string): number[];
  /** The text of the EOS token (for example `</s>`). */
  eosText(): string;
  readonly eosId: number;
  /** The model's training context: the reference's `max_length`. */
  readonly trainContextSize: number;
  /** The vocabulary and the encoding rule; part of the backend description (cache keys). */
  describe(): TokenizerDescription;
}

export interface TokenizerDescription {
  /** The vocabulary type llama.cpp reports ("spm", "bpe", ...), or the HF file's model ("tokenizer.json Unigram", "tokenizer.model bpe"). */
  vocabulary: string;
  bos: false;
  specialTokensInText: "parsed";
  /**
   * Who made the token ids: absent for the GGUF's vocabulary through llama.cpp (so the cache keys
   * of such runs are those of earlier versions), "hf" for the model's own tokenizer files
   * (`--hf-tokenizer`), "server" for an inference server's /tokenize.
   */
  source?: "hf" | "server";
  /** `source: "hf"`: the tokenizer's files by name, with their sha256. */
  files?: Record<string, string>;
}

/** Where a run's token ids came from, as results record it. */
export type TokenizerSource = "gguf" | "hf" | "server";

export function tokenizerSourceOf(description: TokenizerDescription | undefined): TokenizerSource {
  return description?.source ?? "gguf";
}

/**
 * A tokenizer on its own, without a model: the ids of text as the reference makes them (HF
 * `encode(text, add_special_tokens=False)`), the text of ids, and the pieces to show them by.
 */
export interface TextTokenizer {
  tokenize(text: string): number[];
  detokenize(tokens: readonly number[]): string;
  eosText(): string;
  readonly eosId: number;
  /** Ids are below this. */
  readonly vocabularySize: number;
  /** The piece an id stands for ("▁Question", "<0xE3>"), for showing tokens to a person. */
  pieceOf(id: number): string;
  describe(): TokenizerDescription;
}

/** How much a backend can take in one evaluation (see `Backend.limits`). */
export interface BackendLimits {
  /** The reference's `max_length` (the model's training context): inputs are cut from the left to it. */
  maxLength: number;
  /** The most context cells one evaluation may hold: a fixed context size, else `maxLength`. */
  contextSize: number;
}

/**
 * Called once per request as soon as its answer is final, before the call returns (in any
 * order; `index` is the request's position in the call). A caching layer stores each answer
 * here, so that a process killed mid-call keeps everything that finished.
 */
export type OnResult<Answer> = (index: number, answer: Answer) => void;

/**
 * Progress of one call: `done` of `total` (distinct) requests answered. `latest`, when given,
 * is the position in the call's request array of a request just answered, so that a caller
 * can say what it belongs to (the backend itself knows nothing of tasks).
 */
export type OnProgress = (done: number, total: number, latest?: number) => void;

/**
 * A model's answers to requests. `signal` stops a call (Ctrl-C, SIGTERM, SIGHUP; the signal's
 * name is the abort reason, see src/backend/interruption.ts): once it fires, the backend starts
 * no new work (no queued call, no new HTTP batch); work already under way may finish, and each
 * answer it brings is still reported through `onResult`, so that it is kept. The call then
 * rejects with `InterruptedError`, or returns if nothing was left to start.
 */
export interface Backend {
  loglikelihood(
    requests: LoglikelihoodRequest[],
    onProgress?: OnProgress,
    onResult?: OnResult<LoglikelihoodResponse>,
    signal?: AbortSignal,
  ): Promise<LoglikelihoodResponse[]>;
  generate(requests: ResolvedGenerateRequest[], onProgress?: OnProgress, onResult?: OnResult<GenerateResponse>, signal?: AbortSignal): Promise<GenerateResponse[]>;
  /** Encode without special tokens, as `tokenizer.encode(s, add_special_tokens=False)`. */
  tokenize(text: string): number[];
  /** The text of the EOS token (for example `</s>`). */
  eosText(): string;
  /**
   * Makes `tokenize` able to answer these texts (optional). A backend whose tokenizer is remote (a
   * server's /tokenize) fetches their ids here, so that `tokenize` stays synchronous; it is called
   * once after planning with every text the run encodes, and `tokenize` of other texts may throw.
   */
  prepareTokens?(texts: readonly string[]): Promise<void>;
  /** Settings that can change a number, for the results record and cache keys. */
  describe(): BackendDescription;
  dispose(): Promise<void>;
  /** Work counters since the backend was created, for benchmarks and progress reports (optional). */
  stats?(): BackendStats;
  /**
   * The context limits, for checking requests before any model call; absent when the
   * backend has none (a fake). What a request costs in cells: `src/backend/planning/layout.ts`.
   */
  limits?(): BackendLimits;
}

/** What a backend has done so far; every count is cumulative over its calls. */
export interface BackendStats {
  /** Tokens the requests hold when each is evaluated alone (scoring inputs and generation prompts). */
  requestTokens: number;
  /** Tokens actually run through the model (cache reuse skips the rest), generated tokens included. */
  tokensEvaluated: number;
  /** The fewest tokens that evaluating every request needs: the nodes of a prefix trie over the requests' tokens. */
  prefixTrieTokens: number;
  /** Positions whose next-token distribution was read (several candidate tokens at one position count once). */
  scoredPositions: number;
  /** Time spent reading scores out of the engine after its forward passes (0 unless the backend is instrumented). */
  scoreExtractionMs: number;
  /** Wall time inside the engine's evaluation calls, forward passes and score extraction (0 unless the backend is instrumented). */
  evaluationMs: number;
  /** Tokens produced by generation. */
  generatedTokens: number;
  /** Sequences evaluated side by side in one engine context. */
  sequences: number;
  /** Engine decode calls, where the backend counts them (several sequences merged into one call count once). */
  decodes?: number;
  /**
   * Generation steps after each prompt's first (one new token in, one out) and the wall time
   * they took in the engine: the generation rate without the prompts' prefill (instrumented
   * backends only; absent otherwise).
   */
  generationSteps?: { count: number; ms: number };
}

export interface BackendDescription {
  engine: string;
  engineVersion: string;
  modelPath: string;
  modelSha256: string;
  contextSize: number;
  batchSize: number;
  threads: number;
  kvCacheType: string;
  flashAttention: boolean;
  gpu: string | false;
  [key: string]: unknown;
}
