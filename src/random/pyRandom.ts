// A port of CPython 3.11 `random.Random` (Modules/_randommodule.c + Lib/random.py), restricted to
// what the reference harnesses call: integer seeding, getrandbits, _randbelow, shuffle and sample.
// The evaluator does `rnd = random.Random(); rnd.seed(42); rnd.shuffle(docs)` and then
// `rnd.sample(trainDocs, k)` per document, so few-shot picks only match the paper's runs if every
// draw here is bit-identical to CPython's. Spec §5 has the algorithm and test vectors.

import { Mt19937 } from "./mt19937.js";

/** Number of bits needed to write n in binary (Python `int.bit_length`), for 0 <= n < 2^53. */
function bitLength(n: number): number {
  let bits = 0;
  let rest = n;
  // Division instead of `>>>` because n may exceed 32 bits.
  while (rest >= 1) {
    rest = Math.floor(rest / 2);
    bits += 1;
  }
  return bits;
}

export class PyRandom {
  private readonly generator = new Mt19937();

  /**
   * Same as `random.Random(seed)` for an integer seed. CPython hashes nothing for ints: it takes
   * abs(seed) as little-endian 32-bit words (at least one word) and calls init_by_array.
   */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new RangeError(`PyRandom seed must be an integer with |seed| <= 2^53-1, got ${seed}`);
    }
    const magnitude = Math.abs(seed);
    const key: number[] = [];
    let rest = magnitude;
    while (rest > 0) {
      key.push(rest % 0x100000000);
      rest = Math.floor(rest / 0x100000000);
    }
    if (key.length === 0) key.push(0);
    this.generator.initByArray(key);
  }

  /** MT19937 genrand_uint32: the next tempered 32-bit output. */
  private nextUint32(): number {
    return this.generator.nextUint32();
  }

  /**
   * `random.getrandbits(k)`. The harness only needs 1 <= k <= 32 (one word: `u32 >>> (32-k)`);
   * k up to 53 is also accepted and assembled like CPython (first word = lowest 32 bits, the
   * last word truncated with `>>> (32 - remaining)`). k = 0 returns 0 without drawing, as in 3.9+.
   */
  getrandbits(k: number): number {
    if (!Number.isInteger(k) || k < 0 || k > 53) {
      throw new RangeError(`getrandbits supports 0 <= k <= 53, got ${k}`);
    }
    if (k === 0) return 0;
    if (k <= 32) return this.nextUint32() >>> (32 - k);
    const low = this.nextUint32();
    const high = this.nextUint32() >>> (64 - k);
    return high * 0x100000000 + low;
  }

  /**
   * `Random._randbelow_with_getrandbits(n)`: rejection sampling with k = n.bit_length() bits
   * (of n, not n-1: CPython deliberately wastes a bit so that n = 1 works).
   */
  randbelow(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0) {
      throw new RangeError(`randbelow needs a positive integer, got ${n}`);
    }
    const k = bitLength(n);
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  /** `random.shuffle(x)` in place: Fisher-Yates from the end with j = _randbelow(i+1). */
  shuffle<T>(x: T[]): void {
    for (let i = x.length - 1; i >= 1; i--) {
      const j = this.randbelow(i + 1);
      const tmp = x[i]!;
      x[i] = x[j]!;
      x[j] = tmp;
    }
  }

  /**
   * `random.sample(population, k)` (no `counts`). CPython picks one of two algorithms by
   * comparing n with an estimate of a k-element set's memory ("setsize"); they consume the RNG
   * differently, so both must be reproduced with CPython's exact threshold:
   * setsize = 21, plus 4 ** ceil(log(k*3, 4)) when k > 5, where math.log(x, 4) = ln(x)/ln(4).
   */
  sample<T>(population: readonly T[], k: number): T[] {
    const n = population.length;
    if (!Number.isInteger(k) || k < 0 || k > n) {
      // Python: ValueError("Sample larger than population or is negative")
      throw new RangeError(`Sample larger than population or is negative (k=${k}, n=${n})`);
    }
    const result: T[] = new Array<T>(k);
    let setsize = 21;
    if (k > 5) {
      setsize += 4 ** Math.ceil(Math.log(k * 3) / Math.log(4));
    }
    if (n <= setsize) {
      // Pool branch: invariant "non-selected items are at pool[0 : n-i]".
      const pool = population.slice();
      for (let i = 0; i < k; i++) {
        const j = this.randbelow(n - i);
        result[i] = pool[j]!;
        pool[j] = pool[n - i - 1]!;
      }
    } else {
      // Set branch: redraw on an index that was already taken.
      const selected = new Set<number>();
      for (let i = 0; i < k; i++) {
        let j = this.randbelow(n);
        while (selected.has(j)) j = this.randbelow(n);
        selected.add(j);
        result[i] = population[j]!;
      }
    }
    return result;
  }
}
