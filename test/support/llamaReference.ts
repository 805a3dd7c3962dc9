// An independent float64 forward pass of a llama-architecture GGUF model, written from the
// weights alone (no llama.cpp), used by tests as an oracle for the log-likelihoods the
// llama.cpp backend reports. It follows what llama.cpp computes for LLM_ARCH_LLAMA:
//   x = token_embd[t]
//   per layer: h = x + Wo·attn(RoPE(Wq·n), RoPE(Wk·n), Wv·n), n = RMSNorm(x)·attn_norm
//              x = h + Wdown·(silu(Wgate·m) ⊙ Wup·m),        m = RMSNorm(h)·ffn_norm
//   logits = output · (RMSNorm(x)·output_norm)   (output falls back to token_embd when tied)
// Everything is float64, so on an F32 model it differs from llama.cpp (with an F32 KV cache)
// only by llama.cpp's float32 rounding: the spec saw ~4e-6 nats on stories260K.
import { decodeTensor, metadataNumber, readGguf, type GgufFile } from "./ggufReader.js";

interface LayerWeights {
    attnNorm: Float64Array;
    wq: Float64Array;
    wk: Float64Array;
    wv: Float64Array;
    wo: Float64Array;
    ffnNorm: Float64Array;
    wGate: Float64Array;
    wUp: Float64Array;
    wDown: Float64Array;
}

export interface LlamaHyperparameters {
    embeddingLength: number;
    layerCount: number;
    headCount: number;
    headCountKv: number;
    headDim: number;
    /** Number of leading dimensions of each head that RoPE rotates (llama.rope.dimension_count). */
    ropeDims: number;
    ropeFreqBase: number;
    /** Linear RoPE scaling: positions are multiplied by this (1 / scaling factor). */
    ropeFreqScale: number;
    feedForwardLength: number;
    rmsEpsilon: number;
    vocabSize: number;
}

/**
 * y = W·x for a GGUF weight with ne = [nIn, nOut]: ne[0] is the contiguous dimension, so
 * the weight is nOut row-major rows of length nIn.
 */
function matVec(weight: Float64Array, nIn: number, nOut: number, x: Float64Array): Float64Array {
    const y = new Float64Array(nOut);
    for (let o = 0; o < nOut; o++) {
        let sum = 0;
        const row = o * nIn;
        for (let i = 0; i < nIn; i++) sum += weight[row + i] * x[i];
        y[o] = sum;
    }
    return y;
}

function rmsNorm(x: Float64Array, weight: Float64Array, epsilon: number): Float64Array {
    let sumSquares = 0;
    for (let i = 0; i < x.length; i++) sumSquares += x[i] * x[i];
    const scale = 1 / Math.sqrt(sumSquares / x.length + epsilon);
    const out = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = x[i] * scale * weight[i];
    return out;
}

export class LlamaReference {
    private constructor(
        readonly hparams: LlamaHyperparameters,
        private readonly tokenEmbedding: Float64Array,
        private readonly layers: LayerWeights[],
        private readonly outputNorm: Float64Array,
        private readonly output: Float64Array
    ) {}

    static load(path: string): LlamaReference {
        return LlamaReference.fromGguf(readGguf(path));
    }

