// The per-document explorer section of report.html: the data as one inline JSON script, and a
// small inline script that renders one page of docs at a time (search, filters, paging), so a
// full suite's 30,000 docs cost parsing one task's JSON and 20 rendered cards, not 30,000 DOM subtrees.

import { escapeHtml } from "../htmlText.js";
import { FLAG_ALL_WRONG, FLAG_CHANGED, FLAG_DISAGREE, scriptSafeJson, type ExplorerData } from "./data.js";

export const EXPLORER_CSS = `
#explorer .ex-controls { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; margin: .5rem 0 1rem; }
#explorer select, #explorer input[type=search] { font: inherit; padding: .2rem .4rem; }
#explorer input[type=search] { min-width: 16rem; }
#explorer .ex-info { color: #4b5563; font-size: .9rem; }
#explorer button { font: inherit; padding: .15rem .6rem; }
article.doc { border: 1px solid #e5e7eb; border-radius: 6px; padding: .5rem .75rem; margin: .6rem 0; }
article.doc header { display: flex; flex-wrap: wrap; gap: .25rem .8rem; align-items: baseline; font-size: .9rem; }
article.doc .q { white-space: pre-wrap; margin: .4rem 0; font-size: .9rem; }
article.doc pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, "Noto Sans Mono CJK JP", "Noto Sans CJK JP", "MS Gothic", monospace; white-space: pre-wrap; word-break: break-word; background: #f9fafb; padding: .5rem; font-size: .8rem; max-height: 24rem; overflow: auto; }
article.doc table { border-collapse: collapse; font-size: .85rem; font-variant-numeric: tabular-nums; margin: .3rem 0; }
article.doc th, article.doc td { border: 1px solid #e5e7eb; padding: .2rem .45rem; text-align: right; vertical-align: top; }
article.doc td.text, article.doc th.text { text-align: left; white-space: pre-wrap; word-break: break-word; max-width: 40rem; }
article.doc tr.gold td.text { font-weight: 600; }
article.doc td.pick { background: #e0ecfb; font-weight: 600; }
.badge { font-size: .75rem; border-radius: 3px; padding: 0 .35rem; background: #fef3c7; color: #92400e; }
.ok { color: #166534; }
.bad { color: #b91c1c; }
`;

