// Where `datasets pull` fetches from: the address of each manifest download, with every host
// redirectable (the Hugging Face Hub through HF_ENDPOINT, as the Hugging Face tools do; any other
// host through RAKUTEN_EVAL_SOURCE_MIRROR or --source-base), the Hub token, and the default cache
// folder. Nothing here touches the network.

import os from "node:os";
import path from "node:path";
import { UserError } from "../util/errors.js";
import type { DownloadSpec } from "./manifestTypes.js";

export const DEFAULT_HF_ENDPOINT = "https://huggingface.co";

/** The environment variable that redirects every non-Hub source host (same syntax as --source-base). */
export const SOURCE_MIRROR_ENV = "RAKUTEN_EVAL_SOURCE_MIRROR";

/**
 * How a source address is rewritten. `prefix`: every non-Hub URL `https://host/p` becomes
 * `<prefix>/host/p`. `map`: an exact origin (`https://raw.githubusercontent.com`) is replaced by
 * its target, other hosts are left alone.
 */
export interface SourceRedirect {
  prefix?: string;
  map: Map<string, string>;
}

export interface SourceSettings {
  /** The Hub's base URL, without a trailing slash (HF_ENDPOINT, default https://huggingface.co). */
  hfEndpoint: string;
  /** HF_TOKEN: sent as `Authorization: Bearer` to the Hub endpoint only; never logged or stored. */
  hfToken?: string;
  redirect: SourceRedirect;
}

/**
 * Parse a mirror setting: either one base URL (`http://mirror:8080/sources`, each host becomes a
 * folder under it) or a comma list of `origin=target` pairs
 * (`https://raw.githubusercontent.com=http://mirror/gh,https://people.eecs.berkeley.edu=http://mirror/berkeley`).
 */
export function parseSourceRedirect(value: string | undefined, where: string): SourceRedirect {
  const redirect: SourceRedirect = { map: new Map() };
  const text = value?.trim() ?? "";
  if (text === "") return redirect;
  if (!text.includes("=")) {
    redirect.prefix = checkBase(text, where);
    return redirect;
  }
  for (const pair of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UserError("usage", `${where}: "${pair}" is not origin=target (e.g. https://raw.githubusercontent.com=http://127.0.0.1:8080/gh).`);
    const from = checkBase(pair.slice(0, eq), where);
    const origin = new URL(from).origin;
    if (from !== origin) throw new UserError("usage", `${where}: "${pair.slice(0, eq)}" must be an origin (scheme://host[:port]) with no path.`);
    redirect.map.set(origin, checkBase(pair.slice(eq + 1), where));
  }
  return redirect;
}

function checkBase(raw: string, where: string): string {
  const trimmed = raw.trim().replace(/\/+$/, "");
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new UserError("usage", `${where}: "${raw}" is not a URL.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UserError("usage", `${where}: "${raw}" must be an http(s) URL.`);
  if (url.username || url.password) throw new UserError("usage", `${where}: put no credentials in a mirror URL.`);
  return trimmed;
}

/** Settings from the environment, with `--source-base` (when given) taking the place of RAKUTEN_EVAL_SOURCE_MIRROR. */
export function sourceSettings(env: NodeJS.ProcessEnv = process.env, sourceBase?: string): SourceSettings {
  const endpointRaw = env["HF_ENDPOINT"]?.trim();
  const hfEndpoint = endpointRaw ? checkBase(endpointRaw, "HF_ENDPOINT") : DEFAULT_HF_ENDPOINT;
  const token = env["HF_TOKEN"]?.trim();
  const redirect = sourceBase !== undefined ? parseSourceRedirect(sourceBase, "--source-base") : parseSourceRedirect(env[SOURCE_MIRROR_ENV], SOURCE_MIRROR_ENV);
  return { hfEndpoint, ...(token ? { hfToken: token } : {}), redirect };
}

/** The address a download spec is fetched from, after redirection; `hub` says whether the token may go with it. */
export interface ResolvedSource {
  url: string;
  hub: boolean;
  /** The address as pinned (before any redirect), for messages and the download cache key. */
  canonical: string;
}

export function resolveSource(spec: DownloadSpec, settings: SourceSettings): ResolvedSource {
  if (spec.kind === "hf") {
    if (!spec.repo || !spec.file || !spec.revision) throw new Error(`hf download spec needs repo, revision and file: ${JSON.stringify(spec)}`);
    // The Hub's resolve route, as huggingface_hub's hf_hub_url builds it: the revision is one
    // path segment (refs/convert/parquet is sent as refs%2Fconvert%2Fparquet).
    const route = `datasets/${spec.repo}/resolve/${encodeURIComponent(spec.revision)}/${spec.file.split("/").map(encodeURIComponent).join("/")}`;
    return { url: `${settings.hfEndpoint}/${route}`, hub: true, canonical: `${DEFAULT_HF_ENDPOINT}/${route}` };
  }
  if (!spec.url) throw new Error(`url download spec needs a url: ${JSON.stringify(spec)}`);
  return { url: redirectUrl(spec.url, settings.redirect), hub: false, canonical: spec.url };
}

export function redirectUrl(address: string, redirect: SourceRedirect): string {
  const url = new URL(address);
  const mapped = redirect.map.get(url.origin);
  if (mapped !== undefined) return mapped + address.slice(url.origin.length);
  if (redirect.prefix !== undefined) return `${redirect.prefix}/${url.host}${address.slice(url.origin.length)}`;
  return address;
}

/** `$XDG_CACHE_HOME/rakuten-eval/datasets`, else `~/.cache/rakuten-eval/datasets`. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env["XDG_CACHE_HOME"]?.trim();
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), ".cache");
  return path.join(base, "rakuten-eval", "datasets");
}

/** A URL fit for a message or log: no query string (signed CDN URLs carry credentials there). */
export function displayUrl(address: string): string {
  try {
    const url = new URL(address);
    return `${url.origin}${url.pathname}`;
  } catch {
    return address;
  }
}
