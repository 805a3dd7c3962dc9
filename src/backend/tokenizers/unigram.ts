// A Unigram model's segmentation (the best-scoring split by the pieces' log-probabilities,
// Viterbi over the text's characters), with SentencePiece's byte fallback.
//
// Why our own: `@huggingface/tokenizers` (the JS port) segments Unigram models itself but
// ignores `byte_fallback: true`: a character outside the vocabulary becomes `<unk>` where
// Hugging Face's Rust tokenizers and SentencePiece emit the character's UTF-8 bytes as
// `<0xXX>` pieces (test/tokenizers-unit.test.ts and the edge texts checked against HF's Rust
// library in test/tokenizer-sentencepiece.test.ts). Japanese text has such characters (rare
// kanji, emoji). This module replaces the port's Unigram segmentation; everything around it
// (added tokens, normalizer, pre-tokenizer, ids) stays the library's.
//
// The algorithm is Hugging Face's `Unigram::encode_optimized` and SentencePiece's
// `EncodeOptimized`: positions in characters (code points); at each reachable position every
// vocabulary piece that starts there is a candidate edge scored by the piece's score; where no
// piece of exactly one character starts there, an unknown node of one character with score
// `min(score) - 10` is added; a later candidate replaces a position's best only when strictly
// better, so ties keep the first (shorter pieces are tried first, as both tries yield them).

/** HF `K_UNK_PENALTY` / SentencePiece `kUnkPenalty`. */
const UNKNOWN_PENALTY = 10;

interface TrieNode {
  children: Map<string, TrieNode>;
  /** Vocabulary id of the piece that ends here, if any. */
  id: number;
}

function newNode(): TrieNode {
  return { children: new Map(), id: -1 };
}

/** The `<0xXX>` piece of a byte, as SentencePiece and HF name them. */
export function bytePiece(byte: number): string {
  return `<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`;
}

const utf8 = new TextEncoder();

export class UnigramSegmenter {
  private readonly root = newNode();
  private readonly unknownScore: number;

  /**
   * `pieces[i]`, `scores[i]`: the vocabulary. `excluded` ids are never matched from text
   * (SentencePiece leaves control, unknown and byte pieces out of its trie).
   */
  constructor(
    private readonly pieces: readonly string[],
    private readonly scores: readonly number[],
    private readonly unknownId: number,
    private readonly byteFallback: boolean,
    excluded: ReadonlySet<number> = new Set(),
  ) {
    let minScore = Infinity;
    for (let id = 0; id < pieces.length; id++) {
      if (id !== unknownId && scores[id]! < minScore) minScore = scores[id]!;
      if (excluded.has(id) || id === unknownId || pieces[id] === "") continue;
      let node = this.root;
      for (const char of pieces[id]!) {
        let next = node.children.get(char);
        if (next === undefined) node.children.set(char, (next = newNode()));
        node = next;
      }
      if (node.id < 0) node.id = id;
    }
    this.unknownScore = minScore - UNKNOWN_PENALTY;
  }

  /** The pieces (as text) of a normalized string; unknown characters as byte pieces under byte fallback. */
  segment(normalized: string): string[] {
    const chars = Array.from(normalized);
    const n = chars.length;
    if (n === 0) return [];
    const bestScore = new Float64Array(n + 1);
    const bestStart = new Int32Array(n + 1).fill(-1);
    const bestId = new Int32Array(n + 1).fill(-1);
    for (let start = 0; start < n; start++) {
      if (start > 0 && bestStart[start]! < 0) continue;
      const base = bestScore[start]!;
      let hasSingle = false;
      let node = this.root;
      for (let end = start; end < n; end++) {
        const next = node.children.get(chars[end]!);
        if (next === undefined) break;
        node = next;
        if (node.id < 0) continue;
        if (end === start) hasSingle = true;
        const candidate = base + this.scores[node.id]!;
        if (bestStart[end + 1]! < 0 || candidate > bestScore[end + 1]!) {
          bestScore[end + 1] = candidate;
          bestStart[end + 1] = start;
          bestId[end + 1] = node.id;
        }
      }
      if (!hasSingle) {
        const candidate = base + this.unknownScore;
        if (bestStart[start + 1]! < 0 || candidate > bestScore[start + 1]!) {
          bestScore[start + 1] = candidate;
          bestStart[start + 1] = start;
          bestId[start + 1] = this.unknownId;
        }
      }
    }
    const out: string[] = [];
    for (let end = n; end > 0; end = bestStart[end]!) {
      const start = bestStart[end]!;
      const id = bestId[end]!;
      if (id !== this.unknownId) {
        out.push(this.pieces[id]!);
      } else if (this.byteFallback) {
        const bytes = utf8.encode(chars.slice(start, end).join(""));
        for (let i = bytes.length - 1; i >= 0; i--) out.push(bytePiece(bytes[i]!));
      } else {
        out.push(this.pieces[this.unknownId]!);
      }
    }
    return out.reverse();
  }
}
