// Headless Chromium for the report tests, driven by its command-line flags only (no driver
// library): --dump-dom for the rendered DOM, --screenshot for a PNG.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export function findChromium(): string | null {
  for (const p of ["/usr/bin/chromium", "/usr/bin/chromium-browser"]) if (existsSync(p)) return p;
  const which = spawnSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], { encoding: "utf8" });
  return which.status === 0 && which.stdout.trim() !== "" ? which.stdout.trim() : null;
}

export const chromium = findChromium();
export const NO_CHROMIUM = "chromium not installed (apt-get install chromium)";

const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--hide-scrollbars",
];

export function runChromium(args: string[]): { stdout: string; stderr: string; status: number | null } {
  const profile = mkdtempSync(path.join(os.tmpdir(), "rakuten-eval-chromium-"));
  try {
    const r = spawnSync(chromium!, [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, ...args], { encoding: "utf8", timeout: 90_000, maxBuffer: 256 * 1024 * 1024 });
    return { stdout: r.stdout ?? "", stderr: r.stderr ?? "", status: r.status };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The DOM of a page after load and its scripts, at a window width. */
export function dumpDom(file: string, width = 1400): string {
  const r = runChromium([`--window-size=${width},1200`, "--dump-dom", `file://${path.resolve(file)}`]);
  if (r.status !== 0) throw new Error(`chromium --dump-dom exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

/** A screenshot of the top `height` pixels of a page at a window width. */
export function screenshot(file: string, png: string, width: number, height: number): void {
  const r = runChromium([`--window-size=${width},${height}`, `--screenshot=${png}`, `file://${path.resolve(file)}`]);
  if (r.status !== 0) throw new Error(`chromium --screenshot exited ${r.status}: ${r.stderr.slice(-2000)}`);
}
