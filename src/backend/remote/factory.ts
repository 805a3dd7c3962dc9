// `createRemoteBackend`: checks the options, loads the tokenizer, asks every replica who it is
// (identity.ts: which protocol it speaks, the served model's entry, its version), probes that it
// returns prompt log-probabilities, and assembles the backend. Any problem is one line (UserError).

import { createHash } from "node:crypto";
import path from "node:path";
import { canonicalJson } from "../../cache/keys.js";
import type { Backend, BackendDescription, Tokenizer } from "../../api/types.js";
import { UserError } from "../../util/errors.js";
import { sha256File } from "../../util/files.js";
import { loadAnyTokenizer, type TokenizerHandle } from "../tokenizers/load.js";
import { REMOTE_SCORING_SEMANTICS_SEEDS, scoringSemantics } from "../scoringSemantics.js";
import { noPromptLogprobsRefusal, RemoteBackend } from "./backend.js";
import { HttpClient, HttpRefusal } from "./http.js";
import { identifyServer, replicaIdentity, type ConnectionContext } from "./identity.js";
import { protocolFor, SERVER_KINDS, type ServerKind } from "./protocol.js";
import { ServerTokenizer, type ServerTokenizerReport } from "./serverTokenizer.js";

export interface RemoteBackendOptions {
  /** One base URL per replica (`http://host:8000/v1`); calls are spread over them. */
  baseUrls: string[];
  /** The model name the server serves (`model` in its requests). */
  servedModel: string;
  /** The protocol; "auto" (default) asks the server. */
  server?: ServerKind | "auto";
  /**
   * The served model's tokenizer: Hugging Face files (folder, tokenizer.json or tokenizer.model), a
   * GGUF or a vocabulary-only GGUF. Absent: the server's own /tokenize (serverTokenizer.ts).
   */
  tokenizerPath?: string;
  /** Bearer token (read by the caller from the variable `--api-key-env` names; never logged or recorded). */
  apiKey?: string;
  /** HTTP calls in flight at once, over all replicas (default 8). */
  concurrency?: number;
  /** Seconds one HTTP attempt may take (default 600). */
  timeoutSeconds?: number;
  /** Prompts per HTTP call (default 16). */
  promptsPerCall?: number;
  /** Retry schedule (tests shorten it). */
  attempts?: number;
  backoffMs?: number;
  /** Retries and what the server reported, one line each. */
  log?: (line: string) => void;
}

const DEFAULT_CONCURRENCY = 8;
const DEFAULT_TIMEOUT_SECONDS = 600;
const DEFAULT_PROMPTS_PER_CALL = 16;
/** Tokens one call carries at most (prompts plus caps): keeps a call's answer and the server's batch moderate. */
const TOKENS_PER_CALL = 32_768;

/** Checks the flags without touching the network; the problems, one line each. */
export function remoteOptionProblems(options: RemoteBackendOptions): UserError[] {
  const problems: UserError[] = [];
  if (options.baseUrls.length === 0) problems.push(new UserError("usage", "--backend openai needs --base-url URL (the server's API root, e.g. http://vllm:8000/v1); repeat it for several replicas."));
  for (const url of options.baseUrls) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
      problems.push(new UserError("usage", `--base-url ${url} is not an http(s) URL; pass the server's API root, e.g. http://vllm:8000/v1.`));
    }
  }
  if (options.servedModel.trim() === "") problems.push(new UserError("usage", "--backend openai needs --served-model NAME (the model name the server serves, as in its /v1/models)."));
  if (options.server !== undefined && options.server !== "auto" && !SERVER_KINDS.includes(options.server)) {
    problems.push(new UserError("usage", `--server ${String(options.server)} is not one of ${SERVER_KINDS.join(", ")}, auto.`));
  }
  return problems;
}

