// numpy's legacy global RNG (`np.random.seed(s)` / `np.random.choice`), as used by rouge-score's
// BootstrapAggregator for the XLSum-ja ROUGE-2 "mid" value (spec §3.6, §6). The evaluator calls
// `np.random.seed(1234)` once at start-up and nothing else in the Japanese suite draws from it.

import { Mt19937 } from "./mt19937.js";

/** Smallest 2^m - 1 >= max (numpy `gen_mask`), for 0 <= max < 2^32. */
function maskCovering(max: number): number {
  let mask = max >>> 0;
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  return mask >>> 0;
}

export class NumpyLegacyRandom {
  private readonly generator = new Mt19937();

  /**
   * `np.random.seed(seed)` for an integer 0 <= seed < 2^32. Unlike CPython's `random`, numpy's
   * legacy seeding of a scalar int is plain MT19937 `init_genrand` (numpy `mt19937_seed`), not
   * `init_by_array`.
   */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      // numpy: ValueError("Seed must be between 0 and 2**32 - 1")
      throw new RangeError(`Seed must be between 0 and 2**32 - 1, got ${seed}`);
    }
    this.generator.initGenrand(seed);
  }

  private nextUint32(): number {
    return this.generator.nextUint32();
  }

  /**
   * `np.random.choice(np.arange(n), size)` (replace=True, p=None), i.e. legacy
   * `randint(0, n, size)` with int64 output: numpy's `random_bounded_uint64_fill` with the
   * masked-rejection method. rng = n - 1; when rng == 0 (n = 1) numpy returns zeros WITHOUT
   * drawing, otherwise each value is `u32 & mask` redrawn until <= rng.
   */
  choiceIndices(n: number, size: number): number[] {
    if (!Number.isInteger(n) || n <= 0) {
      // numpy: ValueError("a must be a positive integer unless no samples are taken") —
      // for an empty arange the message differs, but either way it is an error.
      throw new RangeError(`choiceIndices needs n >= 1, got ${n}`);
    }
    if (n - 1 > 0xffffffff) {
      throw new RangeError(`choiceIndices supports n <= 2^32, got ${n}`);
    }
    if (!Number.isInteger(size) || size < 0) {
      throw new RangeError(`choiceIndices needs a non-negative integer size, got ${size}`);
    }
    const out = new Array<number>(size);
    const rng = n - 1;
    if (rng === 0) {
      out.fill(0);
      return out;
    }
    const mask = maskCovering(rng);
    for (let i = 0; i < size; i++) {
      let v = (this.nextUint32() & mask) >>> 0;
      while (v > rng) v = (this.nextUint32() & mask) >>> 0;
      out[i] = v;
    }
    return out;
  }
}
