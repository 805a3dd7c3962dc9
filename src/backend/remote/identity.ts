// Who the server is, asked before any work: the served model's /v1/models entry, which protocol
// it speaks (probes of SGLang's and vLLM's native endpoints), and what it says of itself. Every
// `--base-url` replica is asked, and replicas that report another model or server are refused.
// A probe finds an endpoint absent only when the server says so (404, or 405: the path is known
// for other methods only, as FastAPI answers); any other failure (a refused API key, a timeout, an
// unknown host, a server error) stops the run in one line naming the URL, the cause and the fix.

import { STATUS_CODES } from "node:http";
import { canonicalJson } from "../../cache/keys.js";
import { UserError } from "../../util/errors.js";
import { HttpClient, HttpFailure, HttpRefusal, type HttpOptions } from "./http.js";
import type { ServerKind } from "./protocol.js";

/** What the one-line messages need to name the fix. */
export interface ConnectionContext {
  /** Whether an API key was sent (--api-key-env). */
  apiKey: boolean;
  /** Seconds one attempt may take (--timeout). */
  timeoutSeconds: number;
}

/** What a replica reports of itself and its model; replicas of one server report the same. */
export interface ServerIdentity {
  kind: ServerKind;
  /** The stable part of the served model's /v1/models entry (no timestamps, no permission ids). */
  entry: Record<string, unknown>;
  /** What the server says of itself (version; SGLang's model and tokenizer paths). */
  report: Record<string, unknown>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function statusText(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? "HTTP error"}`;
}

/** One line for a call that failed for good: the URL, the status or cause, and the fix. */
export function connectionError(error: unknown, context: ConnectionContext): UserError {
  if (error instanceof HttpRefusal) {
    if (error.status === 401 || error.status === 403) {
      const sent = context.apiKey ? "the API key in the variable it names was refused" : "no API key was sent";
      return new UserError("usage", `${statusText(error.status)} from ${error.url}: check --api-key-env (${sent}; the server said: ${error.detail}).`);
    }
    return new UserError("usage", `${statusText(error.status)} from ${error.url} (${error.detail}): check --base-url (the server's API root, e.g. http://vllm:8000/v1) and --server.`);
  }
  if (error instanceof HttpFailure) {
    const { url, last } = error;
    if (last.timedOut) return new UserError("usage", `No answer from ${url} within --timeout ${context.timeoutSeconds} s: check that the server is up and not overloaded, or raise --timeout.`);
    if (last.code === "ENOTFOUND") return new UserError("usage", `The host of ${url} is not known (${last.detail}): check --base-url.`);
    if (last.code !== undefined) return new UserError("usage", `${last.detail} (${last.code}) from ${url}: check --base-url and that the server is up.`);
    if (last.status !== undefined && last.status >= 300) return new UserError("usage", `${statusText(last.status)} from ${url} (${last.detail}): the server failed; check its log, or that it is up.`);
    return new UserError("usage", `${url} answered ${last.detail}: check --base-url (the server's API root, e.g. http://vllm:8000/v1).`);
  }
  return error instanceof UserError ? error : new UserError("usage", error instanceof Error ? error.message : String(error));
}

/** `call`, with any failure turned into its one line. */
async function ask(http: HttpClient, base: "api" | "root", pathName: string, context: ConnectionContext, attempts?: number): Promise<unknown> {
  try {
    return await http.call(base, pathName, undefined, attempts);
  } catch (error) {
    if (error instanceof HttpRefusal || error instanceof HttpFailure) throw connectionError(error, context);
    throw error;
  }
}

/**
 * A native endpoint's JSON object, or null when the server does not have it: it answered 404 or
 * 405, or 200 with something other than a JSON object (a web page where the endpoint would be).
 * One attempt; any other failure is thrown as its one line.
 */
async function probe(http: HttpClient, pathName: string, context: ConnectionContext): Promise<Record<string, unknown> | null> {
  try {
    const value = await http.call("root", pathName, undefined, 1);
    return isRecord(value) ? value : null;
  } catch (error) {
    if (error instanceof HttpRefusal && (error.status === 404 || error.status === 405)) return null;
    if (error instanceof HttpFailure && error.last.status === 200) return null;
    if (error instanceof HttpRefusal || error instanceof HttpFailure) throw connectionError(error, context);
    throw error;
  }
}

