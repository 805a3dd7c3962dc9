// How large a drop a row's test could catch: the minimal detectable drop (80% power at alpha)
// of each test, and when no drop of any size is detectable.

import { normalQuantile, zForAlpha } from "./stats.js";

/** z of 80% power. */
export const POWER = 0.8;

/**
 * Minimal detectable difference of a two-sided test at alpha with power `power`, for a difference
 * whose standard error under "no difference" is se0: (z_{1-alpha/2} + z_{power}) · se0.
 */
export function minimalDetectable(se0: number, alpha: number, power = POWER): number {
  return (zForAlpha(alpha) + normalQuantile(power)) * se0;
}

/**
 * The same for the exact McNemar test over n docs with discordant fraction psi (observed; at least
 * one doc): the normal approximation (z_{1-alpha/2} + z_power) sqrt(psi / n) (Connor 1987 without
 * its δ² term, which makes it slightly conservative), and never below the smallest drop the exact
 * test can detect at all, d/n with d the fewest discordant docs, all one way, for which
 * 2 · 2^-d < alpha.
 */
export function mcnemarMinimalDetectable(discordant: number, n: number, alpha: number, power = POWER): number {
  const psi = Math.max(discordant, 1) / n;
  let dMin = 1;
  while (2 * 2 ** -dMin >= alpha) dMin++;
  // Fewer docs than the exact test needs all one way: no drop of any size is detectable.
  if (dMin > n) return Infinity;
  return Math.max(minimalDetectable(Math.sqrt(psi / n), alpha, power), dMin / n);
}

/**
 * A minimal detectable drop in points as the output shows it: null when no drop of any size is
 * detectable — a zero standard error under "no difference" (nothing varies, so nothing can be
 * told from noise), or more than the 100 points a score can drop.
 */
export function detectableDrop(points: number): number | null {
  return points > 0 && points <= 100 ? points : null;
}
