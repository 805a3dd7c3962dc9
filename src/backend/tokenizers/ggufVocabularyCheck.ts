// When llama.cpp's tokenizer is known to differ from the model's own on a GGUF's vocabulary.
//
// llama.cpp tokenizes a `tokenizer.ggml.model = "llama"` vocabulary with its SentencePiece BPE
// algorithm: it merges adjacent pieces by score, highest first. That finds SentencePiece's
// segmentation when the scores are a BPE model's merge ranks (Llama-2's 32,000 scores are all
// whole numbers: 0 for special pieces, -rank otherwise), and not when the vocabulary came from
// a SentencePiece *unigram* model, whose scores are log-probabilities (llm-jp: -9.53, ...):
// the best unigram segmentation is not reachable by greedy merges (ggml-org/llama.cpp#13256).
// Measured on every Japanese-suite request of ../shared (`npm run bench -- --tokenizers`): llm-jp
// v2.2's GGUF gives SentencePiece's ids for 7,459 of 14,477 texts and 1,940 of 12,205 requests.
//
// The test: a "llama" vocabulary where more than 1% of the ordinary pieces' scores are not
// whole numbers. Byte and control pieces (fixed scores) are left out by taking only the
// pieces of `tokenizer.ggml.token_type` 1 (normal) when the types are there.

/** GGUF `tokenizer.ggml.token_type` of an ordinary piece (llama.cpp's LLAMA_TOKEN_TYPE_NORMAL). */
const NORMAL = 1;

export interface GgufVocabularyMetadata {
  model?: unknown;
  scores?: unknown;
  token_type?: unknown;
}

/** The warning for a GGUF vocabulary that llama.cpp tokenizes unlike the model's own tokenizer, or null. */
export function ggufTokenizerWarning(ggml: GgufVocabularyMetadata | undefined, modelName: string): string | null {
  if (ggml?.model !== "llama" || !Array.isArray(ggml.scores)) return null;
  const scores = ggml.scores as unknown[];
  const types = Array.isArray(ggml.token_type) ? (ggml.token_type as unknown[]) : undefined;
  let normal = 0;
  let fractional = 0;
  scores.forEach((score, id) => {
    if (types !== undefined && types[id] !== NORMAL) return;
    if (typeof score !== "number") return;
    normal++;
    if (!Number.isInteger(score)) fractional++;
  });
  if (normal === 0 || fractional / normal <= 0.01) return null;
  return (
    `warning: ${modelName}'s vocabulary is a SentencePiece unigram model's (its piece scores are log-probabilities), ` +
    `which llama.cpp's tokenizer does not segment as SentencePiece does, so token ids and scores would differ from the reference's; ` +
    `pass the model's own tokenizer with --hf-tokenizer DIR (tokenizer.json or tokenizer.model), and see \`rakuten-eval tokenizer-check\`.`
  );
}
