// Fetches one source file to disk: resumable (bytes land in `<dest>.part`; a retry after a dropped
// connection asks for the rest with an HTTP Range request), with a progress bar on a terminal, and
// the Hugging Face token sent to the Hub only. Hub files go through @huggingface/hub (which also
// knows the Xet storage the Hub serves large files from); other hosts through plain fetch.

import { createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { downloadFile, fileDownloadInfo } from "@huggingface/hub";
import cliProgress from "cli-progress";
import { DatasetError } from "../util/errors.js";
import type { DownloadSpec } from "./manifestTypes.js";
import { describeFault, networkFault, SourceUnreachableError } from "./networkFault.js";
import { displayUrl, resolveSource, type SourceSettings } from "./sources.js";

export interface DownloadOptions {
  settings: SourceSettings;
  /** What the file is for, in messages (e.g. `jnli train`). */
  label: string;
  /** Draw a progress bar on stderr (only honoured when stderr is a terminal). */
  progress?: boolean;
  /** Attempts per file when the connection drops (each resumes where the last stopped). */
  attempts?: number;
  /** Progress lines for a non-terminal log; never receives the token. */
  log?: (line: string) => void;
}

/** Thrown for a source that answered but has no such file (HTTP 404, or the Hub's EntryNotFound). */
export class SourceMissingError extends DatasetError {
  constructor(file: string, message: string) {
    super("missing", file, message);
    this.name = "SourceMissingError";
  }
}

interface PartMeta {
  /** The pinned address the part belongs to (not the mirror's, and never the token). */
  source: string;
  etag?: string;
}

/**
 * Download `spec` to `dest` (atomically: the file appears only once complete). An existing
 * `<dest>.part` from an earlier, interrupted pull is resumed when it belongs to the same source.
 */
export async function downloadToFile(spec: DownloadSpec, dest: string, options: DownloadOptions): Promise<void> {
  const source = resolveSource(spec, options.settings);
  const part = `${dest}.part`;
  const metaFile = `${dest}.part.json`;
  await mkdir(path.dirname(dest), { recursive: true });

  const attempts = options.attempts ?? 4;
  let hubBlob: Blob | undefined;
  let etag: string | undefined;
  if (spec.kind === "hf") {
    const info = await hubCall(source.url, options.label, () =>
      fileDownloadInfo({ repo: { type: "dataset", name: spec.repo! }, path: spec.file!, revision: spec.revision!, hubUrl: options.settings.hfEndpoint, ...tokenParam(options.settings) }),
    );
    if (!info) throw new SourceMissingError(dest, `${options.label}: ${displayUrl(source.url)} does not exist on the Hub (${spec.repo}@${spec.revision}:${spec.file}); the file moved upstream or the mirror lacks it.`);
    etag = info.etag;
    const blob = await hubCall(source.url, options.label, () =>
      downloadFile({ repo: { type: "dataset", name: spec.repo! }, path: spec.file!, revision: spec.revision!, hubUrl: options.settings.hfEndpoint, downloadInfo: info, ...tokenParam(options.settings) }),
    );
    if (!blob) throw new SourceMissingError(dest, `${options.label}: ${displayUrl(source.url)} does not exist on the Hub.`);
    hubBlob = blob;
  }

  // Keep a part only if it was started from the same pinned source (and, on the Hub, the same ETag).
  let offset = 0;
  const meta: PartMeta = { source: source.canonical, ...(etag ? { etag } : {}) };
  try {
    const previous = JSON.parse(await readFile(metaFile, "utf8")) as PartMeta;
    if (previous.source === meta.source && previous.etag === meta.etag) offset = (await stat(part)).size;
  } catch {
    offset = 0;
  }
  if (offset === 0) await rm(part, { force: true });
  await writeFile(metaFile, JSON.stringify(meta));

  const bar = options.progress && process.stderr.isTTY ? new cliProgress.SingleBar({ format: `${options.label} [{bar}] {percentage}% {value}/{total} bytes`, stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
  let lastError: unknown;
  try {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        if (hubBlob) await fetchHubRange(hubBlob, part, offset, bar);
        else await fetchUrlRange(source.url, dest, part, offset, options.label, bar);
        await rename(part, dest);
        await rm(metaFile, { force: true });
        return;
      } catch (e) {
        // A fault a retry cannot cure (no DNS, refused, bad certificate): say so once; the part stays for a later resume.
        const fault = networkFault(e, source.url);
        if (fault?.permanent) throw new SourceUnreachableError(dest, fault);
        if (e instanceof DatasetError) {
          // Not a transfer fault (no such file, refused): nothing to resume.
          await rm(part, { force: true });
          await rm(metaFile, { force: true });
          throw e;
        }
        lastError = fault ? new Error(describeFault(fault)) : e;
        offset = await stat(part).then((s) => s.size, () => 0);
        if (attempt < attempts) {
          options.log?.(`${options.label}: connection lost after ${offset} bytes (${(lastError as Error).message}); resuming (attempt ${attempt + 1} of ${attempts}).`);
        }
      }
    }
  } finally {
    bar?.stop();
  }
  throw new DatasetError("missing", dest, `${options.label}: download of ${displayUrl(source.url)} failed after ${attempts} attempts (${(lastError as Error)?.message ?? "unknown error"}); rerun \`rakuten-eval datasets pull\` to resume it.`);
}

function tokenParam(settings: SourceSettings): { accessToken?: string } {
  return settings.hfToken ? { accessToken: settings.hfToken } : {};
}

/** Run a Hub client call, turning its errors into one line that names the file (never the token). */
async function hubCall<T>(url: string, label: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    const status = (e as { statusCode?: number }).statusCode;
    if (status === 404) throw new SourceMissingError(url, `${label}: ${displayUrl(url)} answered 404 Not Found; the file moved upstream or the mirror lacks it.`);
    if (status === 401 || status === 403) throw new DatasetError("missing", url, `${label}: ${displayUrl(url)} answered ${status}; the dataset may be gated: accept its terms on the Hub and set HF_TOKEN.`);
    const fault = networkFault(e, url);
    if (fault?.permanent) throw new SourceUnreachableError(url, fault);
    if (fault) throw new Error(describeFault(fault), { cause: e });
    throw e;
  }
}

