// JSON over HTTP to one or more replicas of a server, with Node's built-in fetch. Each call
// goes to the replica with the fewest calls in flight; a call that fails on a network error
// (connection refused or reset, a dropped body, a timeout) or gets 408, 429 or a 5xx is sent
// again (to any replica) after an exponential backoff with full jitter, or after the server's
// Retry-After when it gives one. Anything else is not retried: a 4xx is the server's final
// answer, an unknown host name will not resolve on the next try, and an error of this program
// (a body that cannot be serialised, a URL fetch refuses) would only repeat. A call either
// returns one parsed answer or throws: the caller never sees half an answer, so nothing it
// commits can be counted twice.

/** An answer the server refused for good (4xx other than 408/429): retrying cannot help. */
export class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
    readonly detail: string,
  ) {
    super(`${url} answered HTTP ${status}: ${detail}`);
    this.name = "HttpRefusal";
  }
}

/** Why a call failed for good after network or server errors: the URL and the last cause. */
export class HttpFailure extends Error {
  constructor(
    message: string,
    readonly url: string,
    /** The last attempt's cause: an HTTP status, a network error code (ECONNREFUSED, ENOTFOUND…), or a timeout. */
    readonly last: { status?: number; code?: string; timedOut?: boolean; detail: string },
  ) {
    super(message);
    this.name = "HttpFailure";
  }
}

/** HTTP statuses sent again: the request timed out at the server, too many requests, or a server error. */
export function isRetriedStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export interface HttpOptions {
  /** Replica base URLs, each ending in its API root (e.g. `http://host:8000/v1`). */
  baseUrls: string[];
  /** Bearer token sent in `Authorization` (never logged). */
  apiKey?: string;
  /** Per attempt, in milliseconds. */
  timeoutMs: number;
  /** Attempts per call before giving up (default 8). */
  attempts?: number;
  /** First backoff in milliseconds (default 500); doubles per attempt, capped at `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Retries and their causes, one line each (no key, no body). */
  log?: (line: string) => void;
  /** Jitter source, replaceable for tests (default Math.random). */
  random?: () => number;
}

/** A failed attempt that may be sent again, with what the final error reports if it is the last. */
interface Retry {
  retry: string;
  waitMs: number | null;
  url: string;
  last: HttpFailure["last"];
}

interface Replica {
  /** The OpenAI-style API root (…/v1). */
  api: string;
  /** The server root, where native endpoints live (`/generate`, `/version`, `/tokenize`). */
  root: string;
  inFlight: number;
}

/** `http://h:8000/v1` and `http://h:8000` both name the server at `http://h:8000`. */
export function replicaRoots(baseUrl: string): { api: string; root: string } {
  const trimmed = baseUrl.replace(/\/+$/, "");
  const root = trimmed.replace(/\/v1$/, "");
  return { api: `${root}/v1`, root };
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (header === null || header.trim() === "") return null;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

function oneLine(text: string, max = 300): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** The server's own message from an error body (`{"error": {"message"}}`, `{"message"}`, `{"detail"}`), else the text. */
function errorDetail(body: string): string {
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    const error = parsed.error;
    if (error && typeof error === "object" && typeof (error as Record<string, unknown>).message === "string") return oneLine((error as Record<string, string>).message);
    for (const key of ["message", "detail", "error"]) if (typeof parsed[key] === "string") return oneLine(parsed[key]);
  } catch {
    // not JSON: the text itself
  }
  return oneLine(body) || "(empty body)";
}

/**
 * A network failure of fetch, or null for anything else (an error of this program, or a URL
 * fetch refuses, such as a blocked port: neither changes on a retry). Node's fetch rejects with
 * a TypeError whose `cause` carries the system or undici error code (ECONNREFUSED,
 * UND_ERR_SOCKET…), and with a TimeoutError when `AbortSignal.timeout` fires.
 */
function networkFailure(error: unknown): { code?: string; timedOut?: boolean; detail: string; retry: boolean } | null {
  if (!(error instanceof Error)) return null;
  if (error.name === "TimeoutError") return { timedOut: true, detail: "timed out", retry: true };
  const cause = (error as Error & { cause?: unknown }).cause;
  const code = cause && typeof cause === "object" ? (cause as { code?: unknown }).code : undefined;
  if (typeof code !== "string") return null;
  const detail = cause instanceof Error && cause.message ? cause.message : `${error.message} (${code})`;
  // The resolver said the name does not exist (EAI_AGAIN, a resolver that did not answer, is retried).
  return { code, detail, retry: code !== "ENOTFOUND" };
}

