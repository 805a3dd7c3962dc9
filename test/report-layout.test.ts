// The report's charts with 1, 3 and 8 runs: a 95% error bar on every bar that has a standard
// error, and no label box overlapping another label, a foreign bar or a foreign error bar, as
// Chromium lays them out (boxes measured in the page by an injected script). Screenshots at
// 1400 and 800 px wide go to $REPORT_SCREENSHOT_DIR when set (to look at), else a temp folder.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PAPER_AVERAGES, PAPER_SUITES, SUITE_IDS } from "../src/paper/suites.js";
import { writeReport, type ReportOutcome } from "../src/report/write.js";
import { tempDir, writeRun, type FixtureTask } from "./support/compareFixtures.js";
import { chromium, dumpDom, NO_CHROMIUM, screenshot } from "./support/chromium.js";
import { countColor, readPng } from "./support/png.js";

/** Run r scores every paper column: 30 + 7·r + 5·column (so neighbours differ), stderr 2 + column/2. */
function runs(count: number): string[] {
  const root = tempDir(`layout-${count}`);
  const columns = SUITE_IDS.flatMap((id) => PAPER_SUITES[id].columns);
  return Array.from({ length: count }, (_, r) => {
    const tasks: FixtureTask[] = columns.map((c, k) => ({ key: c.key, task: c.task, metric: c.metric, score: Math.min(99, 30 + 7 * r + 5 * k), stderr: 2 + k / 2, n: 100 }));
    const averages = PAPER_AVERAGES.map((a) => ({ id: a.id, value: 50 + r, tasks: [...a.columns] }));
    return writeRun(path.join(root, `run${r}`), { modelPath: `/models/model-${r}.gguf`, label: `run ${r + 1}`, tasks, averages });
  });
}

function report(count: number, published: string[]): ReportOutcome {
  return writeReport({ results: runs(count), published, outputDir: tempDir(`layout-out-${count}`), generated: "2024-03-25T12:00:00Z", noExplorer: true });
}

/** Measures, in the page, every pair of label boxes and every label against foreign bars and error bars. */
const CHECK = `<script>
(function () {
  function box(e) { var r = e.getBoundingClientRect(); return { l: r.left, t: r.top, r: r.right, b: r.bottom }; }
  function hit(a, b) { return a.l < b.r - 0.01 && b.l < a.r - 0.01 && a.t < b.b - 0.01 && b.t < a.b - 0.01; }
  function name(e) { return e.getAttribute("class") + ":" + (e.getAttribute("data-series") || "") + "/" + (e.getAttribute("data-column") || "") + ":" + e.textContent; }
  var overlaps = [], labels = 0, above = 0;
  document.querySelectorAll("svg.chart").forEach(function (svg) {
    var texts = Array.prototype.slice.call(svg.querySelectorAll("text"));
    var boxes = texts.map(box);
    labels += texts.length;
    for (var i = 0; i < texts.length; i++) for (var j = i + 1; j < texts.length; j++) if (hit(boxes[i], boxes[j])) overlaps.push(name(texts[i]) + " x " + name(texts[j]));
    svg.querySelectorAll("text.value").forEach(function (t) {
      var tb = box(t);
      svg.querySelectorAll("rect.bar, path.ci").forEach(function (e) {
        var own = e.getAttribute("data-series") === t.getAttribute("data-series") && e.getAttribute("data-column") === t.getAttribute("data-column");
        var eb = box(e);
        if (!own && hit(tb, eb)) overlaps.push(name(t) + " x " + name(e));
        if (own && tb.b > eb.t + 0.5) overlaps.push(name(t) + " not above " + name(e)); else if (own) above++;
      });
    });
  });
  document.body.setAttribute("data-layout", JSON.stringify({ labels: labels, above: above, overlaps: overlaps.slice(0, 20), count: overlaps.length }));
})();
</script>`;

