// Expected strings follow Stability's remove_emoji (lm_eval/jasquad/evaluate.py @ 0fa86429) and the
// Python `emoji` 2.6-2.12 EMOJI_DATA table, whose single-code-point keys are the Unicode 15.1
// Emoji=Yes characters except #, *, 0-9 and the regional indicators (checked by reading the
// package data; see src/metrics/emoji.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { emojiTableSize, isEmoji, removeEmoji } from "../src/metrics/emoji.js";

test("fully-qualified single emoji are removed", () => {
  assert.equal(removeEmoji("今日は😀晴れ"), "今日は晴れ");
  assert.equal(removeEmoji("⭐東京🗼タワー"), "東京タワー");
  assert.equal(removeEmoji("🫨"), ""); // U+1FAE8, Emoji 15.0
});

test("text-default emoji bases are emoji for is_emoji (unqualified keys)", () => {
  assert.equal(removeEmoji("©2023 ABC®"), "2023 ABC");
  assert.equal(removeEmoji("注意‼ ™ ℹ Ⓜ ↔"), "注意    ");
  assert.equal(removeEmoji("波〰線〽㊗㊙"), "波線");
});

test("keycap bases and digits are not emoji on their own", () => {
  assert.equal(removeEmoji("#1 *2 0-9"), "#1 *2 0-9");
  // keycap sequence 1️⃣ = 1 + U+FE0F + U+20E3: only multi-code-point keys contain it
  assert.equal(removeEmoji("1\uFE0F\u20E3"), "1\uFE0F\u20E3");
  assert.equal(isEmoji("#"), false);
  assert.equal(isEmoji("7"), false);
});

test("VS16 and ZWJ survive; skin tones and hair components are removed", () => {
  assert.equal(removeEmoji("❤️"), "\uFE0F");
  assert.equal(removeEmoji("👍🏽"), "");
  assert.equal(removeEmoji("👨‍👩‍👧"), "\u200D\u200D");
  assert.equal(removeEmoji("\u{1F9B0}"), "");
});

test("regex pass: flags (regional indicators) and the U+2702-27B0 dingbats block", () => {
  assert.equal(removeEmoji("日本🇯🇵"), "日本");
  assert.equal(isEmoji("\u{1F1EF}"), false); // only flag pairs are keys; the regex removes it anyway
  // U+2713 CHECK MARK and U+2780 DINGBAT CIRCLED SANS-SERIF DIGIT ONE are not emoji but are in range
  assert.equal(removeEmoji("ok✓ ➀"), "ok ");
  // U+27B1 is just past the range and not an emoji
  assert.equal(removeEmoji("\u27B1"), "\u27B1");
});

test("ordinary Japanese and ASCII text is untouched", () => {
  const s = "与えられた文脈から、質問に対する答えを抜き出してください。ABC abc 123 ー→「」";
  assert.equal(removeEmoji(s), s);
});

test("characters added after Emoji 15.1 are not in the reference table", () => {
  assert.equal(removeEmoji("\u{1FAE9}"), "\u{1FAE9}"); // FACE WITH BAGS UNDER EYES, Emoji 16.0
});

test("isEmoji only accepts exactly one code point", () => {
  assert.equal(isEmoji("😀"), true);
  assert.equal(isEmoji("😀😀"), false);
  assert.equal(isEmoji(""), false);
  assert.equal(isEmoji("❤\uFE0F"), false); // a real key, but not a single code point: out of scope
});

test("table size and agreement with the engine's \\p{Emoji} property", () => {
  assert.equal(emojiTableSize(), 1386);
  const isPropEmoji = /^\p{Emoji}$/u;
  const keycapOrRegional = (cp: number): boolean =>
    cp === 0x23 || cp === 0x2a || (cp >= 0x30 && cp <= 0x39) || (cp >= 0x1f1e6 && cp <= 0x1f1ff);
  // Emoji 16.0 and 17.0 single code points, which newer JS engines know and the reference did not.
  const newerThan151 = new Set([
    0x1fa89, 0x1fa8f, 0x1fabe, 0x1fac6, 0x1fadc, 0x1fadf, 0x1fae9,
    0x1f6d8, 0x1fa8a, 0x1fa8e, 0x1fac8, 0x1facd, 0x1faea, 0x1faef,
  ]);
  for (let cp = 0; cp < 0x110000; cp++) {
    if (cp >= 0xd800 && cp < 0xe000) continue;
    const c = String.fromCodePoint(cp);
    const mine = isEmoji(c);
    const prop = isPropEmoji.test(c);
    if (mine) assert.ok(prop, `U+${cp.toString(16)} in table but not \\p{Emoji}`);
    else if (prop) {
      assert.ok(keycapOrRegional(cp) || newerThan151.has(cp), `U+${cp.toString(16)} is \\p{Emoji} but not in table`);
    }
  }
});
