// Expected values, by source:
//  1. neologdn's own test_neologdn.py and README.rst at tag v0.5.2 (default-argument calls only);
//  2. spec §3.4's description of the rules;
//  3. outputs of the real neologdn 0.5.2, built from the tag's generated neologdn.cpp against
//     CPython 3.11.7, for the version-specific quirks (marked "0.5.2 output").
import { test } from "node:test";
import assert from "node:assert/strict";
import { neologdnNormalize } from "../src/metrics/neologdn.js";

const cases = (rows: ReadonlyArray<readonly [string, string]>): void => {
  for (const [input, expected] of rows) {
    assert.equal(neologdnNormalize(input), expected, `normalize(${JSON.stringify(input)})`);
  }
};

test("neologdn v0.5.2 test_normalize", () => {
  cases([
    ["０", "0"],
    ["ﾊﾝｶｸ", "ハンカク"],
    ["o₋o", "o-o"],
    ["majika━", "majikaー"],
    ["わ〰い", "わい"],
    ["スーパーーーー", "スーパー"],
    ["!#", "!#"],
    ["ゼンカク　スペース", "ゼンカクスペース"],
    ["お             お", "おお"],
    ["      おお", "おお"],
    ["おお      ", "おお"],
    ["検索 エンジン 自作 入門 を 買い ました!!!", "検索エンジン自作入門を買いました!!!"],
    ["アルゴリズム C", "アルゴリズムC"],
    ["　　　ＰＲＭＬ　　副　読　本　　　", "PRML副読本"],
    ["Coding the Matrix", "Coding the Matrix"],
    ["南アルプスの　天然水　Ｓｐａｒｋｉｎｇ　Ｌｅｍｏｎ　レモン一絞り", "南アルプスの天然水Sparking Lemonレモン一絞り"],
    ["南アルプスの　天然水-　Ｓｐａｒｋｉｎｇ*　Ｌｅｍｏｎ+　レモン一絞り", "南アルプスの天然水- Sparking*Lemon+レモン一絞り"],
    ["ﾊﾟﾊﾟ", "パパ"],
    ["a˗֊‐‑‒–⁃⁻₋−", "a-"],
    ["あ﹣－ｰ—―─━ー", "あー"],
    ["チルダ~∼∾〜〰～", "チルダ"],
    ["う゛ほﾟ", "ゔぽ"],
  ]);
});

test("neologdn v0.5.2 test_handling_tilde (default tilde='remove')", () => {
  cases([["1467〜1487年", "14671487年"]]);
});

test("neologdn v0.5.2 README examples with default arguments", () => {
  cases([
    ["ﾊﾝｶｸｶﾅ", "ハンカクカナ"],
    ["全角記号！？＠＃", "全角記号!?@#"],
    ["全角記号例外「・」", "全角記号例外「・」"],
    ["長音短縮ウェーーーーイ", "長音短縮ウェーイ"],
    ["チルダ削除ウェ~∼∾〜〰～イ", "チルダ削除ウェイ"],
    ["いろんなハイフン˗֊‐‑‒–⁃⁻₋−", "いろんなハイフン-"],
    [" Natural Language Processing ", "Natural Language Processing"],
    ["1995〜2001年", "19952001年"],
  ]);
});

test("spec §3.4 rules: width conversion, kana, hyphen/choonpu runs, spaces", () => {
  cases([
    ["１２３，４５６円", "123,456円"], // full-width digits and symbols → half-width
    ["Ｑ＆Ａ", "Q&A"],
    ["ｱｲｳｴｵ｡､･｢｣", "アイウエオ。、・「」"], // half-width kana and punctuation → full-width
    ["ｶﾞｷﾞｸﾞ ﾎﾟ", "ガギグポ"], // dakuten/handakuten merged; space after kana dropped
    ["x‐‐‐y", "x-y"], // hyphen variants → '-', runs collapsed
    ["ーーー", "ー"],
    ["－－", "ー"], // FULLWIDTH HYPHEN-MINUS is a choonpu variant
    ["ＡＢＣ　ｄｅｆ　漢字", "ABC def漢字"], // kept after Latin, dropped again before CJK
    ["Hello  World", "Hello World"],
    ["Hello 世界", "Hello世界"],
    ["世界 Hello", "世界Hello"],
    [" 　 先頭", "先頭"],
    ["末尾　 ", "末尾"],
    ["", ""],
    ["   ", ""],
  ]);
});

test("0.5.2 output: quirks reproduced on purpose", () => {
  cases([
    ["a ‐あ", "a あ"], // hyphen after a latin space does not reset lattin_space: the hyphen is overwritten
    ["a ーあ", "a あ"], // same for a choonpu
    ["a ‐b", "a -b"],
    ["a-あ", "a-あ"], // ASCII '-' goes through the ordinary branch and resets the flag
    ["é b", "éb"], // a space after non-basic-Latin, non-block characters is dropped
    ["* a", "*a"], // ...and after '*'
    ["a * b", "a *b"],
    ["x-‐y", "x-y"], // a hyphen variant after ASCII '-' is dropped
    ["x‐-y", "x--y"], // but ASCII '-' after a converted hyphen is kept
    ["か゛", "かﾞ"], // full-width dakuten becomes half-width; か is not in KANA_TEN
    ["ウ゛ァイオリン", "ヴァイオリン"],
    ["ﾊ゜", "パ"],
    ["“引用”", "“引用\""], // only the right double quote is in the ASCII table at 0.5.2
    ["¥100", "\\100"],
    ["a\u00a0b", "a\u00a0b"], // only ' ' and U+3000 are spaces
    ["a\tb", "a\tb"],
    ["[SEP]", "[SEP]"],
    ["a\u0000b", "a"], // NUL-terminated buffer read: output stops at U+0000
    ["😀 a", "😀a"],
  ]);
});
