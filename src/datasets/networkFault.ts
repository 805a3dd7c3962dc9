// What a failed fetch means, in words a user can act on. Node's fetch (undici) reports every
// network fault as `TypeError: fetch failed` and keeps the reason (a DNS failure, a refused
// connection, a rejected certificate) in `cause.code`: without unwrapping it the user never
// learns that the machine is offline. Some faults cannot be cured by retrying at once (the name
// does not resolve, nothing listens on the port, the certificate is rejected): those are
// reported once per host instead of being retried per file.

import { DatasetError } from "../util/errors.js";

export interface NetworkFault {
  /** The host that could not be reached (as contacted: a mirror's, when one is set). */
  host: string;
  /** The error code (ENOTFOUND, ECONNREFUSED, …). */
  code: string;
  /** One phrase: `DNS lookup failed (ENOTFOUND)`. */
  reason: string;
  /** A retry in the same run cannot help: report the host once and fetch nothing more from it. */
  permanent: boolean;
}

/** Codes a retry within seconds does not cure, with what they mean. */
const PERMANENT: Record<string, string> = {
  ENOTFOUND: "DNS lookup failed",
  EAI_AGAIN: "DNS lookup failed (no DNS server answered)",
  EAI_FAIL: "DNS lookup failed",
  EAI_NONAME: "DNS lookup failed",
  ECONNREFUSED: "connection refused",
  ENETUNREACH: "network unreachable",
  EHOSTUNREACH: "host unreachable",
  EPROTO: "TLS handshake failed",
  CERT_HAS_EXPIRED: "its TLS certificate has expired",
  DEPTH_ZERO_SELF_SIGNED_CERT: "its TLS certificate is self-signed",
  SELF_SIGNED_CERT_IN_CHAIN: "its TLS certificate chain is self-signed",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "its TLS certificate cannot be verified",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "its TLS certificate cannot be verified (no local issuer)",
  ERR_TLS_CERT_ALTNAME_INVALID: "its TLS certificate names another host",
};

/** Codes worth a retry (the connection dropped or stalled), with what they mean. */
const TRANSIENT: Record<string, string> = {
  ECONNRESET: "connection reset",
  ETIMEDOUT: "connection timed out",
  EPIPE: "connection closed",
  UND_ERR_SOCKET: "connection closed by the other side",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
  UND_ERR_HEADERS_TIMEOUT: "no answer in time",
  UND_ERR_BODY_TIMEOUT: "transfer stalled",
};

/** The first `code` found on the error, its cause, or an AggregateError's errors (happy eyeballs). */
function errorCode(e: unknown, depth = 0): string | undefined {
  if (e === null || typeof e !== "object" || depth > 4) return undefined;
  const own = (e as { code?: unknown }).code;
  if (typeof own === "string" && own !== "") return own;
  const inner = (e as { errors?: unknown }).errors;
  if (Array.isArray(inner)) for (const x of inner) {
    const c = errorCode(x, depth + 1);
    if (c) return c;
  }
  return errorCode((e as { cause?: unknown }).cause, depth + 1);
}

/** The network fault behind a fetch error, or null when it is not one (a short body, a file error). */
export function networkFault(e: unknown, url: string): NetworkFault | null {
  let host: string;
  try {
    host = new URL(url).host;
  } catch {
    host = url;
  }
  // fetch refuses the ports browsers block (1, 25, 6000, …) with no code, only this message.
  if (/^bad port$/.test(String((e as { cause?: { message?: unknown } })?.cause?.message ?? ""))) {
    return { host, code: "bad port", reason: "fetch refuses this port (bad port); use another", permanent: true };
  }
  const code = errorCode(e);
  if (code === undefined) return null;
  const permanent = PERMANENT[code];
  if (permanent !== undefined) return { host, code, reason: `${permanent} (${code})`, permanent: true };
  const transient = TRANSIENT[code];
  if (transient !== undefined) return { host, code, reason: `${transient} (${code})`, permanent: false };
  return null;
}

/** One line for a fault: `cannot reach huggingface.co: DNS lookup failed (ENOTFOUND)`. */
export function describeFault(fault: NetworkFault): string {
  return `cannot reach ${fault.host}: ${fault.reason}`;
}

/** A host that cannot be reached for a reason a retry does not cure: nothing more is fetched from it. */
export class SourceUnreachableError extends DatasetError {
  readonly fault: NetworkFault;
  constructor(file: string, fault: NetworkFault) {
    super("missing", file, describeFault(fault));
    this.name = "SourceUnreachableError";
    this.fault = fault;
  }
}
