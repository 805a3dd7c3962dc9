// The scoring-semantics version: a sha256 over the code that turns requests into tokens,
// context cells, scores and generations, read from this installed copy of the package at
// run time. It is part of the backend description and so of every cache key: any change
// to that code (a fixed truncation rule, another stop-string cut) makes earlier answers
// unreachable, with no version string to remember to edit.
//
// The files hashed are the seeds below and every module they import, transitively, from
// this folder down (src/backend/**): the compiled .js of an installed package (its `dist/`
// ships no sources), or the .ts files when run from sources. Comments count too; a change
// that cannot move a number merely costs a recomputation.

import { createHash } from "node:crypto";
import { readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The modules where requests become tokens and scores (relative to src/backend, no extension). */
export const SCORING_SEMANTICS_SEEDS: readonly string[] = [
  "tokenization",
  "planning/planner",
  "planning/layout",
  "llama/scorer",
  "llama/generator",
  "llama/tokenizer",
  "llama/engine",
  "llama/backend",
];

/** The same for the remote backend: its own code plus the shared tokenization and planning it imports. */
export const REMOTE_SCORING_SEMANTICS_SEEDS: readonly string[] = ["tokenization", "remote/backend", "remote/protocol"];

export interface ScoringSemantics {
  /** sha256 (hex) over the files, each as `<relative path>\0<length>\0<bytes>`, sorted by path. */
  version: string;
  /** The files hashed, relative to the backend folder, sorted. */
  files: string[];
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.{1,2}\/[^"']+)["']/g;

/** The seeds and their relative imports inside `backendDir`, transitively. */
export function scoringSemanticsFiles(backendDir: string, extension: ".js" | ".ts", seeds: readonly string[] = SCORING_SEMANTICS_SEEDS): string[] {
  const found = new Set<string>();
  const pending = seeds.map((seed) => path.join(backendDir, seed + extension));
  while (pending.length > 0) {
    const file = pending.pop()!;
    const relative = path.relative(backendDir, file);
    if (found.has(relative) || relative.startsWith("..") || path.isAbsolute(relative)) continue;
    if (!existsSync(file)) throw new Error(`internal error: scoring code ${file} is missing from this installation`);
    found.add(relative);
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(IMPORT)) {
      const target = path.resolve(path.dirname(file), match[1]!.replace(/\.js$/, extension));
      pending.push(target);
    }
  }
  return [...found].sort();
}

/** The version over the files of `backendDir` (exported for tests, which hash a modified copy). */
export function scoringSemanticsOf(backendDir: string, extension: ".js" | ".ts", seeds: readonly string[] = SCORING_SEMANTICS_SEEDS): ScoringSemantics {
  const files = scoringSemanticsFiles(backendDir, extension, seeds);
  const hash = createHash("sha256");
  for (const file of files) {
    const bytes = readFileSync(path.join(backendDir, file));
    hash.update(`${file.split(path.sep).join("/")}\0${bytes.length}\0`).update(bytes);
  }
  return { version: hash.digest("hex"), files };
}

const memo = new Map<readonly string[], ScoringSemantics>();

/** The version of the code running now (computed once per process); the remote backend passes its own seeds. */
export function scoringSemantics(seeds: readonly string[] = SCORING_SEMANTICS_SEEDS): ScoringSemantics {
  let known = memo.get(seeds);
  if (known === undefined) {
    const self = fileURLToPath(import.meta.url);
    known = scoringSemanticsOf(path.dirname(self), self.endsWith(".ts") ? ".ts" : ".js", seeds);
    memo.set(seeds, known);
  }
  return known;
}
