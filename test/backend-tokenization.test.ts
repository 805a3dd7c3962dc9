import { test } from "node:test";
import assert from "node:assert/strict";
import {
  cutAtStopStrings,
  encodePair,
  primaryStopToken,
  pythonRstrip,
  separatePair,
  settledStopCut,
  truncateGenerationContext,
  truncateLeft,
} from "../src/backend/tokenization.js";

// A fake SentencePiece-like encoder: a dummy-prefix space is added, then every run
// of spaces attaches to the word that follows it (trailing spaces form their own
// piece). Pieces get ids in order of first sight; `pieces` maps ids back.
function fakeTokenizer() {
  const ids = new Map<string, number>();
  const pieces: string[] = [];
  const encode = (text: string): number[] => {
    if (text === "") return [];
    const matches = (" " + text).match(/ *[^ ]+| +$/g) ?? [];
    return matches.map((piece) => {
      let id = ids.get(piece);
      if (id === undefined) {
        id = pieces.length + 10;
        ids.set(piece, id);
        pieces.push(piece);
      }
      return id;
    });
  };
  const show = (tokens: number[]): string[] => tokens.map((id) => (id === EOS ? "<eos>" : pieces[id - 10]!));
  return { encode, show };
}
const EOS = 2;

test("pythonRstrip strips exactly Python's str.isspace() characters", () => {
  assert.equal(pythonRstrip("a \t\n\r\v\f"), "a");
  assert.equal(pythonRstrip("a\u001c\u001d\u001e\u001f\u0085"), "a"); // Python whitespace that \s misses
  assert.equal(pythonRstrip("a\u00a0\u3000\u2028\u2029\u202f\u205f\u1680\u2000\u200a"), "a");
  assert.equal(pythonRstrip("a\ufeff"), "a\ufeff"); // \s matches U+FEFF, Python does not strip it
  assert.equal(pythonRstrip("a\u200b"), "a\u200b"); // zero-width space is not whitespace in Python
  assert.equal(pythonRstrip("  "), "");
});

test("separatePair encodes context and continuation on their own (Stability rule)", () => {
  const { encode, show } = fakeTokenizer();
  const pair = separatePair("Answer: ", "Paris", encode, EOS);
  // Both get the dummy prefix; the context keeps its trailing space as a piece.
  assert.deepEqual(show(pair.contextTokens), [" Answer:", " "]);
  assert.deepEqual(show(pair.continuationTokens), [" Paris"]);
  const leadingSpace = separatePair("Question", " yes", encode, EOS);
  assert.deepEqual(show(leadingSpace.continuationTokens), ["  yes"]); // dummy prefix + the space
  const empty = separatePair("", "Hello world", encode, EOS);
  assert.deepEqual(empty.contextTokens, [EOS]);
  assert.deepEqual(show(empty.continuationTokens), [" Hello", " world"]);
});

test("encodePair moves trailing whitespace into the continuation and splits the whole encoding (b281 _encode_pair)", () => {
  const { encode, show } = fakeTokenizer();
  const moved = encodePair("Answer: ", "Paris", encode, EOS);
  assert.deepEqual(show(moved.contextTokens), [" Answer:"]);
  assert.deepEqual(show(moved.continuationTokens), [" Paris"]);

  const plain = encodePair("Question: x\nAnswer:", " Paris", encode, EOS);
  assert.deepEqual(show(plain.contextTokens), [" Question:", " x\nAnswer:"]);
  assert.deepEqual(show(plain.continuationTokens), [" Paris"]);

  // Several whitespace characters move together; the split is by the context's token count.
  const multi = encodePair("a b \n ", "c", encode, EOS);
  assert.deepEqual(show(multi.contextTokens), [" a", " b"]);
  assert.deepEqual(show(multi.continuationTokens), [" \n", " c"]);

  // A token that merges across the boundary is counted as continuation; here the
  // whole encoding has as many tokens as the context, so the continuation is empty.
  const merged = encodePair("foo", "bar", encode, EOS);
  assert.deepEqual(show(merged.contextTokens), [" foo"]);
  assert.deepEqual(merged.continuationTokens, []);

  // Empty context: [eos] + enc(continuation), without moving anything.
  const empty = encodePair("", " Paris", encode, EOS);
  assert.deepEqual(empty.contextTokens, [EOS]);
  assert.deepEqual(show(empty.continuationTokens), ["  Paris"]);
});

