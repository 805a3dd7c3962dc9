import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { writeReport } from "../src/report/write.js";
import { tempDir, writeRun, type FixtureTask } from "./support/compareFixtures.js";
import { countColor, readPng } from "./support/png.js";
import { chromium, NO_CHROMIUM, runChromium } from "./support/chromium.js";

/** Two runs with hand-set, easy-to-spot scores on both suites. */
function twoRuns(): { a: string; b: string } {
  const root = tempDir("report");
  const ja = (jnli: number, xlsum: number): FixtureTask[] => [
    { key: "jnli", task: "jnli-1.1-0.3", metric: "acc", score: jnli, stderr: 1.01, n: 2434 },
    { key: "xlsum_ja", task: "xlsum_ja-1.0-0.3", metric: "rouge2", score: xlsum, stderr: 0.42, n: 766 },
  ];
  const en = (arc: number): FixtureTask[] => [{ key: "arc_challenge", task: "arc_challenge", metric: "acc_norm", score: arc, stderr: 1.43, n: 1172 }];
  return {
    a: writeRun(path.join(root, "a"), { modelPath: "/models/RakutenAI-7B-Q8_0.gguf", tasks: [...ja(51.23, 13.57), ...en(58.76)] }),
    b: writeRun(path.join(root, "b"), {
      modelPath: "/models/RakutenAI-7B-Q4_K_M.gguf",
      tasks: [...ja(47.89, 12.34), ...en(57.01), { key: "jnli-1.3-0.3", task: "jnli-1.3-0.3", metric: "acc", score: 61.11, stderr: null, n: 2434 }],
    }),
  };
}

function report(outDir: string) {
  const { a, b } = twoRuns();
  return writeReport({ results: [a, b], published: ["rakutenai-7b"], outputDir: outDir, generated: "2024-03-25T12:00:00Z" });
}

