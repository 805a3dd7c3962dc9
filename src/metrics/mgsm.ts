// MGSM (ja) answer extraction and accuracy: Stability `lm_eval/tasks/ja/mgsm.py::MGSM`
// (`_extract_answer`, `process_results`) at 0fa86429, spec §3.8:
//
//   ANS_RE = re.compile(r"(\-?[0-9\.\,]+)")
//   matches = ANS_RE.findall(completion)
//   if matches:
//       match_str = matches[-1].strip('.').replace(",", "")
//       match_float = float(match_str)          # c0: a ValueError here is NOT caught
//       if match_float.is_integer(): return int(match_float)
//   return INVALID_ANS                          # "[invalid]"
//   acc = extracted_answer == doc["answer_number"]
//
// The completion reaching `_extract_answer` was already cut at "</s>" and then "\n" by
// greedy_until; that cut belongs to the generation step, not to this function.

/**
 * Which harness revision's behaviour a run follows: "c0" = the commit the paper cites,
 * "head" = jp-stable head (MGSM prompt newline fix, ValueError caught). Extraction below is the
 * same for both: at c0 a ValueError would abort the whole evaluation, so no c0 run that produced
 * a score ever hit it, and HEAD's INVALID is the only answer that yields a result.
 */
export type MgsmVariant = "c0" | "head";

export type MgsmAnswer = number | "INVALID";

const ANSWER_PATTERN = /-?[0-9.,]+/g;

/** Strings Python `float()` accepts that can come out of ANS_RE after strip('.') and comma removal. */
const PY_FLOAT_FROM_MATCH = /^-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)$/;

/** Python `s.strip('.')`. */
function stripDots(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s[start] === ".") start++;
  while (end > start && s[end - 1] === ".") end--;
  return s.slice(start, end);
}

/**
 * The integer answer in a completion, or "INVALID" (the reference's "[invalid]"). Python
 * `float()` never sees an exponent or "inf"/"nan" here (the regex has no letters); strings it
 * rejects ("", "-", "1.2.3") give INVALID, as at HEAD (commit 34d0035) — see MgsmVariant.
 * Too-large digit strings parse to inf in both languages and are INVALID (inf.is_integer() is False).
 */
export function extractMgsmAnswer(completion: string): MgsmAnswer {
  const matches = completion.match(ANSWER_PATTERN);
  if (matches === null || matches.length === 0) return "INVALID";
  const matchStr = stripDots(matches[matches.length - 1]!).replaceAll(",", "");
  if (!PY_FLOAT_FROM_MATCH.test(matchStr)) return "INVALID"; // Python: ValueError
  // Both Python float() and JS Number() round the decimal string correctly to a double.
  const value = Number(matchStr);
  if (!Number.isInteger(value)) return "INVALID";
  // int(-0.0) is 0 in Python; avoid handing out a JS -0.
  return value === 0 ? 0 : value;
}

/**
 * Per-question `acc`: 1 when the extracted integer equals `answer_number`. INVALID never equals an
 * int in Python ("[invalid]" == 18 is False).
 */
export function mgsmAccuracy(completion: string, answerNumber: number): 0 | 1 {
  const extracted = extractMgsmAnswer(completion);
  return extracted !== "INVALID" && extracted === answerNumber ? 1 : 0;
}