    static fromGguf(file: GgufFile): LlamaReference {
        const arch = file.metadata.get("general.architecture");
        if (arch !== "llama") throw new Error(`LlamaReference supports architecture "llama", not ${String(arch)}`);
        const embeddingLength = metadataNumber(file, "llama.embedding_length");
        const headCount = metadataNumber(file, "llama.attention.head_count");
        const headDim = embeddingLength / headCount;
        const embedInfo = file.tensors.get("token_embd.weight");
        if (embedInfo === undefined) throw new Error("token_embd.weight missing");
        const vocabSize = embedInfo.dims[1];

        const scalingType = file.metadata.get("llama.rope.scaling.type");
        const scalingFactor = metadataNumber(file, "llama.rope.scaling.factor", 0)
            || metadataNumber(file, "llama.rope.scale_linear", 0);
        if (scalingType !== undefined && scalingType !== "none" && scalingType !== "linear")
            throw new Error(`RoPE scaling type ${String(scalingType)} not supported`);
        const ropeFreqScale = scalingType === "none" || scalingFactor === 0 ? 1 : 1 / scalingFactor;

        const hparams: LlamaHyperparameters = {
            embeddingLength,
            layerCount: metadataNumber(file, "llama.block_count"),
            headCount,
            headCountKv: metadataNumber(file, "llama.attention.head_count_kv", headCount),
            headDim,
            ropeDims: metadataNumber(file, "llama.rope.dimension_count", headDim),
            ropeFreqBase: metadataNumber(file, "llama.rope.freq_base", 10000),
            ropeFreqScale,
            feedForwardLength: metadataNumber(file, "llama.feed_forward_length"),
            rmsEpsilon: metadataNumber(file, "llama.attention.layer_norm_rms_epsilon"),
            vocabSize
        };

        const layers: LayerWeights[] = [];
        for (let l = 0; l < hparams.layerCount; l++) {
            const t = (suffix: string): Float64Array => decodeTensor(file, `blk.${l}.${suffix}.weight`);
            layers.push({
                attnNorm: t("attn_norm"),
                wq: t("attn_q"),
                wk: t("attn_k"),
                wv: t("attn_v"),
                wo: t("attn_output"),
                ffnNorm: t("ffn_norm"),
                wGate: t("ffn_gate"),
                wUp: t("ffn_up"),
                wDown: t("ffn_down")
            });
        }
        const tokenEmbedding = decodeTensor(file, "token_embd.weight");
        // Tied embeddings: llama.cpp reuses token_embd as the output matrix when output.weight is absent.
        const output = file.tensors.has("output.weight") ? decodeTensor(file, "output.weight") : tokenEmbedding;
        return new LlamaReference(hparams, tokenEmbedding, layers, decodeTensor(file, "output_norm.weight"), output);
    }

    /**
     * RoPE in llama.cpp's "normal" mode (LLAMA_ROPE_TYPE_NORM, used for LLM_ARCH_LLAMA): within each
     * head, adjacent pairs (2i, 2i+1) rotate by pos·base^(−2i/ropeDims). (NeoX mode would pair i with
     * i + d/2 instead; convert_hf_to_gguf permutes Llama's Q/K rows so that the adjacent pairing is right.)
     * Dimensions past ropeDims are left unrotated.
     */
    private applyRope(vector: Float64Array, heads: number, position: number): void {
        const { headDim, ropeDims, ropeFreqBase, ropeFreqScale } = this.hparams;
        const p = position * ropeFreqScale;
        for (let h = 0; h < heads; h++) {
            const base = h * headDim;
            for (let i = 0; i < ropeDims; i += 2) {
                const theta = p * Math.pow(ropeFreqBase, -i / ropeDims);
                const cos = Math.cos(theta);
                const sin = Math.sin(theta);
                const x0 = vector[base + i];
                const x1 = vector[base + i + 1];
                vector[base + i] = x0 * cos - x1 * sin;
                vector[base + i + 1] = x0 * sin + x1 * cos;
            }
        }
    }