async function fetchHubRange(blob: Blob, part: string, offset: number, bar: cliProgress.SingleBar | undefined): Promise<void> {
  const total = blob.size;
  if (offset > total) offset = 0;
  bar?.start(total, offset);
  if (offset === total) return;
  const body = blob.slice(offset).stream() as unknown as WebReadableStream<Uint8Array>;
  await writeBody(Readable.fromWeb(body), part, offset > 0, bar, offset);
  const got = (await stat(part)).size;
  if (got !== total) throw new Error(`got ${got} of ${total} bytes`);
}

async function fetchUrlRange(url: string, dest: string, part: string, offset: number, label: string, bar: cliProgress.SingleBar | undefined): Promise<void> {
  const response = await fetch(url, { redirect: "follow", headers: offset > 0 ? { Range: `bytes=${offset}-` } : {} });
  if (response.status === 404 || response.status === 410) {
    await response.body?.cancel();
    throw new SourceMissingError(dest, `${label}: ${displayUrl(url)} answered ${response.status} Not Found; the file moved upstream or the mirror lacks it.`);
  }
  if (response.status === 416 && offset > 0) {
    // The part already holds every byte (an earlier attempt died just before the rename).
    await response.body?.cancel();
    return;
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new DatasetError("missing", dest, `${label}: ${displayUrl(url)} answered ${response.status} ${response.statusText}.`);
  }
  // A server that ignores Range sends the whole file again: start over rather than append.
  const append = offset > 0 && response.status === 206;
  const start = append ? offset : 0;
  const length = Number(response.headers.get("content-length"));
  const total = Number.isFinite(length) && response.headers.get("content-length") !== null ? start + length : undefined;
  bar?.start(total ?? 0, start);
  if (!response.body) throw new Error("empty response body");
  await writeBody(Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>), part, append, bar, start);
  if (total !== undefined) {
    const got = (await stat(part)).size;
    if (got !== total) throw new Error(`got ${got} of ${total} bytes`);
  }
}

async function writeBody(body: Readable, part: string, append: boolean, bar: cliProgress.SingleBar | undefined, start: number): Promise<void> {
  let done = start;
  body.on("data", (chunk: Buffer) => {
    done += chunk.length;
    bar?.update(done);
  });
  await pipeline(body, createWriteStream(part, { flags: append ? "a" : "w" }));
}
