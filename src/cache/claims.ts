// Which requests each run sharing the cache is computing right now, so that another run
// computes other requests first (see CachingBackend). A claim is only a hint: answers are
// what count, and a claim of a process that died is ignored. Kept apart from the answers
// because claims live only as long as the connection that made them.

import type Database from "better-sqlite3";
import { randomBytes } from "node:crypto";
import os from "node:os";
import { pidAlive } from "../util/publish.js";
import type { RequestKind } from "./keys.js";

/** How long a claim made on another machine (a cache on a shared file system) is honoured. */
const CLAIM_LIFETIME_MS = 60 * 60 * 1000;

interface ClaimStatements {
  get: Database.Statement<[string, string, string], { owner: string; host: string; pid: number; claimed_at: number }>;
  putMany: (settings: string, kind: RequestKind, keys: readonly string[]) => void;
}

/** One connection's claims in the claims table. */
export class ClaimTable {
  private statements: ClaimStatements | undefined;
  /** This connection's name in the claims table. */
  private readonly owner = `${os.hostname()}:${process.pid}:${randomBytes(6).toString("hex")}`;

  constructor(private readonly db: Database.Database) {}

  /** Marks requests as being computed by this connection. */
  claim(settings: string, kind: RequestKind, keys: readonly string[]): void {
    if (keys.length > 0) this.prepared().putMany(settings, kind, keys);
  }

  // Prepared on first use: a read-only connection to an older file (cache stats) has no claims table.
  private prepared(): ClaimStatements {
    if (this.statements === undefined) {
      const put = this.db.prepare("INSERT OR REPLACE INTO claims (settings_id, kind, request_key, owner, host, pid, claimed_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
      this.statements = {
        get: this.db.prepare("SELECT owner, host, pid, claimed_at FROM claims WHERE settings_id = ? AND kind = ? AND request_key = ?"),
        putMany: this.db.transaction((settings: string, kind: RequestKind, keys: readonly string[]) => {
          const now = Date.now();
          for (const key of keys) put.run(settings, kind, key, this.owner, os.hostname(), process.pid, now);
        }),
      };
    }
    return this.statements;
  }

  /** The keys among `keys` that another live run has claimed and not yet answered. */
  claimedByOthers(settings: string, kind: RequestKind, keys: readonly string[]): Set<string> {
    const out = new Set<string>();
    const now = Date.now();
    for (const key of keys) {
      const row = this.prepared().get.get(settings, kind, key);
      if (!row || row.owner === this.owner) continue;
      // On this machine a claim lasts while its process lives; from another one, an hour.
      const live = row.host === os.hostname() ? pidAlive(row.pid) : now - row.claimed_at < CLAIM_LIFETIME_MS;
      if (live) out.add(key);
    }
    return out;
  }

  /** Deletes this connection's claims, if it made any; called before the connection closes. */
  release(): void {
    try {
      if (this.statements !== undefined) this.db.prepare("DELETE FROM claims WHERE owner = ?").run(this.owner);
    } catch {
      // A claim left behind is ignored once this process has exited.
    }
  }
}
