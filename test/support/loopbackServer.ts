// A loopback inference server for tests: speaks vLLM's OpenAI-compatible `/v1/completions`
// (prompt_logprobs, echo + logprobs), SGLang's native `/generate`, or a llama-server-like
// endpoint that returns no prompt log-probabilities, with the response shapes of those servers'
// documentation. Its numbers come from node-llama-cpp used directly on the tokens it is sent
// (a fresh sequence per prompt, the single-pass logits path: logit − argmax logit − ln Σ exp),
// so the remote backend's scores can be checked against the in-process backend's.
// Faults can be injected per call: a dropped connection, a 500, a 429 with Retry-After, a
// response slower than the client's timeout; choices are listed out of order.
// The vLLM kind also tokenizes (`/tokenize`, `/detokenize`, and `/tokenizer_info` as vLLM started
// with --enable-tokenizer-info-endpoint) with the model's GGUF vocabulary, unless told not to.

import http from "node:http";
import type { AddressInfo } from "node:net";
import { getLlama, LlamaLogLevel, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaModel, type Token } from "node-llama-cpp";
import { loadAnyTokenizer, type TokenizerHandle } from "../../src/backend/tokenizers/load.js";

/**
 * As a server started with a context two tokens longer than the model's 2048 (vLLM
 * `--max-model-len 2050`): a full 2048-token window plus its last continuation token plus the
 * generated token fit. Longer inputs are refused with HTTP 400, as vLLM does.
 */
export const MAX_MODEL_LEN = 2050;

export type LoopbackKind = "vllm" | "sglang" | "no-prompt-logprobs";

export type Fault = "drop" | "500" | "429" | "slow" | null;

export interface LoopbackOptions {
  kind: LoopbackKind;
  servedModel: string;
  /** The fault for the n-th POST (1-based), or null. */
  faultFor?: (n: number) => Fault;
  /** How long a "slow" answer takes (ms). */
  slowMs?: number;
  /** Retry-After seconds sent with a 429. */
  retryAfterSeconds?: number;
  /** vLLM: serve /tokenize and /detokenize (default true), and /tokenizer_info (default true). */
  tokenize?: boolean;
  tokenizerInfo?: boolean;
  /** The served context (default MAX_MODEL_LEN): /v1/models reports it, longer requests get HTTP 400. */
  maxModelLen?: number;
}

interface PositionLogprobs {
  /** log P(tokens[p] | tokens[..p)) for p ≥ 1 (index p); index 0 unused. */
  own: number[];
  /** The argmax token at p and its log-probability. */
  top: [number, number][];
}

export class LoopbackServer {
  /** Every POST received (faulty ones included), /tokenize and /detokenize aside. */
  posts = 0;
  /** /tokenize and /detokenize calls answered. */
  tokenizeCalls = 0;
  detokenizeCalls = 0;
  /** Per answered prompt (a 200 sent whole): the prompt's token ids joined by commas, with how many times. */
  readonly answered = new Map<string, number>();
  private queue: Promise<unknown> = Promise.resolve();
  private cachedTokens: number[] = [];
  private cachedOwn: number[] = [];
  private cachedTop: [number, number][] = [];
  private server!: http.Server;
  url = "";

