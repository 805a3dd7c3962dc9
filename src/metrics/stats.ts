// Aggregation arithmetic of the reference harnesses, reproduced operation for operation:
// lm-eval `metrics.mean` / `mean_stderr` and Python 3 `round(x, ndigits)` (used for the
// leaderboard cells and averages, spec §7).

/**
 * lm-eval `mean(arr) = sum(arr) / len(arr)`: Python `sum` adds left to right (CPython <= 3.11;
 * 3.12 switched float sums to compensated summation — the reference runs predate it).
 * An empty list throws (ZeroDivisionError in Python).
 */
export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("mean of an empty list (ZeroDivisionError in Python)");
  let total = 0;
  for (const v of values) total += v;
  return total / values.length;
}

/**
 * lm-eval `mean_stderr(arr) = sample_stddev(arr) / math.sqrt(len(arr))` with
 * `sample_stddev = math.sqrt(sum([(x - mu) ** 2 for x in arr]) / (len(arr) - 1))`.
 * Python raises ZeroDivisionError for fewer than two values; this returns NaN instead so that a
 * one-document smoke run can still print a table. `(x - mu) ** 2` is taken as `d * d` (correctly
 * rounded; C `pow(d, 2)` agrees on every platform CPython supports in practice).
 */
export function sampleStderr(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return NaN;
  const mu = mean(values);
  let squares = 0;
  for (const v of values) {
    const d = v - mu;
    squares += d * d;
  }
  return Math.sqrt(squares / (n - 1)) / Math.sqrt(n);
}

const NDIGITS_MAX = 323; // CPython: (int)((DBL_MANT_DIG - DBL_MIN_EXP) * 0.30103)
const NDIGITS_MIN = -308; // CPython: -(int)((DBL_MAX_EXP + 1) * 0.30103)

/** |x| = mantissa * 2^exponent exactly, for finite x. */
function decompose(x: number): { mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  const fractionHigh = BigInt(hi & 0xfffff);
  const fraction = (fractionHigh << 32n) | BigInt(lo);
  if (biased === 0) return { mantissa: fraction, exponent: -1074 }; // subnormal or zero
  return { mantissa: fraction | (1n << 52n), exponent: biased - 1075 };
}

/**
 * Python 3 `round(x, ndigits)` for a float: CPython rounds the exact binary value to `ndigits`
 * decimals with round-half-even (`_Py_dg_dtoa` mode 3) and converts that decimal back to the
 * nearest double. So round(2.675, 2) == 2.67 (2.675 is stored as 2.67499999...), while
 * round(0.125, 2) == 0.12 and round(0.375, 2) == 0.38 are exact ties broken to even.
 * NaN/±Infinity are returned unchanged; the sign of a zero result follows x (round(-0.001, 2) is
 * -0.0). A result too large for a double throws, like Python's OverflowError.
 */
export function pythonRound(x: number, ndigits: number): number {
  if (!Number.isInteger(ndigits)) throw new TypeError(`pythonRound: ndigits must be an integer, got ${ndigits}`);
  if (!Number.isFinite(x)) return x;
  if (ndigits > NDIGITS_MAX) return x;
  if (ndigits < NDIGITS_MIN) return 0 * x;
  const negative = x < 0 || Object.is(x, -0);
  const { mantissa, exponent } = decompose(x);
  // |x| * 10^ndigits = numerator / denominator, exactly.
  let numerator = mantissa;
  let denominator = 1n;
  if (exponent >= 0) numerator <<= BigInt(exponent);
  else denominator <<= BigInt(-exponent);
  if (ndigits >= 0) numerator *= 10n ** BigInt(ndigits);
  else denominator *= 10n ** BigInt(-ndigits);
  let quotient = numerator / denominator;
  const twiceRemainder = 2n * (numerator - quotient * denominator);
  if (twiceRemainder > denominator || (twiceRemainder === denominator && (quotient & 1n) === 1n)) {
    quotient += 1n;
  }
  // The decimal quotient × 10^-ndigits, parsed with correct rounding (like _Py_dg_strtod).
  const magnitude = Number(`${quotient}e${-ndigits}`);
  if (!Number.isFinite(magnitude)) throw new RangeError("rounded value too large to represent");
  return negative ? -magnitude : magnitude;
}