/** What results record of the server's tokenizer: its EOS and class, and a hash of all it reported (a chat template may be long). */
function serverTokenizerRecord(report: ServerTokenizerReport): Record<string, unknown> {
  return {
    eos: report.eos,
    ...(typeof report.info?.tokenizer_class === "string" ? { tokenizerClass: report.info.tokenizer_class } : {}),
    infoSha256: createHash("sha256").update(canonicalJson(report.info)).digest("hex"),
  };
}

/** Connects to the server and returns a Backend; throws UserError with one line for any problem. */
export async function createRemoteBackend(options: RemoteBackendOptions): Promise<Backend> {
  const problems = remoteOptionProblems(options);
  if (problems.length > 0) throw problems[0]!;
  const tokenizerPath = options.tokenizerPath;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const httpOptions = {
    baseUrls: options.baseUrls,
    timeoutMs: timeoutSeconds * 1000,
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    ...(options.attempts !== undefined ? { attempts: options.attempts } : {}),
    ...(options.backoffMs !== undefined ? { backoffMs: options.backoffMs } : {}),
    ...(options.log ? { log: options.log } : {}),
  };
  const http = new HttpClient(httpOptions);
  const context: ConnectionContext = { apiKey: Boolean(options.apiKey), timeoutSeconds };

  const local: TokenizerHandle | undefined = tokenizerPath !== undefined ? await loadAnyTokenizer(tokenizerPath) : undefined;
  try {
    // A folder of Hugging Face files is identified by its files' hashes (its description lists them).
    const tokenizerSha256 = local === undefined ? undefined : local.describe().files ? createHash("sha256").update(canonicalJson(local.describe().files)).digest("hex") : await sha256File(tokenizerPath!);
    // Every replica must report the same model and server: one answer for all, or a refusal.
    const { entry, kind, report } = await replicaIdentity(httpOptions, options.servedModel, options.server ?? "auto", context);
    const protocol = protocolFor(kind);
    // No file: the server's own tokenizer, refused now (one line) where it cannot serve the reference.
    const remote = local === undefined ? await ServerTokenizer.connect(http, options.servedModel, kind, concurrency) : undefined;
    const tokenizer: Tokenizer = local ?? remote!;
    // The reference's max_length: the GGUF's training context; Hugging Face files (and the server's
    // tokenizer) do not state it, and then the served model's max_model_len (vLLM serves the
    // model's max_position_embeddings) is it.
    const servedLength = typeof entry.max_model_len === "number" && entry.max_model_len > 2 ? entry.max_model_len : 0;
    const maxLength = tokenizer.trainContextSize || servedLength;
    if (!(maxLength > 0)) {
      throw new UserError(
        "usage",
        tokenizerPath !== undefined
          ? `--tokenizer ${tokenizerPath} does not state the model's context length and the server's /v1/models gives no max_model_len; pass the model's GGUF (or its vocabulary-only GGUF) as --tokenizer instead.`
          : "The server's /v1/models gives no max_model_len, the reference's max_length; pass the model's GGUF (or its vocabulary-only GGUF) as --tokenizer, which states it.",
      );
    }
    // The server takes at most `max_model_len` tokens: a scored input plus its last continuation
    // token plus the one token it generates, or a generation's prompt plus its cap. So a request
    // may use two cells fewer than that (the run refuses longer ones before any work).
    const served = servedLength > 0 ? servedLength - 2 : maxLength;
    // The served model's identity (no file to hash): a sha256 over its name, what the server
    // reports of it and of itself, and the tokenizer: its bytes, or what the server reports of it.
    const tokenizerIdentity = remote ? { serverTokenizer: remote.report } : { tokenizerSha256 };
    const description: BackendDescription = {
      engine: `inference server (${kind})`,
      engineVersion: typeof report.version === "string" ? `${kind} ${report.version}` : kind,
      // Not a file: the served model's name (left out of cache keys like a path).
      modelPath: `${options.servedModel} (served)`,
      modelSha256: createHash("sha256").update(canonicalJson({ servedModel: options.servedModel, serverModel: entry, serverReport: report, ...tokenizerIdentity })).digest("hex"),
      contextSize: Math.min(maxLength, served),
      batchSize: options.promptsPerCall ?? DEFAULT_PROMPTS_PER_CALL,
      threads: concurrency,
      kvCacheType: "server",
      flashAttention: false,
      gpu: "server",
      server: kind,
      servedModel: options.servedModel,
      serverModel: entry,
      serverReport: report,
      ...(tokenizerPath !== undefined ? { tokenizerFile: path.basename(tokenizerPath), tokenizerSha256 } : { serverTokenizer: serverTokenizerRecord(remote!.report) }),
      maxLength,
      logprobMethod: kind === "sglang" ? "/generate input_token_logprobs" : kind === "vllm" ? "/v1/completions prompt_logprobs" : "/v1/completions echo + logprobs",
      tokenizer: tokenizer.describe(),
      scoringSemantics: scoringSemantics(REMOTE_SCORING_SEMANTICS_SEEDS).version,
    };
    const backend = new RemoteBackend({
      http,
      protocol,
      servedModel: options.servedModel,
      tokenizer,
      detokenize: (tokens: readonly number[]) => (local ? local.detokenize(tokens) : remote!.detokenize(tokens)),
      ...(remote ? { prefetch: (texts: Iterable<string>) => remote.prefetch(texts) } : {}),
      maxLength,
      contextSize: Math.min(maxLength, served),
      concurrency,
      promptsPerCall: options.promptsPerCall ?? DEFAULT_PROMPTS_PER_CALL,
      tokensPerCall: TOKENS_PER_CALL,
      description,
      dispose: async () => {
        await local?.dispose();
      },
    });
    // The first request: a server that returns no prompt log-probabilities is refused now,
    // before any work, never scored at chance.
    await backend.prepareTokens?.(["Hello"]);
    const probe = [tokenizer.eosId, ...tokenizer.tokenize("Hello")];
    try {
      await backend.score([{ tokens: probe, firstScored: 1 }]);
    } catch (error) {
      if (error instanceof HttpRefusal) throw noPromptLogprobsRefusal({ protocol, http }, `its scoring request was refused (HTTP ${error.status}: ${error.detail})`);
      throw error;
    }
    options.log?.(`server: ${description.engineVersion}, model ${options.servedModel}, ${http.replicaCount} replica(s), ${concurrency} call(s) in flight${remote ? ", the server's own tokenizer (/tokenize)" : ""}`);
    return backend;
  } catch (error) {
    await local?.dispose();
    throw error;
  }
}

/** What `tokenize` needs to reach a server's own tokenizer. */
export interface ServerTokenizerOptions {
  baseUrls: string[];
  servedModel: string;
  server?: ServerKind | "auto";
  apiKey?: string;
}

/**
 * The server's own tokenizer (vLLM's /tokenize), checked as `run` checks it (the EOS reported,
 * one line otherwise), for `rakuten-eval tokenize` without a tokenizer file.
 */
export async function connectServerTokenizer(options: ServerTokenizerOptions): Promise<ServerTokenizer> {
  const problems = remoteOptionProblems({ baseUrls: options.baseUrls, servedModel: options.servedModel, ...(options.server ? { server: options.server } : {}) });
  if (problems.length > 0) throw problems[0]!;
  const http = new HttpClient({ baseUrls: options.baseUrls, timeoutMs: DEFAULT_TIMEOUT_SECONDS * 1000, ...(options.apiKey ? { apiKey: options.apiKey } : {}) });
  const { kind } = await identifyServer(http, options.server ?? "auto", { apiKey: Boolean(options.apiKey), timeoutSeconds: DEFAULT_TIMEOUT_SECONDS });
  return ServerTokenizer.connect(http, options.servedModel, kind, DEFAULT_CONCURRENCY);
}