export class HttpClient {
  private readonly replicas: Replica[];
  private next = 0;
  /** HTTP calls sent, retries included (for the run's log and tests). */
  attemptsMade = 0;
  retriesMade = 0;

  constructor(private readonly options: HttpOptions) {
    if (options.baseUrls.length === 0) throw new Error("internal error: no base URL");
    this.replicas = options.baseUrls.map((url) => ({ ...replicaRoots(url), inFlight: 0 }));
  }

  get replicaCount(): number {
    return this.replicas.length;
  }

  /** The least busy replica; ties go round-robin. */
  private pick(): Replica {
    let best: Replica | undefined;
    for (let k = 0; k < this.replicas.length; k++) {
      const replica = this.replicas[(this.next + k) % this.replicas.length]!;
      if (best === undefined || replica.inFlight < best.inFlight) best = replica;
    }
    this.next = (this.next + 1) % this.replicas.length;
    return best!;
  }

  private headers(json: boolean): Record<string, string> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (json) headers["content-type"] = "application/json";
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    return headers;
  }

  /** One attempt on one replica; a retryable failure comes back as `{ retry }`. */
  private async attempt(replica: Replica, base: "api" | "root", path: string, body: unknown): Promise<{ value: unknown } | Retry> {
    const url = `${base === "api" ? replica.api : replica.root}${path}`;
    // Serialised before the attempt: a body that cannot be (a BigInt, a cycle) throws here, once.
    const payload = body !== undefined ? JSON.stringify(body) : undefined;
    this.attemptsMade++;
    replica.inFlight++;
    try {
      const response = await fetch(url, {
        method: payload === undefined ? "GET" : "POST",
        headers: this.headers(payload !== undefined),
        ...(payload !== undefined ? { body: payload } : {}),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      const text = await response.text();
      if (response.ok) {
        try {
          return { value: JSON.parse(text) as unknown };
        } catch {
          // A body cut short by a dropped connection: the same request again.
          const detail = `unreadable JSON body (${text.length} bytes)`;
          return { retry: `${url}: ${detail}`, waitMs: null, url, last: { status: response.status, detail } };
        }
      }
      const detail = errorDetail(text);
      if (isRetriedStatus(response.status)) {
        return { retry: `${url}: HTTP ${response.status} ${detail}`, waitMs: retryAfterMs(response.headers.get("retry-after")), url, last: { status: response.status, detail } };
      }
      throw new HttpRefusal(response.status, url, detail);
    } catch (error) {
      const network = networkFailure(error);
      if (network === null) throw error;
      const { retry, ...last } = network;
      if (!retry) throw new HttpFailure(`${url}: ${last.detail}`, url, last);
      return { retry: `${url}: ${last.detail}`, waitMs: null, url, last };
    } finally {
      replica.inFlight--;
    }
  }

  /**
   * GET (no body) or POST a JSON body to `path` under the API root or the server root of a
   * replica; the parsed answer. Throws `HttpRefusal` at once for a 4xx, or an Error naming the
   * last cause when every attempt failed.
   */
  async call(base: "api" | "root", path: string, body?: unknown, attempts = this.options.attempts ?? 8): Promise<unknown> {
    const backoff = this.options.backoffMs ?? 500;
    const maxBackoff = this.options.maxBackoffMs ?? 30_000;
    const random = this.options.random ?? Math.random;
    let last: Retry | undefined;
    for (let k = 0; k < attempts; k++) {
      const outcome = await this.attempt(this.pick(), base, path, body);
      if ("value" in outcome) return outcome.value;
      last = outcome;
      if (k === attempts - 1) break;
      this.retriesMade++;
      const ceiling = Math.min(maxBackoff, backoff * 2 ** k);
      const wait = outcome.waitMs ?? ceiling * random();
      this.options.log?.(`retry ${k + 1}/${attempts - 1} in ${(wait / 1000).toFixed(1)} s: ${last.retry}`);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    throw new HttpFailure(`the inference server failed ${attempts} times; last: ${last!.retry}. Check that it is up, or raise --timeout.`, last!.url, last!.last);
  }
}
