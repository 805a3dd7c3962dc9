// Stability's JSQuAD/JAQKET answer normaliser starts with `remove_emoji` (lm_eval/jasquad/evaluate.py
// @ 0fa86429, inside `normalize_answer`):
//
//   text = "".join(["" if emoji.is_emoji(c) else c for c in text])
//   then re.sub of "[\U0001F600-\U0001F64F\U0001F300-\U0001F5FF\U0001F680-\U0001F6FF
//                    \U0001F1E0-\U0001F1FF\U00002702-\U000027B0]+" with ""
//
// `emoji.is_emoji(s)` is `s in EMOJI_DATA` (emoji >= 2.0). Applied to ONE code point it is true
// only for the table's single-code-point keys: fully-qualified emoji, the unqualified bare base of
// every text-default emoji (©, ®, ‼, ™, ↔, ☺, 〰, ㊗, ...) and the components (skin tones
// U+1F3FB-1F3FF, hair U+1F9B0-1F9B3). Keycap bases (#, *, 0-9), regional indicators (U+1F1E6-1F1FF),
// ZWJ (U+200D), VS16 (U+FE0F) and tag characters only occur inside multi-code-point keys, so they
// survive the first pass (regional indicators are then deleted by the regex; U+FE0F/U+200D stay).
//
// Data version: the EMOJI_DATA single-code-point key set is identical in the Python `emoji`
// releases 2.6.0 through 2.12.1 (June 2023 - May 2024, Emoji 15.0/15.1; Rakuten's runs fall in this
// window). It equals the Unicode 15.1 `Emoji=Yes` property (emoji-data.txt) minus #, *, 0-9 and the
// regional indicators: 1386 code points, listed below as ranges. emoji 2.1.0-2.5.x (Emoji 14.0) lacked
// the 20 code points added in Emoji 15.0 (e.g. U+1FA77, U+1FAE8). The table is fixed here, rather
// than taken from the JS engine's `\p{Emoji}`, because newer engines know Emoji 16+ characters that
// the reference's package did not.

