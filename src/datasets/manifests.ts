// Reads the dataset manifests shipped in the package's `datasets/` folder (one `<id>.json` each).
// They are package data, not user input: a malformed one is a packaging bug, so it throws a plain Error.

import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DatasetError } from "../util/errors.js";
import type { DataFileRef } from "../api/task.js";
import type { DatasetManifest, PartialSplitFile, RecordFormat, SplitEntry, SplitFile } from "./manifestTypes.js";

const RECORD_FORMATS: ReadonlySet<RecordFormat> = new Set<RecordFormat>(["jsonl", "squad_nested", "json_array", "tsv_question_answer", "mmlu_csv", "jaqket_dpr"]);

let manifestDirCache: string | undefined;
const manifestCache = new Map<string, DatasetManifest>();
let allLoaded = false;

/**
 * The package's `datasets/` folder. The module runs from `dist/src/datasets/` after a build (and
 * could be bundled elsewhere), so walk up to the folder holding package.json rather than count `..`.
 */
export function manifestDir(): string {
  if (manifestDirCache !== undefined) return manifestDirCache;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, "datasets");
    if (existsSync(path.join(dir, "package.json")) && existsSync(candidate) && statSync(candidate).isDirectory()) {
      manifestDirCache = candidate;
      return candidate;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`rakuten-eval: no datasets/ folder next to a package.json above ${fileURLToPath(import.meta.url)}; the package is incomplete, reinstall it.`);
    dir = parent;
  }
}

/** The manifest `datasets/<id>.json`; an unknown id is a DatasetError naming the known ones. */
export function loadManifest(id: string): DatasetManifest {
  const cached = manifestCache.get(id);
  if (cached) return cached;
  const file = path.join(manifestDir(), `${id}.json`);
  if (!/^[A-Za-z0-9_.-]+$/.test(id) || !existsSync(file)) {
    throw new DatasetError("missing", file, `unknown dataset "${id}": no manifest ${file} (known: ${manifestIds().join(", ")}).`);
  }
  const manifest = readManifestFile(file);
  if (manifest.id !== id) throw new Error(`${file}: manifest id "${manifest.id}" does not match its file name.`);
  manifestCache.set(id, manifest);
  return manifest;
}

/** Every manifest, sorted by id. */
export function allManifests(): DatasetManifest[] {
  if (!allLoaded) {
    for (const id of manifestIds()) loadManifest(id);
    allLoaded = true;
  }
  return [...manifestCache.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The split entry `ref.split` of manifest `ref.dataset`; an unknown split names the known ones. */
export function splitEntry(dataset: string, split: string): SplitEntry {
  const manifest = loadManifest(dataset);
  const entry = manifest.splits[split];
  if (!entry) {
    const names = Object.keys(manifest.splits);
    const shown = names.length > 12 ? `${names.slice(0, 12).join(", ")}, … (${names.length} in all)` : names.join(", ");
    throw new DatasetError("missing", `${dataset}/${split}`, `dataset "${dataset}" has no split "${split}" (splits: ${shown}).`);
  }
  return entry;
}

function manifestIds(): string[] {
  return readdirSync(manifestDir())
    .filter((name) => name.endsWith(".json"))
    .map((name) => name.slice(0, -".json".length))
    .sort();
}

function readManifestFile(file: string): DatasetManifest {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message}).`);
  }
  return checkManifest(value, file);
}

/** Enough shape checking that a typo in a manifest fails here, with the field named, not deep in a run. */
function checkManifest(value: unknown, file: string): DatasetManifest {
  const fail = (what: string): never => {
    throw new Error(`${file}: ${what}.`);
  };
  if (!isObject(value)) return fail("expected a JSON object");
  for (const key of ["id", "title", "license"] as const) if (typeof value[key] !== "string") fail(`"${key}" must be a string`);
  const source = value["source"];
  if (!isObject(source) || typeof source["name"] !== "string" || typeof source["revision"] !== "string" || typeof source["url"] !== "string") {
    fail(`"source" must have string name, revision and url`);
  }
  const splits = value["splits"];
  if (!isObject(splits) || Object.keys(splits).length === 0) return fail(`"splits" must be a non-empty object`);
  for (const [name, entry] of Object.entries(splits)) {
    const partial = isObject(entry) ? entry["partial"] : undefined;
    checkSplitFile(entry, `${file}: split "${name}"`);
    if (partial !== undefined) {
      if (!Array.isArray(partial)) fail(`split "${name}": "partial" must be an array`);
      (partial as unknown[]).forEach((p, i) => {
        const where = `${file}: split "${name}" partial[${i}]`;
        const note = isObject(p) ? p["note"] : undefined;
        const officialRecords = isObject(p) ? p["officialRecords"] : undefined;
        checkSplitFile(p, where);
        if (typeof note !== "string" || typeof officialRecords !== "number") throw new Error(`${where}: needs a string "note" and a number "officialRecords".`);
      });
    }
  }
  return value as unknown as DatasetManifest;
}

function checkSplitFile(value: unknown, where: string): asserts value is SplitFile | PartialSplitFile {
  const fail = (what: string): never => {
    throw new Error(`${where}: ${what}.`);
  };
  if (!isObject(value)) return fail("expected an object");
  if (typeof value["path"] !== "string" || value["path"].startsWith("/") || value["path"].split("/").includes("..")) fail(`"path" must be a relative path inside the data directory`);
  if (!RECORD_FORMATS.has(value["format"] as RecordFormat)) fail(`unknown "format" ${JSON.stringify(value["format"])}`);
  const sha = value["sha256"];
  if (!(sha === null || (typeof sha === "string" && /^[0-9a-f]{64}$/.test(sha)))) fail(`"sha256" must be 64 lowercase hex digits or null`);
  const blob = value["gitBlobSha1"];
  if (blob !== undefined && !(typeof blob === "string" && /^[0-9a-f]{40}$/.test(blob))) fail(`"gitBlobSha1" must be 40 lowercase hex digits`);
  if (!Number.isInteger(value["records"]) || (value["records"] as number) < 0) fail(`"records" must be a non-negative integer`);
  if (value["bytes"] !== undefined && !Number.isInteger(value["bytes"])) fail(`"bytes" must be an integer`);
  if (value["topLevelKey"] !== undefined && typeof value["topLevelKey"] !== "string") fail(`"topLevelKey" must be a string`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Every split of the given manifests (all manifests when `datasets` is absent). */
export function datasetRefs(datasets?: string[]): DataFileRef[] {
  const manifests = datasets ? datasets.map((id) => loadManifest(id)) : allManifests();
  return manifests.flatMap((m) => Object.keys(m.splits).map((split) => ({ dataset: m.id, split })));
}
