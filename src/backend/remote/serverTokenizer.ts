// The served model's own tokenizer, over HTTP, for `--backend openai` without `--tokenizer`.
//
// Token ids are read synchronously everywhere (the planner, the context check, generation caps,
// XLSum's ROUGE), while the server answers asynchronously. So ids are fetched ahead of use:
// `prefetch(texts)` POSTs the server's `/tokenize` (vLLM; SGLang documents the same shape) once
// per distinct text, and `tokenize(text)` answers from that memo, throwing on a text nobody
// fetched (a bug: every text a run encodes is known after planning, see src/run/tokenPreparation.ts).
//
// What the servers document (server root, not /v1):
// - POST /tokenize {model, prompt, add_special_tokens} -> {tokens, count, max_model_len} (vLLM, SGLang);
// - POST /detokenize {model, tokens} -> {prompt} (vLLM) or {text} (SGLang);
// - GET /tokenizer_info -> the tokenizer's init kwargs (tokenizer_config.json: eos_token, ...)
//   and tokenizer_class, only on vLLM started with --enable-tokenizer-info-endpoint.
// The reference needs the EOS token (an empty context is scored after [EOS]; MGSM stops at
// `tokenizer.eos_token`); where the server does not report it, the run is refused.

import type { Tokenizer, TokenizerDescription } from "../../api/types.js";
import { UserError } from "../../util/errors.js";
import { HttpRefusal, type HttpClient } from "./http.js";
import type { ServerKind } from "./protocol.js";
import { runPool } from "./schedule.js";

const PASS_TOKENIZER = "pass --tokenizer DIR (the served model's Hugging Face tokenizer folder, with tokenizer.json or tokenizer.model; or its GGUF)";

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function tokenIds(value: unknown): number[] | null {
  if (!isRecord(value) || !Array.isArray(value.tokens)) return null;
  return value.tokens.every((t) => Number.isInteger(t) && (t as number) >= 0) ? (value.tokens as number[]) : null;
}

/** One line, for a refusal: why a call failed. */
function failure(error: unknown): string {
  if (error instanceof HttpRefusal) return `HTTP ${error.status}: ${error.detail}`;
  return error instanceof Error ? error.message : String(error);
}

/** What the server reports of its tokenizer: part of the served model's identity (cache keys). */
export interface ServerTokenizerReport {
  eos: { text: string; id: number };
  /** /tokenizer_info's answer, when the server has that endpoint. */
  info: Record<string, unknown> | null;
}

export class ServerTokenizer implements Tokenizer {
  private readonly memo = new Map<string, number[]>();
  /** Hugging Face files state no training context: the run takes the server's max_model_len. */
  readonly trainContextSize = 0;
  readonly eosId: number;

  private constructor(
    private readonly http: HttpClient,
    private readonly servedModel: string,
    private readonly concurrency: number,
    readonly report: ServerTokenizerReport,
  ) {
    this.eosId = report.eos.id;
    // (connect's first instance, which looks for the EOS, has none yet.)
    if (report.eos.id >= 0) this.memo.set(report.eos.text, [report.eos.id]);
  }

  /**
   * Checks that the server tokenizes and reports its EOS token, before any work; a server that
   * cannot is refused in one line (UserError) naming the fix.
   */
  static async connect(http: HttpClient, servedModel: string, kind: ServerKind, concurrency: number): Promise<ServerTokenizer> {
    const tokenizer = new ServerTokenizer(http, servedModel, concurrency, { eos: { text: "", id: -1 }, info: null });
    const problem = (why: string, fix = PASS_TOKENIZER) => new UserError("usage", `Without --tokenizer the server's own tokenizer makes the token ids, but ${why}; ${fix}.`);
    // Is there a /tokenize at all? (One attempt: a missing endpoint is a 404 at once.)
    try {
      await tokenizer.fetch("Hello", 1);
    } catch (error) {
      throw problem(`its /tokenize failed (${failure(error)})${kind === "openai-echo" ? " (an OpenAI-compatible endpoint need not have one)" : ""}`);
    }
    let info: Record<string, unknown> | null = null;
    try {
      const answer = await http.call("root", "/tokenizer_info", undefined, 1);
      info = isRecord(answer) ? answer : null;
    } catch {
      info = null;
    }
    const eosText = info && typeof info.eos_token === "string" && info.eos_token !== "" ? info.eos_token : null;
    if (eosText === null) {
      const why = "the reference harnesses need the model's EOS token (an empty context is scored after it; MGSM stops at it)";
      throw kind === "sglang"
        ? problem(`${why} and SGLang does not report it`)
        : problem(`${why} and the server does not report it (vLLM reports it at /tokenizer_info when started with --enable-tokenizer-info-endpoint)`, `restart vLLM with --enable-tokenizer-info-endpoint, or ${PASS_TOKENIZER}`);
    }
    const ids = await tokenizer.fetch(eosText);
    if (ids.length !== 1) throw problem(`its /tokenize makes ${ids.length} tokens of the EOS token ${JSON.stringify(eosText)}, not one`);
    const ready = new ServerTokenizer(http, servedModel, concurrency, { eos: { text: eosText, id: ids[0]! }, info });
    ready.memo.set("Hello", tokenizer.memo.get("Hello")!);
    return ready;
  }

  /** The server's ids of one text, as HF `encode(text, add_special_tokens=False)`. */
  private async fetch(text: string, attempts?: number): Promise<number[]> {
    const answer = await this.http.call("root", "/tokenize", { model: this.servedModel, prompt: text, add_special_tokens: false }, attempts);
    const ids = tokenIds(answer);
    if (ids === null) throw new Error(`the server's /tokenize answered without a list of token ids for ${JSON.stringify(text.slice(0, 40))}`);
    this.memo.set(text, ids);
    return ids;
  }

  /** Fetches the ids of every text not yet known, `concurrency` calls at a time; the number fetched. */
  async prefetch(texts: Iterable<string>): Promise<number> {
    const missing = [...new Set(texts)].filter((text) => !this.memo.has(text));
    await runPool(missing, this.concurrency, async (text) => {
      await this.fetch(text);
    });
    return missing.length;
  }

  tokenize(text: string): number[] {
    const ids = this.memo.get(text);
    if (ids === undefined) throw new Error(`internal error: the server's tokenizer was not asked for ${JSON.stringify(text.slice(0, 40))} before its ids were needed (prepareTokens)`);
    return ids.slice();
  }

  /** The text of ids, as the server decodes them (HF `decode`). */
  async detokenize(tokens: readonly number[]): Promise<string> {
    const answer = await this.http.call("root", "/detokenize", { model: this.servedModel, tokens });
    // vLLM answers {prompt}, SGLang {text}.
    const text = isRecord(answer) ? (typeof answer.prompt === "string" ? answer.prompt : answer.text) : undefined;
    if (typeof text !== "string") throw new Error("the server's /detokenize answered without a text");
    return text;
  }

  eosText(): string {
    return this.report.eos.text;
  }

  describe(): TokenizerDescription {
    return { vocabulary: "server", bos: false, specialTokensInText: "parsed", source: "server" };
  }
}
