// Test vectors are CPython 3.11.7 / numpy outputs recorded in the spec
// (../shared/spec/reference-harnesses.md §5 and §6.1), written out here as literals.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PyRandom } from "../src/random/pyRandom.js";
import { NumpyLegacyRandom } from "../src/random/numpyLegacy.js";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

test("Random(42) first five getrandbits(32) (spec §5)", () => {
  const rnd = new PyRandom(42);
  const got = range(5).map(() => rnd.getrandbits(32));
  assert.deepEqual(got, [2746317213, 478163327, 107420369, 3184935163, 1181241943]);
});

test("Random(1234) first five getrandbits(32) (spec §5)", () => {
  const rnd = new PyRandom(1234);
  const got = range(5).map(() => rnd.getrandbits(32));
  assert.deepEqual(got, [4150886329, 3342196574, 1892932127, 501869158, 32175636]);
});

test("getrandbits(k<32) keeps the top k bits of the same 32-bit output", () => {
  const rnd = new PyRandom(42);
  // 2746317213 >>> 22 (k = 10), 478163327 >>> 31 (k = 1)
  assert.equal(rnd.getrandbits(10), Math.floor(2746317213 / 2 ** 22));
  assert.equal(rnd.getrandbits(1), Math.floor(478163327 / 2 ** 31));
  assert.equal(rnd.getrandbits(0), 0);
});

test("getrandbits(k>32) assembles little-endian words like CPython", () => {
  const a = new PyRandom(42);
  // words: low = 2746317213, high = 478163327 >>> (64 - 40) = 478163327 >>> 24
  assert.equal(a.getrandbits(40), Math.floor(478163327 / 2 ** 24) * 2 ** 32 + 2746317213);
});

test("seeding: negative seeds use abs(seed); a multi-word seed differs from its low word", () => {
  const neg = new PyRandom(-42);
  assert.equal(neg.getrandbits(32), 2746317213);
  const big = new PyRandom(2 ** 40 + 5);
  const low = new PyRandom(5);
  assert.notEqual(big.getrandbits(32), low.getrandbits(32));
  assert.throws(() => new PyRandom(1.5), RangeError);
});

test("Random(42).shuffle(list(range(10))) (spec §5)", () => {
  const x = range(10);
  new PyRandom(42).shuffle(x);
  assert.deepEqual(x, [7, 3, 2, 8, 5, 6, 9, 4, 0, 1]);
});

test("randbelow rejects non-positive n and stays in range", () => {
  const rnd = new PyRandom(7);
  assert.throws(() => rnd.randbelow(0), RangeError);
  for (let i = 0; i < 200; i++) {
    const v = rnd.randbelow(5);
    assert.ok(v >= 0 && v < 5);
  }
  assert.equal(rnd.randbelow(1), 0);
});

test("sample rejects k > n and k < 0; k = 0 draws nothing", () => {
  const rnd = new PyRandom(42);
  assert.throws(() => rnd.sample([1, 2], 3), RangeError);
  assert.throws(() => rnd.sample([1, 2], -1), RangeError);
  assert.deepEqual(rnd.sample([1, 2], 0), []);
  assert.equal(rnd.getrandbits(32), 2746317213);
});

// Extra vectors produced by running CPython 3.11.7's `random` module (the reference itself).
test("CPython 3.11.7 vectors: multi-word and zero seeds, 40/53-bit getrandbits", () => {
  const big = new PyRandom(2 ** 40 + 5);
  assert.deepEqual(range(3).map(() => big.getrandbits(32)), [2166296868, 2220160828, 1153647273]);
  const zero = new PyRandom(0);
  assert.deepEqual(range(3).map(() => zero.getrandbits(32)), [3626764237, 1654615998, 3255389356]);
  const r42 = new PyRandom(42);
  assert.equal(r42.getrandbits(40), 123005401501);
  assert.equal(r42.getrandbits(53), 6679292727990993);
  assert.equal(new PyRandom(2 ** 53 - 1).getrandbits(32), 404802386);
});

test("CPython 3.11.7 vectors: sample on both sides of the setsize threshold", () => {
  const rnd = new PyRandom(99);
  assert.deepEqual(rnd.sample(range(30), 6), [12, 29, 6, 19, 5, 7]); // k=6: setsize 85, n=30: pool branch
  assert.deepEqual(rnd.sample(range(22), 5), [7, 4, 2, 8, 12]); // n=22 > 21: set branch
  assert.deepEqual(rnd.sample(range(21), 5), [16, 17, 2, 15, 6]); // n=21: pool branch
  assert.deepEqual(rnd.sample(range(85), 10), [53, 78, 75, 27, 47, 49, 81, 19, 59, 22]); // pool
  assert.deepEqual(rnd.sample(range(86), 10), [72, 43, 10, 67, 11, 60, 40, 51, 5, 34]); // set
});

test("CPython 3.11.7 vectors: long shuffle then _randbelow above 2^31", () => {
  const rnd = new PyRandom(5);
  const x = range(2000);
  rnd.shuffle(x);
  assert.deepEqual(x.slice(0, 5), [764, 4, 1034, 1755, 1408]);
  assert.deepEqual(range(3).map(() => rnd.randbelow(3e9)), [422203224, 2132591583, 1409181204]);
});

interface HarnessRow {
  task: string;
  nEval: number;
  nTrain: number;
  k: number;
  firstShuffled: number[];
  /** shots for the first few shuffled docs (only the first doc for ARC / HellaSwag) */
  shots: number[][];
}

