// Provenance before statistics: what differs between the two runs' records (model file, engine
// and harness versions, settings that change numbers, dataset checksums), shown before any test,
// and whether the differences in scores are expected (another model) or suspicious (the same
// model file and settings, yet different numbers).

import type { ResultsDocument } from "../results/document.js";
import type { RunScores } from "../results/read.js";

export interface ProvenanceRow {
  what: string;
  baseline: string;
  new: string;
  /** Whether this field can change scores (threads and the file's path cannot). */
  changesNumbers: boolean;
}

export type ProvenanceAssessment =
  /** Same model file, same settings, same numbers. */
  | "identical"
  /** Different model files: differences in scores are what is being measured. */
  | "expected"
  /** Same model file, settings that change numbers differ: small differences are expected. */
  | "settings"
  /** Same model file and settings, yet different numbers. */
  | "suspicious";

export interface Provenance {
  /** Every field compared; `differs` rows first when rendered. */
  rows: (ProvenanceRow & { differs: boolean })[];
  sameModel: boolean;
  assessment: ProvenanceAssessment;
  message: string;
}

const ENGINE_FIELDS: { key: string; what: string; changesNumbers: boolean }[] = [
  { key: "kvCacheType", what: "KV cache type", changesNumbers: true },
  { key: "flashAttention", what: "flash attention", changesNumbers: true },
  { key: "batchSize", what: "batch size", changesNumbers: true },
  { key: "contextSize", what: "context size", changesNumbers: true },
  { key: "gpu", what: "GPU", changesNumbers: true },
  // Kernels of another instruction set round differently (cpuVariant.ts).
  { key: "cpuVariant", what: "CPU kernels", changesNumbers: true },
  { key: "mmap", what: "memory-mapped weights", changesNumbers: false },
  { key: "threads", what: "threads", changesNumbers: false },
];

const show = (v: unknown): string => (v === undefined || v === null ? "–" : typeof v === "string" ? v : JSON.stringify(v));

function datasetChecksums(doc: ResultsDocument): Map<string, string> {
  const out = new Map<string, string>();
  for (const records of Object.values(doc.rakuten_eval.datasets)) for (const d of records) out.set(`${d.dataset} ${d.split}`, d.sha256);
  return out;
}

/** `rescore`'s record of a run's source: its results file and the version that wrote it ("–" for a run scored with the model). */
function rescoredFromText(doc: ResultsDocument): string {
  const from = doc.rakuten_eval.rescored_from;
  return from ? `${from.file} (${from.harness.name} ${from.harness.version}${from.harness.git_commit ? ` ${from.harness.git_commit.slice(0, 10)}` : ""})` : "–";
}

/**
 * Compare the two runs' records. `numbersDiffer`: whether any shared task's score or per-doc
 * outcome differs (decided by the caller from the comparison rows). Null for a published baseline
 * (the paper records none of this).
 */
export function provenanceOf(newRun: RunScores, baseRun: RunScores, numbersDiffer: boolean): Provenance | null {
  const a = baseRun.doc;
  const b = newRun.doc;
  if (!a || !b) return null;
  const ea = a.rakuten_eval.engine as Record<string, unknown>;
  const eb = b.rakuten_eval.engine as Record<string, unknown>;
  const rows: ProvenanceRow[] = [
    { what: "model sha256", baseline: show(ea.modelSha256), new: show(eb.modelSha256), changesNumbers: true },
    { what: "model file", baseline: show(ea.modelPath), new: show(eb.modelPath), changesNumbers: false },
    { what: "engine", baseline: `${show(ea.engine)} ${show(ea.engineVersion)}`, new: `${show(eb.engine)} ${show(eb.engineVersion)}`, changesNumbers: true },
    {
      what: "harness",
      baseline: `${a.rakuten_eval.harness.name} ${a.rakuten_eval.harness.version}${a.rakuten_eval.harness.git_commit ? ` (${a.rakuten_eval.harness.git_commit.slice(0, 10)})` : ""}`,
      new: `${b.rakuten_eval.harness.name} ${b.rakuten_eval.harness.version}${b.rakuten_eval.harness.git_commit ? ` (${b.rakuten_eval.harness.git_commit.slice(0, 10)})` : ""}`,
      changesNumbers: true,
    },
    ...ENGINE_FIELDS.map((f) => ({ what: f.what, baseline: show(ea[f.key]), new: show(eb[f.key]), changesNumbers: f.changesNumbers })),
    // A rescored run's responses are its source's; its harness row says which version scored them.
    { what: "rescored from", baseline: rescoredFromText(a), new: rescoredFromText(b), changesNumbers: false },
  ];
  const da = datasetChecksums(a);
  const db = datasetChecksums(b);
  let differing = 0;
  let shared = 0;
  for (const [ref, sha] of da) {
    const other = db.get(ref);
    if (other === undefined) continue;
    shared++;
    if (other !== sha) differing++;
  }
  rows.push({
    what: "dataset checksums",
    baseline: `${da.size} files`,
    new: differing === 0 ? `${db.size} files, ${shared} shared, all equal` : `${differing} of ${shared} shared files differ`,
    changesNumbers: true,
  });
  const marked = rows.map((r) => ({ ...r, differs: r.what === "dataset checksums" ? differing > 0 : r.baseline !== r.new }));
  const sameModel = ea.modelSha256 === eb.modelSha256;
  const numeric = marked.filter((r) => r.differs && r.changesNumbers && r.what !== "model sha256").map((r) => r.what);
  let assessment: ProvenanceAssessment;
  let message: string;
  if (!sameModel) {
    assessment = "expected";
    message = "different model files: differences in scores are what this comparison measures";
    if (numeric.length > 0) message += ` (also different: ${numeric.join(", ")}, which move scores too)`;
  } else if (numeric.length > 0) {
    assessment = "settings";
    const verbs = numeric.length === 1 ? "differs, which changes" : "differ, which change";
    message = `same model file; ${numeric.join(", ")} ${verbs} log-likelihoods in their last bits: small differences are expected, significant ones are suspicious`;
  } else if (numbersDiffer) {
    assessment = "suspicious";
    message = "SUSPICIOUS: same model file, engine, harness and settings, yet different numbers; check the datasets, the cache and the hardware (a deterministic harness gives the same numbers for the same record)";
  } else {
    assessment = "identical";
    message = "same model file, engine, harness and settings; same numbers";
  }
  return { rows: marked, sameModel, assessment, message };
}
