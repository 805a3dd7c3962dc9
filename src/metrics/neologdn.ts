// A port of neologdn 0.5.2 `normalize(text)` with its default arguments (repeat=0,
// remove_space=True, tilde='remove'), from `neologdn.pyx` at tag v0.5.2 (ikegami-yukino/neologdn).
// Stability's JSQuAD/JAQKET exact match runs every prediction and gold through it (spec §3.4), so
// the quirks of that exact version are reproduced, not fixed:
//  - a hyphen or long-vowel mark written after a kept "latin space" does not reset the
//    `lattin_space` flag (fixed in 0.5.4), so "a ‐あ" loses the hyphen: "a あ";
//  - a space is dropped after ANY character that is neither basic Latin nor '*', e.g. after 'é';
//  - a half-width dakuten/handakuten only merges into the katakana (and う/は行 hiragana) listed
//    in KANA_TEN/KANA_MARU; the full-width '゛'/'゜' are first turned into the half-width ones;
//  - the C buffer is converted back with a NUL-terminated read, so output stops at the first
//    U+0000 (0.5.3 changed this).
// `repeat` (shorten_repeat) is not ported: the reference never passes it.

const ASCII_PAIRS =
  "ａaｂbｃcｄdｅeｆfｇgｈhｉiｊjｋkｌlｍmｎnｏoｐpｑqｒrｓsｔtｕuｖvｗwｘxｙyｚz" +
  "ＡAＢBＣCＤDＥEＦFＧGＨHＩIＪJＫKＬLＭMＮNＯOＰPＱQＲRＳSＴTＵUＶVＷWＸXＹYＺZ" +
  "！!”\"＃#＄$％%＆&’'（(）)＊*＋+，,−-．.／/：:；;＜<＝=＞>？?＠@［[¥\\］]＾^＿_‘`｛{｜|｝}";
const KANA_PAIRS =
  "ｱアｲイｳウｴエｵオｶカｷキｸクｹケｺコｻサｼシｽスｾセｿソﾀタﾁチﾂツﾃテﾄトﾅナﾆニﾇヌﾈネﾉノ" +
  "ﾊハﾋヒﾌフﾍヘﾎホﾏマﾐミﾑムﾒメﾓモﾔヤﾕユﾖヨﾗラﾘリﾙルﾚレﾛロﾜワｦヲﾝン" +
  "ｧァｨィｩゥｪェｫォｯッｬャｭュｮョ｡。､、･・゛ﾞ゜ﾟ｢「｣」ｰー";
const DIGIT_PAIRS = "０0１1２2３3４4５5６6７7８8９9";
const KANA_TEN_PAIRS = "カガキギクグケゲコゴサザシジスズセゼソゾタダチヂツヅテデトドハバヒビフブヘベホボウヴうゔ";
const KANA_MARU_PAIRS = "ハパヒピフプヘペホポはぱひぴふぷへぺほぽ";

function pairsToMap(pairs: string): ReadonlyMap<string, string> {
  const chars = [...pairs];
  if (chars.length % 2 !== 0) throw new Error("neologdn table: odd number of characters");
  const m = new Map<string, string>();
  for (let i = 0; i < chars.length; i += 2) m.set(chars[i]!, chars[i + 1]!);
  return m;
}

// In the .pyx, conversion_map is filled from ASCII + DIGIT + KANA in that order (no key repeats).
const CONVERSION_MAP = pairsToMap(ASCII_PAIRS + DIGIT_PAIRS + KANA_PAIRS);
const KANA_TEN_MAP = pairsToMap(KANA_TEN_PAIRS);
const KANA_MARU_MAP = pairsToMap(KANA_MARU_PAIRS);

const HYPHENS = new Set(["˗", "֊", "‐", "‑", "‒", "–", "⁃", "⁻", "₋", "−"]);
const CHOONPUS = new Set(["﹣", "－", "ｰ", "—", "―", "─", "━", "ー"]);
const TILDES = new Set(["~", "∼", "∾", "〜", "〰", "～"]);
const SPACES = new Set([" ", "\u3000"]);

const HALFWIDTH_DAKUTEN = "ﾞ"; // U+FF9E
const HALFWIDTH_HANDAKUTEN = "ﾟ"; // U+FF9F

/** `blocks` in the .pyx: CJK ideographs, hiragana, katakana, CJK symbols, half/full-width forms. */
function isBlockChar(c: string): boolean {
  const cp = c.codePointAt(0)!;
  return (
    (cp >= 19968 && cp < 40960) || // CJK UNIFIED IDEOGRAPHS
    (cp >= 12352 && cp < 12448) || // HIRAGANA
    (cp >= 12448 && cp < 12544) || // KATAKANA
    (cp >= 12289 && cp < 12352) || // CJK SYMBOLS AND PUNCTUATION (from U+3001)
    (cp >= 65280 && cp < 65520) // HALFWIDTH AND FULLWIDTH FORMS
  );
}

/** `basic_latin` in the .pyx: U+0000-U+007F (including NUL, the initial `prev`). */
function isBasicLatin(c: string): boolean {
  return c.codePointAt(0)! < 128;
}

/** neologdn 0.5.2 `normalize(text)` with default arguments. */
export function neologdnNormalize(text: string): string {
  // `buf` mirrors the C buffer: `pos` may step back to overwrite the previous slot.
  const buf: string[] = [];
  let pos = 0;
  let prev = "\0";
  let latinSpace = false; // `lattin_space`

  for (const original of text) {
    let c = original;
    if (SPACES.has(c)) {
      c = " ";
      if (prev === " " || isBlockChar(prev)) {
        continue; // dropped; `prev` is left as it was
      } else if (prev !== "*" && pos > 0 && isBasicLatin(prev)) {
        latinSpace = true;
        buf[pos] = c;
      } else {
        // remove_space: the space is not written, but still becomes `prev` below.
        pos -= 1;
      }
    } else {
      if (HYPHENS.has(c)) {
        if (prev === "-") continue;
        c = "-";
        buf[pos] = c;
      } else if (CHOONPUS.has(c)) {
        if (prev === "ー") continue;
        c = "ー";
        buf[pos] = c;
      } else if (TILDES.has(c)) {
        continue; // tilde='remove'
      } else {
        const converted = CONVERSION_MAP.get(c);
        if (converted !== undefined) c = converted;
        if (c === HALFWIDTH_DAKUTEN && KANA_TEN_MAP.has(prev)) {
          pos -= 1;
          c = KANA_TEN_MAP.get(prev)!;
        } else if (c === HALFWIDTH_HANDAKUTEN && KANA_MARU_MAP.has(prev)) {
          pos -= 1;
          c = KANA_MARU_MAP.get(prev)!;
        }
        if (latinSpace && isBlockChar(c)) {
          pos -= 1; // overwrite the kept space (or whatever was written since, see header)
        }
        latinSpace = false;
        buf[pos] = c;
      }
    }
    prev = c;
    pos += 1;
  }

  // `if buf[pos-1] == ' ': pos -= 1` — one trailing space at most. (With pos == 0 the C code
  // reads buf[-1], which is not a space in practice; the result is empty either way.)
  if (pos > 0 && buf[pos - 1] === " ") pos -= 1;
  let out = buf.slice(0, pos).join("");
  const nul = out.indexOf("\0");
  if (nul >= 0) out = out.slice(0, nul);
  return out;
}