/** The page's script: plain ES2017, no template literals (it lives in one). */
const CLIENT = `
(function () {
  var started = performance.now();
  var index = JSON.parse(document.getElementById("explorer-index").textContent);
  var RUNS = index.runs, PAGE = 20, loaded = {};
  /** A task's docs and strings, parsed when the task is first shown. */
  function task(i) {
    if (!loaded[i]) {
      var source = document.getElementById("explorer-task-" + i);
      if (!source) return { s: [], docs: [], name: index.tasks[i].name, metric: "", kind: "mc" }; // still being read
      var t = JSON.parse(source.textContent);
      t.name = index.tasks[i].name; t.metric = index.tasks[i].metric; t.kind = index.tasks[i].kind;
      loaded[i] = t;
    }
    return loaded[i];
  }
  var $ = function (id) { return document.getElementById(id); };
  var sel = $("ex-task"), search = $("ex-search"), filter = $("ex-filter"), list = $("ex-list"), info = $("ex-info"), prev = $("ex-prev"), next = $("ex-next");
  var state = { task: 0, page: 0, rows: [] };
  var haystacks = {};
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; }
  function prompt(S, d) { var out = ""; for (var i = 0; i < d[1].length; i++) out += S[d[1][i]]; return out; }
  function haystack(ti) {
    if (haystacks[ti]) return haystacks[ti];
    var t = task(ti), S = t.s, docs = t.docs, out = new Array(docs.length);
    for (var i = 0; i < docs.length; i++) {
      var d = docs[i], parts = [String(d[0]), prompt(S, d)];
      for (var c = 0; c < d[2].length; c++) parts.push(S[d[2][c]]);
      if (d[4] >= 0) parts.push(S[d[4]]);
      if (t.kind === "gen") for (var r = 0; r < d[6].length; r++) if (d[6][r]) parts.push(S[d[6][r][1]]);
      out[i] = parts.join("\\n").toLowerCase();
    }
    return (haystacks[ti] = out);
  }
  function refilter() {
    var t = task(state.task), bit = Number(filter.value), needle = search.value.trim().toLowerCase();
    var h = needle ? haystack(state.task) : null, rows = [];
    for (var i = 0; i < t.docs.length; i++) {
      if (bit && !(t.docs[i][5] & bit)) continue;
      if (h && h[i].indexOf(needle) < 0) continue;
      rows.push(i);
    }
    state.rows = rows; state.page = 0; render();
  }
  function verdict(v) { return v > 0 ? "✓ " + v : "✗ " + v; }
  function card(t, d) {
    var S = t.s, a = el("article", "doc"), head = el("header");
    head.appendChild(el("strong", "", "doc " + d[0]));
    if (d[4] >= 0) head.appendChild(el("span", "", "gold: " + S[d[4]]));
    else if (d[3] >= 0 && d[2][d[3]] !== undefined) head.appendChild(el("span", "", "gold: " + S[d[2][d[3]]]));
    if (d[5] & ${FLAG_DISAGREE}) head.appendChild(el("span", "badge", "runs disagree"));
    if (d[5] & ${FLAG_ALL_WRONG}) head.appendChild(el("span", "badge", "all wrong"));
    if (d[5] & ${FLAG_CHANGED}) head.appendChild(el("span", "badge", "changed since baseline"));
    a.appendChild(head);
    // The doc's own part of the prompt: its last paragraphs (after the few-shot examples), up to 3 or 600 characters.
    var own = "", k = d[1].length - 1;
    while (k >= 0 && (own === "" || (d[1].length - k <= 3 && own.length + S[d[1][k]].length <= 600))) { own = S[d[1][k]] + own; k--; }
    a.appendChild(el("div", "q", own.length > 600 ? own.slice(own.length - 600) : own));
    var det = el("details"), p = prompt(S, d);
    det.appendChild(el("summary", "", "full prompt (" + p.length + " characters, " + d[1].length + " paragraphs)"));
    det.appendChild(el("pre", "", p));
    a.appendChild(det);
    var table = el("table"), tr = el("tr"), r, row, c;
    if (t.kind === "mc") {
      tr.appendChild(el("th", "text", "choice"));
      for (r = 0; r < RUNS.length; r++) tr.appendChild(el("th", "", RUNS[r]));
      table.appendChild(tr);
      for (c = 0; c < d[2].length; c++) {
        row = el("tr", c === d[3] ? "gold" : "");
        row.appendChild(el("td", "text", (c === d[3] ? "★ " : "") + S[d[2][c]]));
        for (r = 0; r < RUNS.length; r++) {
          var ans = d[6][r];
          row.appendChild(ans ? el("td", ans[1] === c ? "pick" : "", (ans[1] === c ? "▶ " : "") + ans[2 + c]) : el("td", "", "–"));
        }
        table.appendChild(row);
      }
      row = el("tr"); row.appendChild(el("th", "text", t.metric));
      for (r = 0; r < RUNS.length; r++) row.appendChild(d[6][r] ? el("td", d[6][r][0] > 0 ? "ok" : "bad", verdict(d[6][r][0])) : el("td", "", "–"));
      table.appendChild(row);
    } else {
      tr.appendChild(el("th", "text", "run")); tr.appendChild(el("th", "text", "generation")); tr.appendChild(el("th", "", t.metric));
      table.appendChild(tr);
      for (r = 0; r < RUNS.length; r++) {
        row = el("tr"); row.appendChild(el("th", "text", RUNS[r]));
        row.appendChild(el("td", "text", d[6][r] ? S[d[6][r][1]] : "–"));
        row.appendChild(d[6][r] ? el("td", d[6][r][0] > 0 ? "ok" : "bad", verdict(d[6][r][0])) : el("td", "", "–"));
        table.appendChild(row);
      }
    }
    a.appendChild(table);
    return a;
  }
  function render() {
    var t = task(state.task), n = state.rows.length, pages = Math.max(1, Math.ceil(n / PAGE));
    var from = state.page * PAGE, to = Math.min(n, from + PAGE), frag = document.createDocumentFragment();
    for (var i = from; i < to; i++) frag.appendChild(card(t, t.docs[state.rows[i]]));
    list.textContent = "";
    list.appendChild(frag);
    info.textContent = n === 0 ? "no docs match" : "docs " + (from + 1) + "–" + to + " of " + n + " (page " + (state.page + 1) + " of " + pages + ")";
    prev.disabled = state.page === 0; next.disabled = state.page >= pages - 1;
    list.setAttribute("data-task", t.name); list.setAttribute("data-matches", String(n));
  }
  index.tasks.forEach(function (t, i) { var o = el("option", "", t.name + " (" + t.n + " docs)"); o.value = String(i); sel.appendChild(o); });
  sel.addEventListener("change", function () { state.task = Number(sel.value); refilter(); });
  filter.addEventListener("change", refilter);
  var timer = 0;
  search.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refilter, 150); });
  prev.addEventListener("click", function () { if (state.page > 0) { state.page--; render(); } });
  next.addEventListener("click", function () { state.page++; render(); });
  // The view can be linked: #task=<name>&filter=disagree|all-wrong|changed&q=<text>&page=<n>.
  var FILTERS = { disagree: "${FLAG_DISAGREE}", "all-wrong": "${FLAG_ALL_WRONG}", changed: "${FLAG_CHANGED}" };
  var params = new URLSearchParams(location.hash.slice(1));
  index.tasks.forEach(function (t, i) { if (t.name === params.get("task")) { state.task = i; sel.value = String(i); } });
  if (FILTERS[params.get("filter")]) filter.value = FILTERS[params.get("filter")];
  if (params.get("q")) search.value = params.get("q");
  function init() {
    refilter();
    var page = Number(params.get("page") || 1) - 1;
    if (page > 0 && page * PAGE < state.rows.length) { state.page = page; render(); }
    // A linked view opens on the explorer.
    if (location.hash.length > 1) document.getElementById("explorer").scrollIntoView();
    // Read back by the test (--dump-dom): milliseconds from navigation to the first rendered page.
    document.documentElement.setAttribute("data-explorer-ready-ms", String(Math.round(performance.now())));
    document.documentElement.setAttribute("data-explorer-timing", "script start " + Math.round(started) + " ms");
  }
  // The first task's data comes before this script, the others after it: the first page is shown
  // while the browser still reads the rest of the file.
  document.addEventListener("DOMContentLoaded", function () {
    document.documentElement.setAttribute("data-explorer-loaded-ms", String(Math.round(performance.now())));
  });
  if (index.tasks.length > 0) {
    if (document.getElementById("explorer-task-" + state.task)) init();
    else document.addEventListener("DOMContentLoaded", init);
  }
})();
`;

