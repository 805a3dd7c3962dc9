// The answers a run has, for the caching backend: kept in memory for the run (hits and
// computed answers, which also serves `--no-cache` and partial results) in front of the
// persistent store. A store that fails mid-run (disk full, file damaged) is dropped with
// one warning and the run goes on from memory, so a cache problem never stops a run.

import { oneLine } from "../util/oneLine.js";
import type { BackendDescription } from "../api/types.js";
import type { RequestKind } from "../cache/keys.js";
import type { RequestCache } from "../cache/store.js";

export class RunAnswers {
  private storeBroken = false;
  private settings: string | undefined;
  /** Answers of this run, encoded, by kind and key. */
  private readonly memory = new Map<string, string>();

  /**
   * @param store the persistent store; null keeps answers in memory only (`--no-cache`)
   * @param describe the inner backend's description, whose settings key the store files answers under
   * @param log where the one warning of a failing store goes
   */
  constructor(
    private readonly store: RequestCache | null,
    private readonly describe: () => BackendDescription,
    private readonly log: (line: string) => void,
  ) {}

  private settingsId(): string {
    // Registered on first use: the description is final once the inner backend is created.
    if (this.settings === undefined) {
      const description = this.describe();
      this.settings = this.store && !this.storeBroken ? this.guard(() => this.store!.registerSettings(description)) : undefined;
      this.settings ??= `memory:${JSON.stringify(description)}`;
    }
    return this.settings;
  }

  private memoryKey(kind: RequestKind, key: string): string {
    return `${kind}:${key}`;
  }

  /** The answer's text: this run's, else the store's (then kept for this run); undefined when neither has it. */
  lookup(kind: RequestKind, key: string): string | undefined {
    const remembered = this.memory.get(this.memoryKey(kind, key));
    if (remembered !== undefined) return remembered;
    if (!this.store || this.storeBroken || this.store.isClosed) return undefined;
    const settings = this.settingsId();
    const stored = this.guard(() => this.store!.get(settings, kind, key));
    if (stored !== undefined) this.memory.set(this.memoryKey(kind, key), stored);
    return stored;
  }

  /** This run's answer, once `lookup` found it or `remember` kept it. */
  remembered(kind: RequestKind, key: string): string | undefined {
    return this.memory.get(this.memoryKey(kind, key));
  }

  /** Runs a store operation; a failing store (disk full, damaged mid-run) is dropped with one warning. */
  private guard<T>(operation: () => T): T | undefined {
    try {
      return operation();
    } catch (error) {
      this.storeBroken = true;
      const message = oneLine(error);
      this.log(`warning: the request cache ${this.store?.file ?? ""} failed (${message}); the run goes on without storing answers.`);
      return undefined;
    }
  }

  /** Whether claims are worth making: a usable persistent store (runs may share it), and `shareWork`. */
  claimsEnabled(shareWork: boolean): boolean {
    return this.store !== null && !this.storeBroken && !this.store.isClosed && shareWork;
  }

  /** How many of `keys` another live run sharing the store is computing (0 when the store fails). */
  claimedByOthers(kind: RequestKind, keys: readonly string[]): number {
    const settings = this.settingsId();
    return this.guard(() => this.store!.claimedByOthers(settings, kind, keys).size) ?? 0;
  }

  /** Marks `keys` as being computed by this run. */
  claim(kind: RequestKind, keys: readonly string[]): void {
    const settings = this.settingsId();
    this.guard(() => this.store!.claim(settings, kind, keys));
  }

  /** Keeps one answer for this run and commits it to the store; whether it was stored. */
  remember(kind: RequestKind, key: string, text: string): boolean {
    this.memory.set(this.memoryKey(kind, key), text);
    if (!this.store || this.storeBroken || this.store.isClosed) return false;
    const settings = this.settingsId();
    return this.guard(() => this.store!.put(settings, kind, key, text)) === true;
  }
}
