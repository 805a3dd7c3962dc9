// Test oracle for the llama backend: node-llama-cpp used directly, without any
// backend code. It scores with the slow `probabilities: true` path (a full softmax
// per position) on a fresh sequence per call, and generates greedily with
// `sequence.evaluate`, which is node-llama-cpp's own generation loop.

import path from "node:path";
import { getLlama, LlamaLogLevel, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaModel, type Token } from "node-llama-cpp";
import { sharedSkip } from "./sharedData.js";

export const STORIES_PATH = path.resolve(process.cwd(), "../shared/models/stories260K.gguf");
export const storiesSkip: string | false = sharedSkip(STORIES_PATH);
/** Published in ../shared/models/README.md. */
export const STORIES_SHA256 = "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d";
export const TINY_LLAMA2_PATH = path.resolve(process.cwd(), "../shared/models/llama-2-tiny-random.gguf");
/** Published in ../shared/models/README.md. */
export const TINY_LLAMA2_SHA256 = "81f226c62d28ed4a1a9b9fa080fcd9f0cc40e0f9d5680036583ff98fbcd035cb";

export interface OracleScore {
  logprob: number;
  isGreedy: boolean;
  perToken: number[];
}

export class LlamaOracle {
  private constructor(
    private readonly llama: Llama,
    readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly sequence: LlamaContextSequence,
  ) {}

  /** Same engine settings as the backend's defaults: F16 KV cache, no flash attention, one thread. */
  static async open(modelPath: string = STORIES_PATH, contextSize = 2049, kvCacheType: "F16" | "F32" = "F16"): Promise<LlamaOracle> {
    const llama = await getLlama({ gpu: false, build: "never", maxThreads: 1, logLevel: LlamaLogLevel.error });
    const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
    const context = await model.createContext({
      contextSize,
      threads: 1,
      flashAttention: false,
      experimentalKvCacheKeyType: kvCacheType,
      experimentalKvCacheValueType: kvCacheType,
    });
    return new LlamaOracle(llama, model, context, context.getSequence());
  }

  tokenize(text: string): number[] {
    return this.model.tokenize(text, false);
  }

  detokenize(tokens: number[]): string {
    return this.model.detokenize(tokens as Token[], true);
  }

  get eosId(): number {
    const eos = this.model.tokens.eos;
    if (eos === null) throw new Error("model has no EOS");
    return eos;
  }

  /** log P(targets | input) with input position `firstScored + j` predicting `targets[j]`, from full probability maps. */
  async scoreWithProbabilities(input: number[], firstScored: number, targets: number[]): Promise<OracleScore> {
    if (input.length >= this.sequence.contextSize) throw new Error("oracle context too small");
    await this.sequence.clearHistory();
    const outputs = await this.sequence.controlledEvaluate(
      input.map((token, position) =>
        position >= firstScored ? [token as Token, { generateNext: { probabilities: true } }] : (token as Token),
      ),
    );
    const perToken: number[] = [];
    let isGreedy = true;
    targets.forEach((target, j) => {
      const probabilities = outputs[firstScored + j]?.next.probabilities;
      if (probabilities === undefined) throw new Error("no probabilities");
      perToken.push(Math.log(probabilities.get(target as Token) ?? 0));
      // The map is sorted by probability, highest first.
      const top = probabilities.keys().next().value;
      if (top !== target) isGreedy = false;
    });
    return { logprob: perToken.reduce((sum, value) => sum + value, 0), isGreedy, perToken };
  }

  /**
   * The same score from the single-pass logits path (filter + totalLogitWeight), the whole
   * input evaluated alone in one call on a fresh sequence: "each request evaluated alone".
   */
  async scoreAloneWithLogits(input: number[], firstScored: number, targets: number[]): Promise<OracleScore> {
    if (input.length >= this.sequence.contextSize) throw new Error("oracle context too small");
    await this.sequence.clearHistory();
    const outputs = await this.sequence.controlledEvaluate(
      input.map((token, position) =>
        position >= firstScored
          ? [token as Token, { generateNext: { token: true, logits: { filter: { tokens: [targets[position - firstScored]! as Token], includeSelected: true } }, totalLogitWeight: true } }]
          : (token as Token),
      ),
    );
    const perToken: number[] = [];
    let isGreedy = true;
    targets.forEach((target, j) => {
      const next = outputs[firstScored + j]?.next;
      const argmax = next?.token;
      const targetLogit = next?.logits?.get(target as Token);
      const maxLogit = argmax == null ? undefined : next?.logits?.get(argmax);
      if (argmax == null || targetLogit === undefined || maxLogit === undefined || next?.totalLogitWeight === undefined) throw new Error("no logits");
      perToken.push(targetLogit - maxLogit - Math.log(next.totalLogitWeight));
      if (argmax !== target) isGreedy = false;
    });
    return { logprob: perToken.reduce((sum, value) => sum + value, 0), isGreedy, perToken };
  }

  /** The first `count` greedily generated tokens after `prompt` (end-of-generation tokens included). */
  async greedyTokens(prompt: number[], count: number): Promise<number[]> {
    await this.sequence.clearHistory();
    const generated: number[] = [];
    for await (const token of this.sequence.evaluate(prompt as Token[], { temperature: 0, yieldEogToken: true })) {
      generated.push(token);
      if (generated.length >= count) break;
    }
    return generated;
  }

  async dispose(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }
}