  private constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly sequence: LlamaContextSequence,
    private readonly options: LoopbackOptions,
    private readonly vocabulary: TokenizerHandle,
  ) {}

  static async start(modelPath: string, options: LoopbackOptions): Promise<LoopbackServer> {
    const llama = await getLlama({ gpu: false, build: "never", maxThreads: 1, logLevel: LlamaLogLevel.error });
    const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
    const context = await model.createContext({ contextSize: MAX_MODEL_LEN, batchSize: 512, threads: 1, flashAttention: false, experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32" });
    const server = new LoopbackServer(llama, model, context, context.getSequence(), options, await loadAnyTokenizer(modelPath));
    await server.listen();
    return server;
  }

  private listen(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        this.handle(req, res, Buffer.concat(chunks).toString("utf8")).catch((error: unknown) => {
          if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: { message: String(error) } }));
        });
      });
    });
    return new Promise((resolve) => this.server.listen(0, "127.0.0.1", () => {
      this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
      resolve();
    }));
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, text: string): Promise<void> {
    const url = req.url ?? "";
    const kind = this.options.kind;
    if (req.method === "GET") {
      if (url === "/v1/models") {
        return this.json(res, 200, {
          object: "list",
          data: [{ id: this.options.servedModel, object: "model", created: Date.now(), owned_by: kind, root: "stories260K", parent: null, max_model_len: this.maxModelLen, permission: [{ id: `modelperm-${Math.random()}`, created: Date.now() }] }],
        });
      }
      if (url === "/version" && kind === "vllm") return this.json(res, 200, { version: "0.0.0-loopback" });
      if (url === "/tokenizer_info" && this.tokenizes && this.options.tokenizerInfo !== false) {
        // As vLLM's: the tokenizer's init kwargs (tokenizer_config.json), special tokens as their text.
        return this.json(res, 200, { tokenizer_class: "LlamaTokenizerFast", add_bos_token: true, add_eos_token: false, eos_token: this.vocabulary.eosText(), model_max_length: MAX_MODEL_LEN });
      }
      if (url === "/get_model_info" && kind === "sglang") return this.json(res, 200, { model_path: "stories260K", tokenizer_path: "stories260K", is_generation: true });
      if (url === "/get_server_info" && kind === "sglang") return this.json(res, 200, { version: "0.0.0-loopback" });
      return this.json(res, 404, { detail: "Not Found" });
    }
    if (url === "/tokenize" || url === "/detokenize") return this.tokenizes ? this.tokenizeCall(url, res, text) : this.json(res, 404, { detail: "Not Found" });
    this.posts++;
    const fault = this.options.faultFor?.(this.posts) ?? null;
    if (fault === "drop") {
      req.socket.destroy();
      return;
    }
    if (fault === "500") return this.json(res, 500, { error: { message: "injected internal error" } });
    if (fault === "429") return this.json(res, 429, { error: { message: "injected rate limit" } }, { "retry-after": String(this.options.retryAfterSeconds ?? 1) });
    const body = JSON.parse(text) as Record<string, unknown>;
    const inputs = (body.prompt ?? body.input_ids) as number[][];
    const params = body.sampling_params as Record<string, unknown>[] | Record<string, unknown> | undefined;
    const tooLong = inputs.findIndex((tokens, i) => {
      const cap = body.max_tokens ?? (Array.isArray(params) ? params[i]?.max_new_tokens : params?.max_new_tokens) ?? 16;
      return tokens.length + Number(cap) > this.maxModelLen;
    });
    if (tooLong >= 0) return this.json(res, 400, { object: "error", message: `This model's maximum context length is ${this.maxModelLen} tokens. However, you requested more tokens (prompt ${tooLong}).`, type: "BadRequestError", code: 400 });
    let answer: { body: unknown; prompts: number[][] };
    // A client that gave up (timed out) is not computed for, as a real server aborts the request.
    const gone = (): boolean => res.destroyed || req.socket.destroyed;
    if (url === "/v1/completions" && kind !== "sglang") answer = await this.completions(body, gone);
    else if (url === "/generate" && kind === "sglang") answer = await this.generate(body, gone);
    else return this.json(res, 404, { detail: "Not Found" });
    if (fault === "slow") await new Promise((resolve) => setTimeout(resolve, this.options.slowMs ?? 2000));
    if (res.destroyed || req.socket.destroyed) return;
    this.json(res, 200, answer.body);
    // Counted once the whole answer went out (a client that timed out never sees it).
    res.on("finish", () => {
      for (const prompt of answer.prompts) this.answered.set(prompt.join(","), (this.answered.get(prompt.join(",")) ?? 0) + 1);
    });
  }

  private get maxModelLen(): number {
    return this.options.maxModelLen ?? MAX_MODEL_LEN;
  }

  private get tokenizes(): boolean {
    return this.options.kind === "vllm" && this.options.tokenize !== false;
  }

  /** vLLM's /tokenize {model, prompt, add_special_tokens} -> {tokens, count, max_model_len} and /detokenize {model, tokens} -> {prompt}. */
  private tokenizeCall(url: string, res: http.ServerResponse, text: string): void {
    const body = JSON.parse(text) as { model?: unknown; prompt?: unknown; add_special_tokens?: unknown; tokens?: unknown };
    if (body.model !== this.options.servedModel) return this.json(res, 404, { object: "error", message: `The model \`${String(body.model)}\` does not exist.`, type: "NotFoundError", code: 404 });
    if (url === "/tokenize") {
      if (typeof body.prompt !== "string") return this.json(res, 400, { object: "error", message: "prompt must be a string", type: "BadRequestError", code: 400 });
      this.tokenizeCalls++;
      // add_special_tokens (vLLM's default true) puts BOS in front, as HF encode does.
      const tokens = [...(body.add_special_tokens === false ? [] : [1]), ...this.vocabulary.tokenize(body.prompt)];
      return this.json(res, 200, { tokens, count: tokens.length, max_model_len: this.maxModelLen, token_strs: null });
    }
    if (!Array.isArray(body.tokens)) return this.json(res, 400, { object: "error", message: "tokens must be a list", type: "BadRequestError", code: 400 });
    this.detokenizeCalls++;
    return this.json(res, 200, { prompt: this.vocabulary.detokenize(body.tokens as number[]) });
  }

  /**
   * Prompt log-probabilities of `tokens` (every position from 1 on) and the greedy token after
   * the prompt. Like vLLM's prefix cache, the sequence keeps the previous prompt's KV cache
   * and its per-position answers: only positions whose next token differs are evaluated again.
   */
  private logprobs(tokens: number[]): Promise<PositionLogprobs & { next: number }> {
    return this.serial(async () => {
      let shared = 0;
      while (shared < Math.min(tokens.length, this.cachedTokens.length) && tokens[shared] === this.cachedTokens[shared]) shared++;
      // Positions p < shared − 1 predict the same next token as before; evaluate from there on.
      const reuse = Math.max(0, Math.min(shared - 1, tokens.length - 1, this.sequence.nextTokenIndex));
      await this.sequence.eraseContextTokenRanges([{ start: reuse, end: this.sequence.nextTokenIndex }]);
      const outputs = await this.sequence.controlledEvaluate(
        tokens.slice(reuse).map((token, k) => {
          const target = tokens[reuse + k + 1];
          return [token as Token, { generateNext: { token: true, ...(target !== undefined ? { logits: { filter: { tokens: [target as Token], includeSelected: true } } } : {}), totalLogitWeight: true } }];
        }),
      );
      const own = this.cachedOwn.slice(0, reuse + 1);
      const top = this.cachedTop.slice(0, reuse + 1);
      own[0] = NaN;
      top[0] = [-1, NaN];
      let next = -1;
      for (let k = 0; k < outputs.length; k++) {
        const out = outputs[k]!.next!;
        const argmax = out.token!;
        const target = tokens[reuse + k + 1];
        if (target === undefined) {
          next = argmax;
          break;
        }
        const logTotal = Math.log(out.totalLogitWeight!);
        own[reuse + k + 1] = out.logits!.get(target as Token)! - out.logits!.get(argmax)! - logTotal;
        top[reuse + k + 1] = [argmax, -logTotal];
      }
      this.cachedTokens = tokens.slice();
      this.cachedOwn = own;
      this.cachedTop = top;
      return { own, top, next };
    });
  }

  /** Greedy tokens after `prompt`, stopping after a stop id or `max` tokens (EOS does not stop: ignore_eos). */
  private greedy(prompt: number[], max: number, stopIds: number[]): Promise<number[]> {
    return this.serial(async () => {
      await this.sequence.clearHistory();
      this.cachedTokens = [];
      const generated: number[] = [];
      if (max <= 0) return generated;
      for await (const token of this.sequence.evaluate(prompt as Token[], { temperature: 0, yieldEogToken: true })) {
        generated.push(token);
        if (stopIds.includes(token) || generated.length >= max) break;
      }
      return generated;
    });
  }

  private async completions(body: Record<string, unknown>, gone: () => boolean): Promise<{ body: unknown; prompts: number[][] }> {
    const prompts = body.prompt as number[][];
    const choices: unknown[] = [];
    for (let index = 0; index < prompts.length; index++) {
      if (gone()) throw new Error("client gone");
      const tokens = prompts[index]!;
      const maxTokens = Number(body.max_tokens ?? 16);
      const stopIds = (body.stop_token_ids as number[] | undefined) ?? [];
      const scoring = body.prompt_logprobs !== undefined || body.echo === true;
      const scores = scoring && this.options.kind === "vllm" ? await this.logprobs(tokens) : undefined;
      const generated = scores ? [scores.next] : await this.greedy(tokens, scoring ? 1 : maxTokens, scoring ? [] : stopIds);
      const finishOnStop = generated.length > 0 && stopIds.includes(generated[generated.length - 1]!);
      const choice: Record<string, unknown> = {
        index,
        text: this.model.detokenize(generated as Token[], true),
        finish_reason: finishOnStop ? "stop" : "length",
        stop_reason: finishOnStop ? generated[generated.length - 1] : null,
        logprobs: null,
      };
      const asText = (id: number): string => (body.return_tokens_as_token_ids ? `token_id:${id}` : this.model.detokenize([id as Token], true));
      if (scores && body.prompt_logprobs !== undefined) {
        const { own, top } = scores;
        choice.prompt_logprobs = tokens.map((token, p) => {
          if (p === 0) return null;
          const entry: Record<string, unknown> = { [String(token)]: { logprob: own[p], rank: top[p]![0] === token ? 1 : 2, decoded_token: asText(token) } };
          if (top[p]![0] !== token) entry[String(top[p]![0])] = { logprob: top[p]![1], rank: 1, decoded_token: asText(top[p]![0]) };
          return entry;
        });
      }
      if (scores && body.echo === true) {
        const { own, top } = scores;
        choice.logprobs = {
          tokens: [...tokens, ...generated].map(asText),
          token_logprobs: [null, ...own.slice(1), 0],
          top_logprobs: [null, ...top.slice(1).map(([id, lp]) => ({ [asText(id)]: lp })), {}],
          text_offset: [],
        };
      } else if (!scoring && body.logprobs !== undefined && this.options.kind === "vllm") {
        choice.logprobs = { tokens: generated.map(asText), token_logprobs: generated.map(() => 0), top_logprobs: generated.map(() => ({})), text_offset: [] };
      }
      choices.push(choice);
    }
    // Listed out of order: a client must follow `index`.
    choices.reverse();
    return { body: { id: "cmpl-loopback", object: "text_completion", created: Date.now(), model: body.model, choices, usage: {} }, prompts };
  }

  private async generate(body: Record<string, unknown>, gone: () => boolean): Promise<{ body: unknown; prompts: number[][] }> {
    const prompts = body.input_ids as number[][];
    const starts = body.logprob_start_len as number[] | number;
    const params = body.sampling_params as Record<string, unknown>[] | Record<string, unknown>;
    const items: unknown[] = [];
    for (let i = 0; i < prompts.length; i++) {
      if (gone()) throw new Error("client gone");
      const tokens = prompts[i]!;
      const sampling = Array.isArray(params) ? params[i]! : params;
      const stopIds = (sampling.stop_token_ids as number[] | undefined) ?? [];
      const start = Array.isArray(starts) ? starts[i]! : starts;
      const scores = body.return_logprob && start >= 0 ? await this.logprobs(tokens) : undefined;
      const generated = scores ? [scores.next] : await this.greedy(tokens, Number(sampling.max_new_tokens ?? 16), stopIds);
      const meta: Record<string, unknown> = {
        prompt_tokens: tokens.length,
        completion_tokens: generated.length,
        finish_reason: generated.length > 0 && stopIds.includes(generated[generated.length - 1]!) ? { type: "stop", matched: generated[generated.length - 1] } : { type: "length", length: generated.length },
        output_token_logprobs: generated.map((id) => [0, id, null]),
      };
      if (scores) {
        const { own, top } = scores;
        // One entry per prompt token from `logprob_start_len` on; the first token has no logprob.
        meta.input_token_logprobs = tokens.slice(start).map((id, k) => [start + k === 0 ? null : own[start + k], id, null]);
        meta.input_top_logprobs = tokens.slice(start).map((_, k) => (start + k === 0 ? null : [[top[start + k]![1], top[start + k]![0], null]]));
      }
      items.push({ text: this.model.detokenize(generated as Token[], true), meta_info: meta });
    }
    return { body: items, prompts };
  }

  async close(): Promise<void> {
    const closed = new Promise((resolve) => this.server.close(resolve));
    this.server.closeAllConnections();
    await closed;
    await this.vocabulary.dispose();
    await this.context.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }
}