function layoutIn(out: ReportOutcome, width: number): { labels: number; above: number; overlaps: string[]; count: number } {
  const page = path.join(path.dirname(out.htmlPath), `check-${width}.html`);
  writeFileSync(page, out.html.replace("</body>", `${CHECK}</body>`));
  const dom = dumpDom(page, width);
  const json = /data-layout="([^"]*)"/.exec(dom)?.[1];
  assert.ok(json, "the check script did not run");
  return JSON.parse(json.replace(/&quot;/g, '"').replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">"));
}

test("every bar of a run has its 95% interval (score ± 1.959964 standard errors); the paper's 0/1 figures have theirs", () => {
  const out = report(3, ["rakutenai-7b"]);
  const html = out.html;
  for (let r = 1; r <= 3; r++) {
    const bars = html.match(new RegExp(`<rect class="bar" data-series="run ${r}"`, "g")) ?? [];
    const cis = html.match(new RegExp(`<path class="ci" data-series="run ${r}"`, "g")) ?? [];
    // 12 task columns and 3 averages, each with a standard error.
    assert.equal(bars.length, 15);
    assert.equal(cis.length, bars.length, `run ${r}: ${cis.length} error bars for ${bars.length} bars`);
  }
  // run 1, JCommonsenseQA (column 0): 30 ± 1.959964 · 2 = [26.08, 33.92].
  assert.match(html, /<path class="ci" data-series="run 1" data-column="jcommonsenseqa" data-low="26\.08" data-high="33\.92"/);
  // The paper's JCommonsenseQA 84.27 on 1119 docs: se = sqrt(.8427 · .1573 / 1119) = 1.0884 points, ± 2.1332.
  assert.match(html, /<path class="ci" data-series="rakuten-ai-7b \(paper\)" data-column="jcommonsenseqa" data-low="82\.14" data-high="86\.40"/);
  // XLSum's ROUGE-2 is not 0/1: the paper's figure alone gives no interval.
  assert.doesNotMatch(html, /<path class="ci" data-series="rakuten-ai-7b \(paper\)" data-column="xlsum_ja"/);
});

for (const [count, published] of [
  [1, []],
  [3, ["rakutenai-7b", "rakuten-ai-7b-instruct"]],
  [8, ["rakutenai-7b", "rakuten-ai-7b-instruct"]],
] as const) {
  test(`Chromium: no label overlaps another label, a foreign bar or error bar, with ${count} run(s) and ${published.length} published`, { skip: chromium === null && NO_CHROMIUM }, (t) => {
    const out = report(count, [...published]);
    for (const width of count === 8 ? [1400, 800] : [1400]) {
      const layout = layoutIn(out, width);
      t.diagnostic(`${count} runs at ${width} px: ${layout.labels} labels, ${layout.above} value labels above their bars and error bars, ${layout.count} overlaps`);
      assert.deepEqual(layout.overlaps, [], `${layout.count} overlaps at ${width} px`);
      // Every value label is checked against its own bar (and error bar): the check ran on all of them.
      const bars = (out.html.match(/<rect class="bar/g) ?? []).length;
      assert.ok(layout.above >= bars, `${layout.above} label-above checks for ${bars} bars`);
    }
  });
}

test("Chromium screenshots at 1400 and 800 px: 8 runs' bars in their colours", { skip: chromium === null && NO_CHROMIUM }, (t) => {
  const out = report(8, ["rakutenai-7b", "rakuten-ai-7b-instruct"]);
  const dir = process.env.REPORT_SCREENSHOT_DIR ?? tempDir("layout-shots");
  mkdirSync(dir, { recursive: true });
  for (const width of [1400, 800]) {
    const png = path.join(dir, `report-8-runs-${width}.png`);
    screenshot(out.htmlPath, png, width, 1300);
    const bytes = statSync(png).size;
    const img = readPng(readFileSync(png));
    t.diagnostic(`${png}: ${img.width}×${img.height}, ${bytes} bytes`);
    assert.equal(img.width, width);
    assert.ok(bytes > 20_000, `${bytes} bytes: an empty page?`);
    // The first JA chart is in view at both widths: each run's colour fills its bars.
    for (const color of ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"]) {
      assert.ok(countColor(img, color) > 100, `${color} at ${width} px: ${countColor(img, color)} pixels`);
    }
  }
});