export function renderExplorer(data: ExplorerData): string {
  const docs = data.tasks.reduce((a, t) => a + t.docs.length, 0);
  const taskScripts = data.tasks.map((t, i) => `<script type="application/json" id="explorer-task-${i}">${scriptSafeJson({ s: t.s, docs: t.docs })}</script>`);
  if (docs === 0) {
    return `<section id="explorer"><h2>Documents</h2><p class="sub">The runs have no samples files beside their results, so there are no documents to show.</p></section>`;
  }
  return `<section id="explorer">
<h2>Documents</h2>
<p class="sub">${docs} docs of ${data.tasks.length} tasks from the runs' samples files. ▶ marks each run's highest log-likelihood, ★ the gold choice; ✓/✗ is the task's metric for the doc. “Changed since baseline” compares every run with the first, ${escapeHtml(data.runs[0] ?? "")}.</p>
<div class="ex-controls">
<label>Task <select id="ex-task"></select></label>
<label>Search <input type="search" id="ex-search" placeholder="text in prompt, choices, gold, generations"></label>
<label>Show <select id="ex-filter"><option value="0">all docs</option><option value="${FLAG_DISAGREE}">runs disagree</option><option value="${FLAG_ALL_WRONG}">all wrong</option><option value="${FLAG_CHANGED}">changed since baseline</option></select></label>
<button type="button" id="ex-prev">← previous</button><button type="button" id="ex-next">next →</button>
<span class="ex-info" id="ex-info"></span>
</div>
<div id="ex-list"></div>
<script type="application/json" id="explorer-index">${scriptSafeJson({ runs: data.runs, tasks: data.tasks.map((t) => ({ name: t.name, metric: t.metric, kind: t.kind, n: t.docs.length })) })}</script>
${taskScripts[0] ?? ""}
<script>${CLIENT}</script>
${taskScripts.slice(1).join("\n")}
</section>`;
}
