// A large set of runs for the report's explorer, built from real prompts: the requests that
// `rakuten-eval prompts` builds from ../shared/datasets, scaled up to a full suite's doc count
// by copies whose own question is marked (so that each copy is a distinct doc, while few-shot
// examples are shared as they are within a task), with made-up answers per run. Nothing here
// comes from the report code: scores are made up, and the samples lines are written as
// src/run/runOutput.ts writes them.

import { writeFileSync } from "node:fs";
import path from "node:path";
import { promptRecords } from "../../src/inspect/prompts.js";
import { writeRun, type FixtureTask } from "./compareFixtures.js";

interface RealDoc {
  docId: number;
  context: string;
  continuations: string[];
  generate: boolean;
}

export interface SyntheticSuite {
  dirs: string[];
  docs: number;
  tasks: number;
  /** How many times each real doc is there (itself and its marked copies). */
  copies: number;
}

async function realDocs(task: string, limit: number, dataDir: string): Promise<RealDoc[]> {
  const docs: RealDoc[] = [];
  for await (const r of promptRecords({ task, limit, dataDir })) {
    let doc = docs[docs.length - 1];
    if (!doc || doc.docId !== r.doc_id) {
      doc = { docId: r.doc_id, context: r.context, continuations: [], generate: r.type === "generate" };
      docs.push(doc);
    }
    if (r.continuation !== undefined) doc.continuations.push(r.continuation);
  }
  return docs;
}

/** A small deterministic hash to make up answers: the same inputs give the same answers. */
function mix(...xs: number[]): number {
  let h = 2166136261;
  for (const x of xs) h = Math.imul(h ^ (x & 0xffffffff), 16777619) >>> 0;
  h ^= h >>> 13;
  return Math.imul(h, 0x5bd1e995) >>> 0;
}

/** Mark the doc's own question (the paragraph before the answer cue, or the last one). */
function marked(context: string, copy: number): string {
  if (copy === 0) return context;
  const parts = context.split(/(?<=\n\n)/);
  const i = Math.max(0, parts.length - 2);
  parts[i] = parts[i]!.replace(/(\n\n)?$/, ` [copy ${copy}]$1`);
  return parts.join("");
}

/**
 * `runs` runs of `tasks` (name → real docs to take), scaled to about `totalDocs` docs, written
 * as results.json plus samples_<task>.jsonl into root/run-<i>. The prompt is written on each
 * doc's first request only (the explorer reads it from there), which keeps the files small.
 */
export async function writeSyntheticSuite(root: string, dataDir: string, tasks: Record<string, number>, runs: number, totalDocs: number): Promise<SyntheticSuite> {
  const real = new Map<string, RealDoc[]>();
  for (const [task, limit] of Object.entries(tasks)) real.set(task, await realDocs(task, limit, dataDir));
  const realCount = [...real.values()].reduce((a, d) => a + d.length, 0);
  const copies = Math.max(1, Math.round(totalDocs / realCount));
  const dirs: string[] = [];
  let docs = 0;
  for (let run = 0; run < runs; run++) {
    const fixtureTasks: FixtureTask[] = [];
    const files: [string, string][] = [];
    docs = 0;
    for (const [task, taskDocs] of real) {
      const lines: string[] = [];
      let correct = 0;
      const metric = taskDocs[0]?.generate ? "exact_match" : "acc";
      for (let copy = 0; copy < copies; copy++) {
        for (const d of taskDocs) {
          const docId = d.docId + copy * 100_000;
          const context = marked(d.context, copy);
          // Runs agree on most docs: run k departs from the baseline on about k docs in 8.
          const seed = mix(docId, mix(...Buffer.from(task)), mix(run, docId) % 8 < run ? run : 0);
          let line: object;
          if (d.generate) {
            const right = seed % 5 === 0;
            const generation = right ? "正解" : `答え ${seed % 7}`;
            if (right) correct++;
            line = {
              task, doc_id: docId, shuffled_index: docs, shot_ids: [], doc: { target: "正解" }, request_hashes: ["h"],
              requests: [{ context, until: ["\n"], maxTokens: 32 }], responses: [generation], metrics: { exact_match: right ? 100 : 0 },
            };
          } else {
            const gold = mix(docId, 7) % d.continuations.length;
            const logprobs = d.continuations.map((_, k) => -((mix(seed, k) % 4000) / 100 + 1));
            const pick = logprobs.indexOf(Math.max(...logprobs));
            if (pick === gold) correct++;
            line = {
              task, doc_id: docId, shuffled_index: docs, shot_ids: [], doc: { gold, target: d.continuations[gold], choices: d.continuations }, request_hashes: ["h"],
              requests: d.continuations.map((continuation, k) => ({ type: "loglikelihood", context: k === 0 ? context : "", continuation, tokenization: "separate" })),
              responses: logprobs.map((logprob) => ({ logprob, isGreedy: false })),
              metrics: { acc: pick === gold ? 1 : 0 },
            };
          }
          lines.push(JSON.stringify(line));
          docs++;
        }
      }
      files.push([`samples_${task}.jsonl`, lines.join("\n") + "\n"]);
      const n = lines.length;
      fixtureTasks.push({ key: task, task, metric, score: (100 * correct) / n, stderr: 100 * Math.sqrt(((correct / n) * (1 - correct / n)) / n), n });
    }
    const dir = writeRun(path.join(root, `run-${run}`), { modelPath: `/models/synthetic-${run}.gguf`, label: `run ${run}`, tasks: fixtureTasks });
    for (const [name, content] of files) writeFileSync(path.join(dir, name), content);
    dirs.push(dir);
  }
  return { dirs, docs, tasks: real.size, copies };
}