/** Inclusive code point ranges of single-code-point `emoji.EMOJI_DATA` keys (see header). */
const EMOJI_SINGLE_CODE_POINT_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0xA9, 0xA9], [0xAE, 0xAE], [0x203C, 0x203C], [0x2049, 0x2049], [0x2122, 0x2122], [0x2139, 0x2139],
  [0x2194, 0x2199], [0x21A9, 0x21AA], [0x231A, 0x231B], [0x2328, 0x2328], [0x23CF, 0x23CF], [0x23E9, 0x23F3],
  [0x23F8, 0x23FA], [0x24C2, 0x24C2], [0x25AA, 0x25AB], [0x25B6, 0x25B6], [0x25C0, 0x25C0], [0x25FB, 0x25FE],
  [0x2600, 0x2604], [0x260E, 0x260E], [0x2611, 0x2611], [0x2614, 0x2615], [0x2618, 0x2618], [0x261D, 0x261D],
  [0x2620, 0x2620], [0x2622, 0x2623], [0x2626, 0x2626], [0x262A, 0x262A], [0x262E, 0x262F], [0x2638, 0x263A],
  [0x2640, 0x2640], [0x2642, 0x2642], [0x2648, 0x2653], [0x265F, 0x2660], [0x2663, 0x2663], [0x2665, 0x2666],
  [0x2668, 0x2668], [0x267B, 0x267B], [0x267E, 0x267F], [0x2692, 0x2697], [0x2699, 0x2699], [0x269B, 0x269C],
  [0x26A0, 0x26A1], [0x26A7, 0x26A7], [0x26AA, 0x26AB], [0x26B0, 0x26B1], [0x26BD, 0x26BE], [0x26C4, 0x26C5],
  [0x26C8, 0x26C8], [0x26CE, 0x26CF], [0x26D1, 0x26D1], [0x26D3, 0x26D4], [0x26E9, 0x26EA], [0x26F0, 0x26F5],
  [0x26F7, 0x26FA], [0x26FD, 0x26FD], [0x2702, 0x2702], [0x2705, 0x2705], [0x2708, 0x270D], [0x270F, 0x270F],
  [0x2712, 0x2712], [0x2714, 0x2714], [0x2716, 0x2716], [0x271D, 0x271D], [0x2721, 0x2721], [0x2728, 0x2728],
  [0x2733, 0x2734], [0x2744, 0x2744], [0x2747, 0x2747], [0x274C, 0x274C], [0x274E, 0x274E], [0x2753, 0x2755],
  [0x2757, 0x2757], [0x2763, 0x2764], [0x2795, 0x2797], [0x27A1, 0x27A1], [0x27B0, 0x27B0], [0x27BF, 0x27BF],
  [0x2934, 0x2935], [0x2B05, 0x2B07], [0x2B1B, 0x2B1C], [0x2B50, 0x2B50], [0x2B55, 0x2B55], [0x3030, 0x3030],
  [0x303D, 0x303D], [0x3297, 0x3297], [0x3299, 0x3299], [0x1F004, 0x1F004], [0x1F0CF, 0x1F0CF],
  [0x1F170, 0x1F171], [0x1F17E, 0x1F17F], [0x1F18E, 0x1F18E], [0x1F191, 0x1F19A], [0x1F201, 0x1F202],
  [0x1F21A, 0x1F21A], [0x1F22F, 0x1F22F], [0x1F232, 0x1F23A], [0x1F250, 0x1F251], [0x1F300, 0x1F321],
  [0x1F324, 0x1F393], [0x1F396, 0x1F397], [0x1F399, 0x1F39B], [0x1F39E, 0x1F3F0], [0x1F3F3, 0x1F3F5],
  [0x1F3F7, 0x1F4FD], [0x1F4FF, 0x1F53D], [0x1F549, 0x1F54E], [0x1F550, 0x1F567], [0x1F56F, 0x1F570],
  [0x1F573, 0x1F57A], [0x1F587, 0x1F587], [0x1F58A, 0x1F58D], [0x1F590, 0x1F590], [0x1F595, 0x1F596],
  [0x1F5A4, 0x1F5A5], [0x1F5A8, 0x1F5A8], [0x1F5B1, 0x1F5B2], [0x1F5BC, 0x1F5BC], [0x1F5C2, 0x1F5C4],
  [0x1F5D1, 0x1F5D3], [0x1F5DC, 0x1F5DE], [0x1F5E1, 0x1F5E1], [0x1F5E3, 0x1F5E3], [0x1F5E8, 0x1F5E8],
  [0x1F5EF, 0x1F5EF], [0x1F5F3, 0x1F5F3], [0x1F5FA, 0x1F64F], [0x1F680, 0x1F6C5], [0x1F6CB, 0x1F6D2],
  [0x1F6D5, 0x1F6D7], [0x1F6DC, 0x1F6E5], [0x1F6E9, 0x1F6E9], [0x1F6EB, 0x1F6EC], [0x1F6F0, 0x1F6F0],
  [0x1F6F3, 0x1F6FC], [0x1F7E0, 0x1F7EB], [0x1F7F0, 0x1F7F0], [0x1F90C, 0x1F93A], [0x1F93C, 0x1F945],
  [0x1F947, 0x1F9FF], [0x1FA70, 0x1FA7C], [0x1FA80, 0x1FA88], [0x1FA90, 0x1FABD], [0x1FABF, 0x1FAC5],
  [0x1FACE, 0x1FADB], [0x1FAE0, 0x1FAE8], [0x1FAF0, 0x1FAF8],
];

/** Binary search over the sorted, disjoint ranges. */
function inRanges(cp: number): boolean {
  let lo = 0;
  let hi = EMOJI_SINGLE_CODE_POINT_RANGES.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [start, end] = EMOJI_SINGLE_CODE_POINT_RANGES[mid]!;
    if (cp < start) hi = mid - 1;
    else if (cp > end) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Python `emoji.is_emoji(c)` (emoji 2.6-2.12) for a string; true only for one listed code point. */
export function isEmoji(c: string): boolean {
  const cp = c.codePointAt(0);
  if (cp === undefined) return false;
  if (c.length !== (cp > 0xffff ? 2 : 1)) return false; // multi-code-point keys are out of scope here
  return inRanges(cp);
}

/** The ranges deleted by remove_emoji's regex after the per-character pass. */
const EMOJI_BLOCK_PATTERN = /[\u{1F600}-\u{1F64F}\u{1F300}-\u{1F5FF}\u{1F680}-\u{1F6FF}\u{1F1E0}-\u{1F1FF}\u{2702}-\u{27B0}]+/gu;

/** Stability `remove_emoji(text)`. Iterates by code point, as Python does over a `str`. */
export function removeEmoji(s: string): string {
  let kept = "";
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    if (!inRanges(cp)) kept += c;
  }
  return kept.replace(EMOJI_BLOCK_PATTERN, "");
}

/** Exposed for tests: the number of code points the table covers. */
export function emojiTableSize(): number {
  let total = 0;
  for (const [start, end] of EMOJI_SINGLE_CODE_POINT_RANGES) total += end - start + 1;
  return total;
}