    /** Final-layer logits at every position of `tokens` (position i predicts token i+1). */
    logits(tokens: readonly number[]): Float64Array[] {
        const { embeddingLength: d, headCount, headCountKv, headDim, feedForwardLength: ff, rmsEpsilon, vocabSize } = this.hparams;
        const kvDim = headCountKv * headDim;
        // Query heads share KV heads in consecutive groups: query head h reads KV head floor(h / group)
        // (ggml broadcasts K/V over the head dimension this way in mul_mat).
        const group = headCount / headCountKv;
        const attentionScale = 1 / Math.sqrt(headDim);
        const keys: Float64Array[][] = this.layers.map(() => []);
        const values: Float64Array[][] = this.layers.map(() => []);
        const result: Float64Array[] = [];

        for (let pos = 0; pos < tokens.length; pos++) {
            const token = tokens[pos];
            if (!Number.isInteger(token) || token < 0 || token >= vocabSize) throw new Error(`token ${token} outside the vocabulary`);
            let x: Float64Array = this.tokenEmbedding.slice(token * d, (token + 1) * d);

            for (let l = 0; l < this.layers.length; l++) {
                const layer = this.layers[l];
                const normed = rmsNorm(x, layer.attnNorm, rmsEpsilon);
                const q = matVec(layer.wq, d, d, normed);
                const k = matVec(layer.wk, d, kvDim, normed);
                const v = matVec(layer.wv, d, kvDim, normed);
                this.applyRope(q, headCount, pos);
                this.applyRope(k, headCountKv, pos);
                keys[l].push(k);
                values[l].push(v);

                const attended = new Float64Array(d);
                const scores = new Float64Array(pos + 1);
                for (let h = 0; h < headCount; h++) {
                    const kvOffset = Math.floor(h / group) * headDim;
                    const qOffset = h * headDim;
                    let max = -Infinity;
                    for (let j = 0; j <= pos; j++) {
                        const kj = keys[l][j];
                        let dot = 0;
                        for (let i = 0; i < headDim; i++) dot += q[qOffset + i] * kj[kvOffset + i];
                        scores[j] = dot * attentionScale;
                        if (scores[j] > max) max = scores[j];
                    }
                    let total = 0;
                    for (let j = 0; j <= pos; j++) {
                        scores[j] = Math.exp(scores[j] - max);
                        total += scores[j];
                    }
                    for (let j = 0; j <= pos; j++) {
                        const weight = scores[j] / total;
                        const vj = values[l][j];
                        for (let i = 0; i < headDim; i++) attended[qOffset + i] += weight * vj[kvOffset + i];
                    }
                }
                const attnOut = matVec(layer.wo, d, d, attended);
                for (let i = 0; i < d; i++) attnOut[i] += x[i];

                const ffnIn = rmsNorm(attnOut, layer.ffnNorm, rmsEpsilon);
                const gate = matVec(layer.wGate, d, ff, ffnIn);
                const up = matVec(layer.wUp, d, ff, ffnIn);
                for (let i = 0; i < ff; i++) gate[i] = (gate[i] / (1 + Math.exp(-gate[i]))) * up[i];
                const down = matVec(layer.wDown, ff, d, gate);
                for (let i = 0; i < d; i++) down[i] += attnOut[i];
                x = down;
            }
            result.push(matVec(this.output, d, vocabSize, rmsNorm(x, this.outputNorm, rmsEpsilon)));
        }
        return result;
    }

    /** Log-softmax over the vocabulary at every position: entry i is log P(· | tokens[0..i]). */
    logprobs(tokens: readonly number[]): Float64Array[] {
        return this.logits(tokens).map(logSoftmax);
    }
}

export function logSoftmax(logits: Float64Array): Float64Array {
    let max = -Infinity;
    for (const value of logits) if (value > max) max = value;
    let total = 0;
    for (const value of logits) total += Math.exp(value - max);
    const logTotal = max + Math.log(total);
    return logits.map((value) => value - logTotal);
}

/** Index of the largest entry (the first one on ties). */
export function argmax(values: Float64Array): number {
    let best = 0;
    for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
    return best;
}

/**
 * The oracle's answer to a log-likelihood request: the summed log-probability of
 * `continuationTokens` after `contextTokens`, and whether every continuation token is the
 * argmax at its position (the harnesses' `is_greedy`). The context must be non-empty,
 * since the first continuation token is predicted from the last context token.
 */
export function referenceLoglikelihood(
    ref: LlamaReference,
    contextTokens: readonly number[],
    continuationTokens: readonly number[]
): { logprob: number; isGreedy: boolean } {
    if (contextTokens.length === 0) throw new Error("referenceLoglikelihood needs at least one context token");
    if (continuationTokens.length === 0) throw new Error("referenceLoglikelihood needs at least one continuation token");
    // The last continuation token predicts nothing we score, so it need not be evaluated.
    const evaluated = [...contextTokens, ...continuationTokens.slice(0, -1)];
    const distributions = ref.logprobs(evaluated);
    let logprob = 0;
    let isGreedy = true;
    for (let j = 0; j < continuationTokens.length; j++) {
        const distribution = distributions[contextTokens.length - 1 + j];
        logprob += distribution[continuationTokens[j]];
        if (argmax(distribution) !== continuationTokens[j]) isGreedy = false;
    }
    return { logprob, isGreedy };
}
