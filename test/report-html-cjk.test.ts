// Japanese text in report.html as Chromium draws it: real glyphs, not tofu. Without a font that
// has the kanji, every kanji is drawn as the same .notdef box (□), so two different kanji give
// identical pixels, and the same pixels as a code point that has no glyph in any font (U+0378,
// unassigned). The check draws kanji in the report's own styles (the body's font stack, and the
// explorer's <pre> for full prompts), screenshots them and compares the cells pixel by pixel.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { writeReport } from "../src/report/write.js";
import { tempDir, writeRun } from "./support/compareFixtures.js";
import { chromium, NO_CHROMIUM, screenshot } from "./support/chromium.js";
import { readPng, type Image } from "./support/png.js";

/** Kanji that look nothing alike, then U+0378, which no font has: its cell is the .notdef box. */
const KANJI = ["水", "火", "青", "問"];
const NO_GLYPH = "\u0378";
const CELL = 64;

function japaneseReport(): string {
  const root = tempDir("cjk");
  const choices = ["赤", "青", "緑"];
  const run = writeRun(path.join(root, "run"), {
    modelPath: "/models/m.gguf",
    label: "m",
    tasks: [
      {
        key: "jcommonsenseqa",
        task: "jcommonsenseqa-1.1-0.3",
        metric: "acc",
        score: 100,
        n: 1,
        samples: [1],
        choices: [{ context: "質問: 空の色は？\n答え:", continuations: choices, logprobs: [-5, -1, -6] }],
        describe: [{ gold: 1, target: "青", choices }],
      },
    ],
  });
  return writeReport({ results: [run], published: [], outputDir: tempDir("cjk-out"), generated: "2024-03-25T12:00:00Z" }).htmlPath;
}

/** One row of cells, each character centred in a CELL×CELL box. */
const cells = (chars: string[]): string =>
  chars.map((c) => `<span style="display:inline-block;width:${CELL}px;height:${CELL}px;text-align:center;color:#000">${c}</span>`).join("");

/** The report page with a probe on top: row 0 in the body's font, row 1 in the explorer's <pre>. */
function probePage(htmlPath: string): string {
  const chars = [...KANJI, NO_GLYPH];
  const box = `margin:0;padding:0;border:0;font-size:44px;line-height:${CELL}px;height:${CELL}px;white-space:nowrap;background:#fff`;
  const probe =
    `<div style="position:fixed;left:0;top:0;z-index:99;background:#fff;margin:0;padding:0;width:${CELL * chars.length}px">` +
    `<div style="${box}">${cells(chars)}</div>` +
    `<article class="doc" style="${box}"><pre style="${box};max-height:none;overflow:visible">${cells(chars)}</pre></article>` +
    `</div>`;
  const page = path.join(path.dirname(htmlPath), "probe.html");
  writeFileSync(page, readFileSync(htmlPath, "utf8").replace("</body>", `${probe}</body>`));
  return page;
}

/** A cell as a bit mask of its dark pixels. */
function ink(img: Image, row: number, col: number): boolean[] {
  const out: boolean[] = [];
  for (let y = row * CELL; y < (row + 1) * CELL; y++) {
    for (let x = col * CELL; x < (col + 1) * CELL; x++) {
      const o = (y * img.width + x) * 4;
      out.push(img.pixels[o]! + img.pixels[o + 1]! + img.pixels[o + 2]! < 3 * 128);
    }
  }
  return out;
}

const differing = (a: boolean[], b: boolean[]): number => a.reduce((n, v, i) => n + (v !== b[i] ? 1 : 0), 0);
const count = (a: boolean[]): number => a.filter(Boolean).length;

test("the report's CSS names CJK fonts in its font stack", () => {
  const html = readFileSync(japaneseReport(), "utf8");
  const body = /body \{[^}]*font-family:([^;]*);/.exec(html)?.[1] ?? "";
  assert.match(body, /"Noto Sans CJK JP"/);
  const pre = /pre \{[^}]*font-family:([^;]*);/.exec(html)?.[1] ?? "";
  assert.match(pre, /"Noto Sans Mono CJK JP"|"Noto Sans CJK JP"/, "the explorer's full prompts (<pre>) name a CJK font too");
});

test("Chromium draws the report's Japanese as real glyphs, not tofu (□)", { skip: chromium === null && NO_CHROMIUM }, () => {
  const page = probePage(japaneseReport());
  const png = path.join(path.dirname(page), "probe.png");
  screenshot(page, png, 800, 400);
  const img = readPng(readFileSync(png));
  for (const [row, where] of [
    [0, "body text"],
    [1, "the explorer's <pre>"],
  ] as const) {
    const notdef = ink(img, row, KANJI.length);
    const glyphs = KANJI.map((_, i) => ink(img, row, i));
    glyphs.forEach((g, i) => assert.ok(count(g) > 40, `${where}: ${KANJI[i]} drew ${count(g)} dark pixels`));
    // The mask of a 44 px kanji is hundreds of pixels; two different kanji differ in well over 100.
    for (let i = 0; i < KANJI.length; i++) {
      const vsTofu = differing(glyphs[i]!, notdef);
      assert.ok(vsTofu > 100, `${where}: ${KANJI[i]} is drawn like U+0378, the no-glyph box (${vsTofu} pixels differ): install a CJK font (fonts-noto-cjk)`);
      for (let j = i + 1; j < KANJI.length; j++) {
        const d = differing(glyphs[i]!, glyphs[j]!);
        assert.ok(d > 100, `${where}: ${KANJI[i]} and ${KANJI[j]} are drawn alike (${d} pixels differ): tofu, install a CJK font (fonts-noto-cjk)`);
      }
    }
  }
});