// Spec §5 "Harness simulation" table.
const HARNESS_TABLE: HarnessRow[] = [
  { task: "JCS", nEval: 1119, nTrain: 8939, k: 3, firstShuffled: [1032, 816, 575, 91, 403, 921, 629, 27],
    shots: [[8903, 6180, 7460], [5272, 3090, 3912], [6274, 3826, 6730]] },
  { task: "JNLI", nEval: 2434, nTrain: 20073, k: 3, firstShuffled: [548, 135, 1499, 2043, 1381, 412, 45, 1679],
    shots: [[19990, 15865, 6300], [8077, 9142, 18287], [9781, 7368, 9752]] },
  { task: "MARC-ja", nEval: 5654, nTrain: 187528, k: 3,
    firstShuffled: [2561, 4556, 224, 2556, 3328, 5625, 1884, 5383],
    shots: [[40893, 27967, 31425], [20575, 177160, 173912], [129149, 160911, 1736]] },
  { task: "JSQuAD", nEval: 4442, nTrain: 62859, k: 2, firstShuffled: [2917, 3, 3733, 2155, 2851, 4192, 232, 908],
    shots: [[48740, 29039], [50726, 54121], [21028, 17656]] },
  { task: "XLSum", nEval: 766, nTrain: 4215, k: 1, firstShuffled: [184, 193, 101, 494, 349, 239, 190, 656],
    shots: [[103], [3441], [4015]] },
  { task: "MGSM (pool branch)", nEval: 250, nTrain: 8, k: 5, firstShuffled: [44, 98, 184, 123, 121, 167, 9, 176],
    shots: [[6, 1, 0, 5, 3], [5, 3, 6, 7, 0], [1, 0, 3, 2, 6]] },
  { task: "xWinograd", nEval: 959, nTrain: 0, k: 0, firstShuffled: [184, 434, 857, 723, 355, 198, 683, 523],
    shots: [] },
  { task: "ARC-C", nEval: 1172, nTrain: 1119, k: 25, firstShuffled: [595, 716, 511, 906, 148, 368, 930, 121],
    shots: [[888, 201, 205, 908, 340, 613, 59, 94, 664, 114, 600, 734, 767, 882, 298, 500, 1087, 843, 368, 348,
      358, 161, 783, 493, 1019]] },
  { task: "HellaSwag", nEval: 10042, nTrain: 39905, k: 10,
    firstShuffled: [9792, 1027, 5366, 615, 5402, 477, 955, 6124],
    shots: [[3656, 36651, 3421, 19327, 24999, 26324, 6280, 26942, 15277, 39293]] },
  { task: "TruthfulQA", nEval: 817, nTrain: 0, k: 0, firstShuffled: [740, 724, 678, 632, 237, 584, 664, 748],
    shots: [] },
];

for (const row of HARNESS_TABLE) {
  test(`harness simulation ${row.task}: Random(42) shuffle, then sample(train, ${row.k}) per doc`, () => {
    const rnd = new PyRandom(42);
    const evalDocs = range(row.nEval);
    rnd.shuffle(evalDocs);
    assert.deepEqual(evalDocs.slice(0, 8), row.firstShuffled);
    const train = range(row.nTrain);
    for (let d = 0; d < row.shots.length; d++) {
      assert.deepEqual(rnd.sample(train, row.k), row.shots[d], `shots of shuffled doc #${d}`);
    }
  });
}

test("sample pool branch leaves the population untouched and returns distinct items", () => {
  const pop = Object.freeze(range(8)) as readonly number[];
  const got = new PyRandom(3).sample(pop, 8);
  assert.deepEqual([...got].sort((a, b) => a - b), range(8));
  assert.deepEqual(pop, range(8));
});

// numpy legacy RNG (spec §6.1)
test("np.random.seed(1234); choice(arange(766), 766)[:10] and the next call's [:5]", () => {
  const rng = new NumpyLegacyRandom(1234);
  const first = rng.choiceIndices(766, 766);
  assert.equal(first.length, 766);
  assert.deepEqual(first.slice(0, 10), [723, 294, 53, 204, 372, 664, 655, 689, 279, 233]);
  assert.ok(first.every((v) => Number.isInteger(v) && v >= 0 && v < 766));
  const second = rng.choiceIndices(766, 766);
  assert.deepEqual(second.slice(0, 5), [314, 126, 419, 666, 465]);
});

test("np.random.seed(1234); choice(arange(10), 10)", () => {
  const rng = new NumpyLegacyRandom(1234);
  assert.deepEqual(rng.choiceIndices(10, 10), [3, 6, 5, 4, 8, 9, 1, 7, 9, 6]);
});

test("choice(arange(1), k) returns zeros without consuming the stream (numpy rng == 0 shortcut)", () => {
  const rng = new NumpyLegacyRandom(1234);
  assert.deepEqual(rng.choiceIndices(1, 3), [0, 0, 0]);
  assert.deepEqual(rng.choiceIndices(10, 10), [3, 6, 5, 4, 8, 9, 1, 7, 9, 6]);
});

test("NumpyLegacyRandom rejects seeds outside [0, 2^32)", () => {
  assert.throws(() => new NumpyLegacyRandom(-1), RangeError);
  assert.throws(() => new NumpyLegacyRandom(2 ** 32), RangeError);
  assert.throws(() => new NumpyLegacyRandom(1234).choiceIndices(0, 1), RangeError);
});
