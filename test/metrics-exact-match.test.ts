// Expected normalisations: Stability's `normalize_answer` (lm_eval/jasquad/evaluate.py @ 0fa86429)
// run on CPython 3.11.7 with the real neologdn 0.5.2 (built from its tag) and `is_emoji` backed by
// emoji 2.10.1's EMOJI_DATA. Python whitespace sets: CPython 3.11 `str.isspace()`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { exactMatchAny, normalizeAnswer, pythonCapitalize, pythonSplit, pythonStrip } from "../src/metrics/exactMatch.js";
import { isPythonWhitespace } from "../src/metrics/pythonString.js";

test("normalizeAnswer matches the reference", () => {
  const rows: ReadonlyArray<readonly [string, string]> = [
    ["東京都", "東京都"],
    [" 東京 都 ", "東京都"],
    ["ＡＢＣ　ｄｅｆ", "ABC def"],
    ["Hello\u3000\u3000World", "Hello World"],
    ["a\u00a0\u00a0b", "a b"], // U+00A0 is not a neologdn space but is Python whitespace
    ["1,000円😀", "1,000円"],
    ["ﾊﾟﾊﾟ〜", "パパ"],
    ["❤️ラブ", "\uFE0Fラブ"], // VS16 survives remove_emoji
    ["徳川 家康", "徳川家康"],
    ["Tokugawa  Ieyasu ", "Tokugawa Ieyasu"],
    ["a\tb\nc", "a b c"],
    ["x\x1cy", "x y"],
    ["x\ufeffy", "x\ufeffy"], // U+FEFF is not whitespace in Python
    ["２００２年", "2002年"],
    ["'80年代", "'80年代"],
    ["ウィ－ン", "ウィーン"],
    ["A−B", "A-B"],
    ["🇯🇵日本", "日本"],
    ["", ""],
    ["   ", ""],
  ];
  for (const [input, expected] of rows) {
    assert.equal(normalizeAnswer(input), expected, `normalizeAnswer(${JSON.stringify(input)})`);
  }
});

test("exactMatchAny: 100 when any gold matches after normalisation, else 0", () => {
  assert.equal(exactMatchAny("徳川 家康", ["徳川家康"]), 100);
  assert.equal(exactMatchAny("ＡＢＣ", ["xyz", "ABC"]), 100);
  assert.equal(exactMatchAny("abc", ["ABC"]), 0); // no lowercasing
  assert.equal(exactMatchAny("東京。", ["東京"]), 0); // no punctuation removal
  assert.equal(exactMatchAny("", [""]), 100);
  assert.equal(exactMatchAny("大阪", ["東京", "京都"]), 0);
  assert.throws(() => exactMatchAny("x", []), RangeError);
});

test("pythonStrip uses Python's whitespace set", () => {
  assert.equal(pythonStrip("\u3000\x1c\x1f\x85\u00a0 x y\u2028\u2029\u202f\u205f\u1680\u2000\u200a\t\n\v\f\r"), "x y");
  assert.equal(pythonStrip("\ufeffx\ufeff"), "\ufeffx\ufeff");
  assert.equal(pythonStrip("\u200bx"), "\u200bx");
  assert.equal(pythonStrip("\u180ex"), "\u180ex");
  assert.equal(pythonStrip("   "), "");
});

test("pythonSplit splits on whitespace runs and drops empties", () => {
  assert.deepEqual(pythonSplit("  a\u3000b\x1c c\ufeff "), ["a", "b", "c\ufeff"]);
  assert.deepEqual(pythonSplit(""), []);
  assert.deepEqual(pythonSplit(" \t\n "), []);
  assert.deepEqual(pythonSplit("one"), ["one"]);
});

test("isPythonWhitespace agrees with CPython 3.11 str.isspace() over all code points", () => {
  const expected = new Set([
    0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
    0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
    0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
  ]);
  for (let cp = 0; cp < 0x110000; cp++) {
    if (cp >= 0xd800 && cp < 0xe000) continue;
    assert.equal(isPythonWhitespace(String.fromCodePoint(cp)), expected.has(cp), `U+${cp.toString(16)}`);
  }
});

test("pythonCapitalize: title-case first char, lowercase the rest (CPython 3.11 results)", () => {
  assert.equal(pythonCapitalize("the man is SKIING."), "The man is skiing.");
  assert.equal(pythonCapitalize("ABC"), "Abc");
  assert.equal(pythonCapitalize(""), "");
  assert.equal(pythonCapitalize(" leading space"), " leading space");
  assert.equal(pythonCapitalize("ßx"), "Ssx");
  assert.equal(pythonCapitalize("ﬁsh"), "Fish");
  assert.equal(pythonCapitalize("ǆemal"), "ǅemal");
  assert.equal(pythonCapitalize("ǄEMAL"), "ǅemal");
  assert.equal(pythonCapitalize("xİ"), "Xi\u0307");
  assert.equal(pythonCapitalize("ΑΣ"), "Ας"); // final sigma sees the first character as context
  assert.equal(pythonCapitalize("ᾳx"), "ᾼx");
  assert.equal(pythonCapitalize("ŉA"), "ʼNa");
  assert.equal(pythonCapitalize("აB"), "აb"); // Georgian titlecases to itself
  assert.equal(pythonCapitalize("ÉCOLE"), "École");
});