test("truncateLeft keeps (ctx+cont)[-(maxLength+1):][:-1] and scores the last len(cont) positions", () => {
  const context = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const continuation = [11, 12];
  const cut = truncateLeft(context, continuation, 5);
  assert.deepEqual(cut.inputTokens, [7, 8, 9, 10, 11]);
  assert.equal(cut.firstScoredPosition, 3); // input[3] = 10 predicts 11, input[4] = 11 predicts 12
  assert.deepEqual(cut.targetTokens, [11, 12]);

  const whole = truncateLeft([1, 2, 3], [4], 100);
  assert.deepEqual(whole.inputTokens, [1, 2, 3]);
  assert.equal(whole.firstScoredPosition, 2);

  const exact = truncateLeft([1, 2, 3], [4, 5], 4); // 5 tokens = maxLength + 1: nothing cut
  assert.deepEqual(exact.inputTokens, [1, 2, 3, 4]);
  assert.equal(exact.firstScoredPosition, 2);

  const emptyContinuation = truncateLeft([1, 2], [], 10);
  assert.deepEqual(emptyContinuation.inputTokens, [1]);
  assert.equal(emptyContinuation.firstScoredPosition, 1);

  assert.throws(() => truncateLeft([], [4, 5], 10), RangeError); // nothing to predict the first token from
  assert.throws(() => truncateLeft([1], [2, 3, 4], 2), RangeError); // continuation longer than the window
});

test("truncateGenerationContext follows Python's tok_encode(ctx)[max_gen_toks - max_length:]", () => {
  const tokens = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.deepEqual(truncateGenerationContext(tokens, 8, 3), [6, 7, 8, 9, 10]); // [-5:]
  assert.deepEqual(truncateGenerationContext(tokens, 100, 3), tokens); // [-97:] keeps all
  assert.deepEqual(truncateGenerationContext(tokens, 8, 8), tokens); // [0:]
  assert.deepEqual(truncateGenerationContext(tokens, 8, 10), [3, 4, 5, 6, 7, 8, 9, 10]); // [2:] drops from the front
});

test("primaryStopToken is the last token of until[0], or EOS when it encodes to nothing", () => {
  const { encode } = fakeTokenizer();
  const tokens = encode("A: b");
  assert.equal(primaryStopToken(["A: b", "\n"], encode, EOS), tokens[tokens.length - 1]);
  assert.equal(primaryStopToken(["", "x"], encode, EOS), EOS);
  assert.equal(primaryStopToken([], encode, EOS), EOS);
});

// Python: `for term in until: s = s.split(term)[0]`; JavaScript's split(string)[0] is the same.
function pythonCut(text: string, until: string[]): string {
  return until.reduce((s, term) => s.split(term)[0]!, text);
}

test("cutAtStopStrings applies the stop strings in order, like Python's split loop", () => {
  assert.equal(cutAtStopStrings("ab\ncd</s>ef", ["</s>", "\n"]), "ab");
  assert.equal(cutAtStopStrings("xa\nb", ["a\nb", "\n"]), "x");
  assert.equal(cutAtStopStrings("xa\nc", ["a\nb", "\n"]), "xa");
  assert.equal(cutAtStopStrings("no stop here", ["\n"]), "no stop here");
});

test("settledStopCut never decides differently from cutting the full text", () => {
  // Exhaustive over short texts on a small alphabet and several stop lists,
  // including overlapping and order-dependent ones.
  const alphabet = ["a", "b", "\n"];
  const stopLists = [["\n"], ["a\nb", "\n"], ["ab", "b\na"], ["\n", "aa"], ["ba", "ab", "\n\n"], ["abab"]];
  const texts: string[] = [""];
  for (let length = 1; length <= 7; length++) {
    const previous = texts.filter((text) => text.length === length - 1);
    for (const text of previous) for (const char of alphabet) texts.push(text + char);
  }
  let decided = 0;
  for (const until of stopLists) {
    for (const full of texts) {
      const expected = pythonCut(full, until);
      for (let end = 0; end <= full.length; end++) {
        const early = settledStopCut(full.slice(0, end), until);
        if (early !== null) {
          decided++;
          assert.equal(early, expected, `text ${JSON.stringify(full)} prefix ${end} until ${JSON.stringify(until)}`);
        }
      }
    }
  }
  assert.ok(decided > 1000, `the early stop fired only ${decided} times`);
  // A single one-character stop decides as soon as it appears.
  assert.equal(settledStopCut("hello\n", ["\n"]), "hello");
  assert.equal(settledStopCut("hello", ["\n"]), null);
  assert.equal(settledStopCut("ok</s>", ["</s>", "\n"]), "ok");
});
