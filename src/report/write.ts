// `rakuten-eval report`: load the runs and the published rows, build the report model and
// write report.md and report.html (with the per-document explorer of the runs' samples).

import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { UserError } from "../util/errors.js";
import { distinctLabels, publishedScores, runScores } from "../results/read.js";
import { buildExplorerData } from "./explorer/data.js";
import { renderReportHtml } from "./html.js";
import { renderReportMarkdown } from "./markdown.js";
import { buildReportModel, type ReportModel } from "./model.js";

export interface ReportOptions {
  /** results.json files or run folders. */
  results: string[];
  /** Published model ids or aliases (without the `published:` prefix). */
  published: string[];
  outputDir: string;
  title?: string;
  /** ISO timestamp shown on the page (tests pin it). */
  generated?: string;
  /** Leave the per-document explorer out of report.html (default: in, from the runs' samples files). */
  noExplorer?: boolean;
}

export interface ReportOutcome {
  model: ReportModel;
  markdown: string;
  html: string;
  markdownPath: string;
  htmlPath: string;
}

export function writeReport(options: ReportOptions): ReportOutcome {
  if (options.results.length === 0) throw new UserError("usage", "Give at least one results.json (or run folder) to report on.");
  const runs = options.results.map((r) => runScores(r));
  distinctLabels(runs);
  const published = options.published.map((id) => publishedScores(id.startsWith("published:") ? id : `published:${id}`));
  const model = buildReportModel(runs, published, options.generated ?? new Date().toISOString(), options.title);
  if (model.suites.length === 0 && model.extras.length === 0) {
    throw new UserError("usage", `${options.results.join(", ")}: no scores to report (the runs have no summary rows).`);
  }
  const markdown = renderReportMarkdown(model);
  const html = renderReportHtml(model, options.noExplorer ? null : buildExplorerData(runs));
  const markdownPath = path.join(options.outputDir, "report.md");
  const htmlPath = path.join(options.outputDir, "report.html");
  try {
    mkdirSync(options.outputDir, { recursive: true });
    writeFileSync(markdownPath, markdown);
    writeFileSync(htmlPath, html);
  } catch (err) {
    throw new UserError("output", `cannot write the report to ${options.outputDir} (${(err as Error).message}); choose another --output folder.`);
  }
  return { model, markdown, html, markdownPath, htmlPath };
}