/** Which protocol the server speaks, and what it says about itself (version, model path). */
export async function identifyServer(http: HttpClient, requested: ServerKind | "auto", context: ConnectionContext): Promise<{ kind: ServerKind; report: Record<string, unknown> }> {
  const sglang = requested === "auto" || requested === "sglang" ? await probe(http, "/get_model_info", context) : null;
  const sglangServer = sglang ? await probe(http, "/get_server_info", context) : null;
  const sglangReport = sglang ? { model_path: sglang.model_path, tokenizer_path: sglang.tokenizer_path, ...(sglangServer?.version !== undefined ? { version: sglangServer.version } : {}) } : null;
  if (requested === "sglang" || (requested === "auto" && sglang && typeof sglang.model_path === "string")) return { kind: "sglang", report: sglangReport ?? {} };
  const version = await probe(http, "/version", context);
  const report = version && typeof version.version === "string" ? { version: version.version } : {};
  if (requested !== "auto") return { kind: requested, report };
  return { kind: version && typeof version.version === "string" ? "vllm" : "openai-echo", report };
}

/** The stable part of the served model's /v1/models entry (no timestamps, no permission ids). */
function modelEntry(models: unknown, servedModel: string): Record<string, unknown> {
  const data = isRecord(models) && Array.isArray(models.data) ? models.data.filter(isRecord) : [];
  const entry = data.find((m) => m.id === servedModel);
  if (entry === undefined) {
    const names = data.map((m) => String(m.id)).join(", ") || "none";
    throw new UserError("usage", `--served-model ${servedModel} is not served there (its /v1/models lists: ${names}); pass one of those names.`);
  }
  const stable: Record<string, unknown> = {};
  for (const key of ["id", "root", "parent", "max_model_len", "owned_by"]) if (entry[key] !== undefined && entry[key] !== null) stable[key] = entry[key];
  return stable;
}

/** What one replica reports: its model entry, its protocol and its own report. */
async function identityOf(http: HttpClient, servedModel: string, requested: ServerKind | "auto", context: ConnectionContext): Promise<ServerIdentity> {
  const entry = modelEntry(await ask(http, "api", "/models", context), servedModel);
  const { kind, report } = await identifyServer(http, requested, context);
  return { kind, entry, report };
}

/** The fields on which two identities differ, as `name: a vs b`. */
function differences(a: ServerIdentity, b: ServerIdentity): string[] {
  const flat = (identity: ServerIdentity): Map<string, string> => {
    const out = new Map<string, string>([["server", identity.kind]]);
    for (const [key, value] of Object.entries(identity.entry)) out.set(key, canonicalJson(value));
    for (const [key, value] of Object.entries(identity.report)) if (value !== undefined) out.set(key, canonicalJson(value));
    return out;
  };
  const [fa, fb] = [flat(a), flat(b)];
  const names = [...new Set([...fa.keys(), ...fb.keys()])];
  return names.filter((n) => fa.get(n) !== fb.get(n)).map((n) => `${n}: ${fa.get(n) ?? "(none)"} vs ${fb.get(n) ?? "(none)"}`);
}

/**
 * Asks every replica who it is (in parallel) and returns the identity they share; replicas that
 * differ in anything they report (the model's id, root, max_model_len; the server's kind and
 * version) are refused in one line naming the first two that differ and how.
 */
export async function replicaIdentity(
  options: Omit<HttpOptions, "baseUrls"> & { baseUrls: string[] },
  servedModel: string,
  requested: ServerKind | "auto",
  context: ConnectionContext,
): Promise<ServerIdentity> {
  const identities = await Promise.all(options.baseUrls.map((url) => identityOf(new HttpClient({ ...options, baseUrls: [url] }), servedModel, requested, context)));
  const first = identities[0]!;
  for (let r = 1; r < identities.length; r++) {
    const differ = differences(first, identities[r]!);
    if (differ.length > 0) {
      throw new UserError(
        "usage",
        `--base-url ${options.baseUrls[0]} and --base-url ${options.baseUrls[r]} serve different models (${differ.join("; ")}); give only replicas of one server and model, or run each separately.`,
      );
    }
  }
  return first;
}
