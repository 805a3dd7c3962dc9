// Independent exact decimal expansion of a double, for tests that need to know whether a literal
// such as 2.675 is stored above or below the decimal it was written as. Works from the engine's
// exact base-2 rendering (`Number.prototype.toString(2)` prints every bit of a double), so it
// shares no code with src/metrics/stats.ts.

/** The exact decimal value of a finite, non-negative double, e.g. "2.67499999999999982236431605997495353221893310546875". */
export function exactDecimal(x: number): string {
  if (!Number.isFinite(x) || x < 0) throw new RangeError("exactDecimal: finite non-negative only");
  const binary = x.toString(2);
  const [intBits, fracBits = ""] = binary.split(".");
  const intPart = BigInt("0b" + (intBits === "" ? "0" : intBits));
  if (fracBits === "") return intPart.toString();
  const length = fracBits.length;
  // fraction = F / 2^L = F * 5^L / 10^L
  const scaled = BigInt("0b" + fracBits) * 5n ** BigInt(length);
  const digits = scaled.toString().padStart(length, "0").replace(/0+$/, "");
  return `${intPart}.${digits}`;
}

/** Compare the exact value of x with a decimal literal given as a string: -1, 0 or 1. */
export function compareExactToDecimal(x: number, decimal: string): -1 | 0 | 1 {
  const toParts = (s: string): [bigint, string] => {
    const [i, f = ""] = s.split(".");
    return [BigInt(i!), f];
  };
  const [ai, af] = toParts(exactDecimal(x));
  const [bi, bf] = toParts(decimal);
  if (ai !== bi) return ai < bi ? -1 : 1;
  const width = Math.max(af.length, bf.length);
  const a = BigInt(af.padEnd(width, "0") || "0");
  const b = BigInt(bf.padEnd(width, "0") || "0");
  return a === b ? 0 : a < b ? -1 : 1;
}
