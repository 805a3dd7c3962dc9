// Whether a set of shard results can be merged into one run: every input is a finished shard
// whose samples are its own, the shards are 1..N of one N each exactly once, they agree on
// everything but the shard index (model, engine settings, harness, tasks, shots, versions,
// datasets, --limit, seeds, label), and together they score every planned doc exactly once.
// Each problem is one line; `merge` refuses (exit 2) while any stands.

import type { ResultsDocument } from "../results/document.js";
import { samplesFileProblems } from "../results/samplesFiles.js";
import type { ShardRecord } from "../shard/shard.js";

export interface LoadedShard {
  /** The argument as given (a folder or a results file), used to name it in messages. */
  source: string;
  /** Its results file. */
  file: string;
  doc: ResultsDocument;
}

/** A shard whose results carry the shard record. */
export interface Shard extends LoadedShard {
  shard: ShardRecord;
}

const SAME_RUN = "merge only the shards of one run (the same command with --shard 1/N … N/N)";

function canonical(value: unknown): string {
  if (value === undefined) return "(none)";
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function shown(value: string): string {
  return value.length > 90 ? `${value.slice(0, 87)}…` : value;
}

/** Engine fields that name this machine rather than the numbers: the model's path, CPU threads. */
const PER_MACHINE_ENGINE_FIELDS = new Set(["modelPath", "threads", "modelSha256"]);

/**
 * What must be equal across the shards of one run, by a name for the message. Paths (the model
 * file's, the data folder's) and thread counts may differ between runners and are left out;
 * config fields derived from the samples (output_type, tokenization) are compared separately,
 * as a shard with no doc of a task has none.
 */
function agreementFields(doc: ResultsDocument, shard: ShardRecord): Map<string, string> {
  const out = new Map<string, string>();
  const field = (name: string, value: unknown) => out.set(name, canonical(value));
  field("model sha256", doc.config.model_sha256);
  for (const [key, value] of Object.entries(doc.rakuten_eval.engine)) if (!PER_MACHINE_ENGINE_FIELDS.has(key)) field(`engine ${key}`, value);
  field("harness version", `${doc.rakuten_eval.harness.name} ${doc.rakuten_eval.harness.version}`);
  field("harness git commit", doc.rakuten_eval.harness.git_commit);
  field("--limit", doc.config.limit);
  field("seeds", { random_seed: doc.config.random_seed, numpy_seed: doc.config.numpy_seed, bootstrap_iters: doc.config.bootstrap_iters });
  field("label", doc.rakuten_eval.label);
  field("the shard rule", shard.rule);
  field("tasks", shard.tasks.map((t) => t.task));
  field("skipped tasks", doc.rakuten_eval.skipped.map((s) => s.task));
  for (const t of shard.tasks) {
    field(`${t.task} shots`, { shots: t.shots, requested: t.requested_shots, note: t.shots_note });
    field(`${t.task} version`, doc.versions[t.task]);
    field(`${t.task} docs`, { eval_split: t.n_original, after_limit: t.planned_docs });
    const { output_type: _o, tokenization: _t, num_fewshot: _n, requested_num_fewshot: _r, version: _v, ...config } = doc.configs[t.task] ?? {};
    field(`${t.task} settings`, config);
    const split = (s: ShardRecord["tasks"][number]["splits"]["eval"] | undefined) => s && { sha256: s.sha256, records: s.records, verified: s.verified, partial: s.partial, warnings: s.warnings };
    field(`${t.task} datasets`, { eval: split(t.splits.eval), fewshot: split(t.splits.fewshot) });
  }
  return out;
}

function listed(positions: number[]): string {
  return positions.length > 6 ? `${positions.slice(0, 6).join(", ")}, …` : positions.join(", ");
}

/** Count and index problems: one N for all, each of 1..N given exactly once. */
function indexProblems(shards: Shard[]): string[] {
  const counts = new Map<number, Shard>();
  for (const s of shards) if (!counts.has(s.shard.count)) counts.set(s.shard.count, s);
  if (counts.size > 1) {
    const [a, b] = [...counts.values()];
    return [`shards disagree on the shard count: ${a!.source} is shard ${a!.shard.index}/${a!.shard.count}, ${b!.source} is shard ${b!.shard.index}/${b!.shard.count}; ${SAME_RUN}.`];
  }
  const count = shards[0]!.shard.count;
  const problems: string[] = [];
  for (let i = 1; i <= count; i++) {
    const given = shards.filter((s) => s.shard.index === i);
    if (given.length > 1) problems.push(`shard ${i}/${count} is given ${given.length} times (${given.map((s) => s.source).join(", ")}); give each shard's folder once.`);
    if (given.length === 0) problems.push(`shard ${i}/${count} is missing; add the --output folder of \`run --shard ${i}/${count}\` (rerun it if it failed).`);
  }
  return problems;
}

/** Settings on which some shard differs from the first one: one line per setting. */
function settingProblems(shards: Shard[]): string[] {
  const fields = shards.map((s) => agreementFields(s.doc, s.shard));
  const names = new Set(fields.flatMap((f) => [...f.keys()]));
  const problems: string[] = [];
  const differs = (name: string) => new Set(fields.map((f) => f.get(name) ?? "(none)")).size > 1;
  // One line for a cause, not one per consequence: another model has another tokenizer and
  // context (engine fields), another --limit other doc counts.
  const derived = (name: string) => (differs("model sha256") && name.startsWith("engine ")) || (differs("--limit") && name.endsWith(" docs"));
  for (const name of names) {
    if (derived(name)) continue;
    const firstBy = new Map<string, Shard>();
    shards.forEach((s, i) => {
      const v = fields[i]!.get(name) ?? "(none)";
      if (!firstBy.has(v)) firstBy.set(v, s);
    });
    if (firstBy.size < 2) continue;
    const [[va, a], [vb, b]] = [...firstBy.entries()] as [string, Shard][];
    problems.push(`shards disagree on ${name}: ${a.source} has ${shown(va)}, ${b.source} has ${shown(vb)}; ${SAME_RUN}.`);
  }
  // Tokenization is recorded only where a shard scored a doc of the task.
  for (const task of new Set(shards.flatMap((s) => s.shard.tasks.map((t) => t.task)))) {
    const seen = new Map<string, Shard>();
    for (const s of shards) {
      const rule = s.doc.configs[task]?.tokenization;
      if (typeof rule === "string" && !seen.has(rule)) seen.set(rule, s);
    }
    if (seen.size > 1) {
      const [[ra, a], [rb, b]] = [...seen.entries()] as [string, Shard][];
      problems.push(`shards disagree on ${task} tokenization: ${a.source} has ${ra}, ${b.source} has ${rb}; ${SAME_RUN}.`);
    }
  }
  return problems;
}

/** Every planned doc of every task in exactly one shard. */
function coverageProblems(shards: Shard[]): string[] {
  const problems: string[] = [];
  shards[0]!.shard.tasks.forEach((t, ti) => {
    const owners = new Map<number, string[]>();
    for (const s of shards) for (const p of s.shard.tasks[ti]?.shuffled_indices ?? []) owners.set(p, [...(owners.get(p) ?? []), s.source]);
    const twice = [...owners.entries()].filter(([, o]) => o.length > 1).map(([p]) => p).sort((a, b) => a - b);
    const outside = [...owners.keys()].filter((p) => !(p >= 0 && p < t.planned_docs)).sort((a, b) => a - b);
    const none: number[] = [];
    for (let p = 0; p < t.planned_docs; p++) if (!owners.has(p)) none.push(p);
    if (twice.length > 0) {
      problems.push(`${t.task}: ${twice.length} doc(s) are in more than one shard (shuffled positions ${listed(twice)}, in ${[...new Set(twice.flatMap((p) => owners.get(p)!))].join(", ")}); ${SAME_RUN}.`);
    }
    if (none.length > 0) problems.push(`${t.task}: ${none.length} of its ${t.planned_docs} docs are in no shard (shuffled positions ${listed(none)}); ${SAME_RUN}.`);
    if (outside.length > 0) problems.push(`${t.task}: shard docs at shuffled positions ${listed(outside)} lie beyond the run's ${t.planned_docs} docs; ${SAME_RUN}.`);
  });
  return problems;
}

/**
 * Everything that keeps `loaded` from merging into one run, one line each (empty when none).
 * Later checks run only when the earlier ones pass, so each cause is named once.
 */
export function mergeProblems(loaded: LoadedShard[]): string[] {
  const problems: string[] = [];
  const shards: Shard[] = [];
  for (const s of loaded) {
    const shard = s.doc.rakuten_eval.shard;
    if (!shard) {
      problems.push(`${s.file} is not a shard's results (written by \`run\` without --shard${s.doc.rakuten_eval.merged_shards ? `; merged from ${s.doc.rakuten_eval.merged_shards} shards already` : ""}); give only the --output folders of \`run --shard i/N\`.`);
      continue;
    }
    if (s.doc.rakuten_eval.complete === false) {
      problems.push(`${s.source} is shard ${shard.index}/${shard.count} but incomplete (${s.doc.rakuten_eval.incomplete_reason ?? "rakuten_eval.complete is false"}); rerun that shard's command to finish it, then merge.`);
    }
    problems.push(...samplesFileProblems(s.file, s.doc));
    shards.push({ ...s, shard });
  }
  if (problems.length > 0 || shards.length === 0) return problems;
  problems.push(...indexProblems(shards), ...settingProblems(shards));
  if (problems.length > 0) return problems;
  return coverageProblems(shards);
}