test("Markdown summary: a table per suite with the runs and the paper's row", () => {
  const out = report(tempDir("md"));
  const md = readFileSync(out.markdownPath, "utf8");
  assert.match(md, /^## Japanese$/m);
  assert.match(md, /^## English$/m);
  assert.match(md, /^\| Model \| Shots \| JCommonsenseQA \(acc, 3-shot\) \| JNLI \(acc, 3-shot\) \| MARC-ja \(acc, 3-shot\) \|/m);
  assert.match(md, /^\| \*\*RakutenAI-7B-Q8_0\*\* \| as paper \| – \| 51\.23 ± 1\.01 \| – \| – \| – \| 13\.57 ± 0\.42 \| – \| – \| – \| – \|$/m);
  // Table 1, RakutenAI-7B: 84.27 48.69 96.29 79.09 80.67 14.08 77.16 22.40, Avg 62.83, 7-Avg 69.80
  assert.match(md, /^\| rakuten-ai-7b \(paper\) \| as paper \| 84\.27 \| 48\.69 \| 96\.29 \| 79\.09 \| 80\.67 \| 14\.08 \| 77\.16 \| 22\.40 \| 62\.83 \| 69\.80 \|$/m);
  // Table 2: 60.24 82.20 61.31 38.25, Avg 60.50
  assert.match(md, /^\| rakuten-ai-7b \(paper\) \| as paper \| 60\.24 \| 82\.20 \| 61\.31 \| 38\.25 \| 60\.50 \|$/m);
  // Extra tasks: the shots they ran with (jnli-1.3-0.3 is no paper column: 0 unless given).
  assert.match(md, /^\| RakutenAI-7B-Q4_K_M \| jnli-1\.3-0\.3 \| acc \| 0 \| 61\.11 \| 2434 \|$/m);
});

test("HTML page: self-contained, one inline SVG chart per suite, the numbers on it", () => {
  const out = report(tempDir("html"));
  const html = readFileSync(out.htmlPath, "utf8");
  const svgs = html.match(/<svg [^>]*>/g) ?? [];
  assert.equal(svgs.length, 2);
  assert.match(svgs[0]!, /id="chart-ja"/);
  assert.match(svgs[1]!, /id="chart-en"/);
  // Bars carry the values: the runs' and the paper's.
  for (const v of ["51.23", "47.89", "13.57", "12.34", "58.76", "57.01", "48.69", "14.08", "62.83", "60.24"]) {
    assert.match(html, new RegExp(`<rect class="bar"[^>]*data-value="${v.replace(".", "\\.")}"`), `bar ${v}`);
    assert.match(html, new RegExp(`<text class="value"[^>]*>${v.replace(".", "\\.")}</text>`), `label ${v}`);
  }
  // Nothing to fetch: no stylesheets, images, script files or other URLs (the SVG namespace is a name, not a fetch).
  assert.doesNotMatch(html, /<link|<img|<iframe|@import|src=/i);
  assert.doesNotMatch(html.replaceAll('xmlns="http://www.w3.org/2000/svg"', ""), /https?:\/\//);
  assert.match(html, /<style>[\s\S]*svg\.chart[\s\S]*<\/style>/);
});

test("Chromium renders the page: the DOM has both charts and the numbers", { skip: chromium === null && NO_CHROMIUM }, () => {
  const out = report(tempDir("dom"));
  const r = runChromium(["--dump-dom", `file://${path.resolve(out.htmlPath)}`]);
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  const dom = r.stdout;
  assert.match(dom, /<svg[^>]*id="chart-ja"/);
  assert.match(dom, /<svg[^>]*id="chart-en"/);
  for (const v of ["51.23", "47.89", "48.69", "58.76", "60.24", "60.50"]) assert.ok(dom.includes(`>${v}<`), `${v} not on the rendered page`);
  assert.match(dom, /<td[^>]*>51\.23<span class="se"> ± 1\.01<\/span><\/td>/);
});

test("Chromium screenshot: the bars are drawn in the runs' and the paper's colours", { skip: chromium === null && NO_CHROMIUM }, () => {
  const dir = tempDir("shot");
  const out = report(dir);
  const png = path.join(dir, "report.png");
  const r = runChromium(["--window-size=1280,1600", `--screenshot=${png}`, `file://${path.resolve(out.htmlPath)}`]);
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  const img = readPng(readFileSync(png));
  assert.equal(img.width, 1280);
  // Solid bars (JNLI, XLSum, ARC; 16 px wide, up to 260 px tall) in the first two run colours.
  // A 16×40 px bar alone is 560 pixels of its fill inside the outline.
  const blue = countColor(img, "#1f77b4");
  const red = countColor(img, "#d62728");
  assert.ok(blue > 1500, `run 1 colour: ${blue} pixels`);
  assert.ok(red > 1500, `run 2 colour: ${red} pixels`);
  // The published bars' outline colour (#6b7280) is on the page too.
  assert.ok(countColor(img, "#6b7280") > 200, "paper bars");
});

test("report shows shots and marks incomplete and not-comparable runs", () => {
  const root = tempDir("marks");
  const ok = writeRun(path.join(root, "full"), { modelPath: "/models/a.gguf", tasks: [{ key: "jnli", task: "jnli-1.1-0.3", metric: "acc", score: 50, n: 2434 }] });
  const odd = writeRun(path.join(root, "odd"), {
    modelPath: "/models/b.gguf",
    complete: false,
    limit: 20,
    tasks: [{ key: "jnli", task: "jnli-1.1-0.3", metric: "acc", score: 45, n: 20, shots: 1 }],
  });
  const out = writeReport({ results: [ok, odd], published: ["rakutenai-7b"], outputDir: tempDir("marks-out"), generated: "2024-03-25T12:00:00Z" });
  const md = out.markdown;
  // The paper's JNLI is 3-shot (Table 1); the odd run's 1-shot score is marked in its cell.
  assert.match(md, /\| JNLI \(acc, 3-shot\) \|/);
  assert.match(md, /^\| \*\*b\*\* ‡ \| JNLI 1 \(paper 3\) \| – \| 45\.00 \[1-shot\] \|/m);
  assert.match(md, /^\| \*\*a\*\* \| as paper \| – \| 50\.00 \|/m);
  assert.match(md, /^- \*\*b\*\*: .*\*\*incomplete run\*\*.*\*\*not comparable with the paper\*\* \(--limit 20; incomplete run; JNLI 1-shot \(paper 3\)\)/m);
  assert.doesNotMatch(md, /^- \*\*a\*\*: .*not comparable/m);
  assert.match(out.html, /not comparable with the paper: --limit 20; incomplete run; JNLI 1-shot \(paper 3\)/);
  assert.match(out.html, /<span class="note"> \[1-shot\]<\/span>/);
});
