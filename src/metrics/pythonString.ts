// Python `str` methods whose JavaScript look-alikes differ. The reference harnesses call
// `str.strip()`, `str.split()` and `str.capitalize()` on prompt and answer text, so the exact
// character sets matter (JS `trim()`/`\s` include U+FEFF but not \x1c-\x1f or U+0085).

/**
 * Python's whitespace (`str.isspace()` / `Py_UNICODE_ISSPACE`, CPython 3.11, Unicode 14): bidi
 * class WS, B or S, or category Zs. U+180E is not included (it stopped being Zs in Unicode 6.3),
 * nor U+200B or U+FEFF.
 */
const PY_WHITESPACE_CLASS =
  "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

const LEADING_WS = new RegExp(`^[${PY_WHITESPACE_CLASS}]+`);
const TRAILING_WS = new RegExp(`[${PY_WHITESPACE_CLASS}]+$`);
const WS_RUN = new RegExp(`[${PY_WHITESPACE_CLASS}]+`);
const ONE_WS = new RegExp(`^[${PY_WHITESPACE_CLASS}]$`);

/** Python `c.isspace()` for a single character (code point). */
export function isPythonWhitespace(c: string): boolean {
  return ONE_WS.test(c);
}

/** Python `s.strip()` with no argument. */
export function pythonStrip(s: string): string {
  return s.replace(LEADING_WS, "").replace(TRAILING_WS, "");
}

/** Python `s.split()` with no argument: split on whitespace runs, dropping empty strings. */
export function pythonSplit(s: string): string[] {
  const stripped = pythonStrip(s);
  if (stripped === "") return [];
  return stripped.split(WS_RUN);
}

/**
 * Title-case forms that differ from `toUpperCase()` (UnicodeData simple titlecase mapping and
 * SpecialCasing.txt title column). Everything else titlecases like its uppercase, except that for
 * a multi-character uppercase expansion (ß → SS, ﬁ → FI, ...) the title form is the first
 * character followed by the lowercase of the rest (Ss, Fi), which `titlecaseChar` derives.
 */
const TITLECASE_OVERRIDES: ReadonlyMap<number, string> = (() => {
  const m = new Map<number, string>();
  // Latin digraphs: DŽ Dž dž → Dž, LJ Lj lj → Lj, NJ Nj nj → Nj, DZ Dz dz → Dz.
  for (const [first, title] of [[0x01c4, 0x01c5], [0x01c7, 0x01c8], [0x01ca, 0x01cb], [0x01f1, 0x01f2]] as const) {
    for (let cp = first; cp < first + 3; cp++) m.set(cp, String.fromCodePoint(title));
  }
  m.set(0x0149, "\u02bcN"); // ŉ: uppercase and titlecase are both ʼN
  // Greek with ypogegrammeni: the titlecase keeps the iota subscript as prosgegrammeni.
  for (const base of [0x1f80, 0x1f90, 0x1fa0]) {
    for (let i = 0; i < 8; i++) {
      m.set(base + i, String.fromCodePoint(base + 8 + i));
      m.set(base + 8 + i, String.fromCodePoint(base + 8 + i));
    }
  }
  for (const [small, title] of [[0x1fb3, 0x1fbc], [0x1fc3, 0x1fcc], [0x1ff3, 0x1ffc]] as const) {
    m.set(small, String.fromCodePoint(title));
    m.set(title, String.fromCodePoint(title));
  }
  m.set(0x1fb2, "\u1fba\u0345");
  m.set(0x1fb4, "\u0386\u0345");
  m.set(0x1fc2, "\u1fca\u0345");
  m.set(0x1fc4, "\u0389\u0345");
  m.set(0x1ff2, "\u1ffa\u0345");
  m.set(0x1ff4, "\u038f\u0345");
  m.set(0x1fb7, "\u0391\u0342\u0345");
  m.set(0x1fc7, "\u0397\u0342\u0345");
  m.set(0x1ff7, "\u03a9\u0342\u0345");
  // Georgian Mkhedruli letters uppercase to Mtavruli but titlecase to themselves (Unicode 11+).
  for (let cp = 0x10d0; cp <= 0x10fa; cp++) m.set(cp, String.fromCodePoint(cp));
  for (let cp = 0x10fd; cp <= 0x10ff; cp++) m.set(cp, String.fromCodePoint(cp));
  return m;
})();

function titlecaseChar(c: string): string {
  const override = TITLECASE_OVERRIDES.get(c.codePointAt(0)!);
  if (override !== undefined) return override;
  const upper = c.toUpperCase();
  const chars = [...upper];
  if (chars.length <= 1) return upper;
  return chars[0]! + chars.slice(1).join("").toLowerCase();
}

/**
 * Python 3.8+ `s.capitalize()`: the first code point is title-cased (full mapping), the rest
 * lower-cased (full mapping, e.g. 'İ' → 'i̇', with the Final_Sigma rule evaluated in the context
 * of the whole string). Case data comes from the JS engine's Unicode version, which can differ
 * from CPython's for characters added in newer Unicode versions; English HellaSwag text only
 * exercises ASCII and Latin-1.
 */
export function pythonCapitalize(s: string): string {
  if (s === "") return s;
  const first = String.fromCodePoint(s.codePointAt(0)!);
  // Lowercase the whole string so that Final_Sigma sees the first character as context, then
  // drop the first character's own lowercase (its length cannot depend on context: only Σ is
  // context-sensitive and it always maps to one unit).
  const loweredAll = s.toLowerCase();
  const firstLowered = first.toLowerCase();
  return titlecaseChar(first) + loweredAll.slice(firstLowered.length);
}
