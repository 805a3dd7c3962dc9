// numpy's legacy global RNG (`np.random.seed(s)` / `np.random.choice`), as used by rouge-score's
// BootstrapAggregator for the XLSum-ja ROUGE-2 "mid" value (spec §3.6, §6). The evaluator calls
// `np.random.seed(1234)` once at start-up and nothing else in the Japanese suite draws from it.

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

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
  private readonly mt = new Uint32Array(N);
  private index = N;

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
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]!;
      mt[i] = (Math.imul(1812433253, (prev ^ (prev >>> 30)) >>> 0) + i) >>> 0;
    }
    this.index = N;
  }

  private nextUint32(): number {
    const mt = this.mt;
    if (this.index >= N) {
      let kk = 0;
      for (; kk < N - M; kk++) {
        const y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
        mt[kk] = mt[kk + M]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      for (; kk < N - 1; kk++) {
        const y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
        mt[kk] = mt[kk + (M - N)]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      const y = (mt[N - 1]! & UPPER_MASK) | (mt[0]! & LOWER_MASK);
      mt[N - 1] = mt[M - 1]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      this.index = 0;
    }
    let y = mt[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
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
