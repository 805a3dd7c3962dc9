// MGSM exemplars rebuilt as HF juletxara/mgsm's train lines, because the pinned source is the
// exemplars.py of google-research/url-nlp. mgsm/exemplars.py defines, as Python literals,
//   EXEMPLAR_NUMBER_ANSWERS = [11, ...], EXEMPLAR_EQUATION_SOLUTIONS = ["5 + 6 = 11.", ...],
//   MGSM_EXEMPLARS = {"<lang>": {"1": {"q": "...", "a": "..."}, ...}, ...}
// HF juletxara/mgsm serves the 8 exemplars of a language as its train split, one line each:
//   {"question": q, "answer": a, "answer_number": n, "equation_solution": eq}.
// The literals are read by pythonLiterals.ts; nothing is executed.

import { DatasetError } from "../util/errors.js";
import { pythonJson } from "./pythonDumps.js";
import { readPythonAssignments } from "./pythonLiterals.js";

export function mgsmExemplarsJsonl(source: string, language: string, label: string): Buffer {
  let values: Map<string, unknown>;
  try {
    values = readPythonAssignments(source);
  } catch (e) {
    throw new DatasetError("parse", label, `${label}: exemplars.py: ${(e as Error).message}`);
  }
  const numbers = values.get("EXEMPLAR_NUMBER_ANSWERS");
  const equations = values.get("EXEMPLAR_EQUATION_SOLUTIONS");
  const exemplars = values.get("MGSM_EXEMPLARS") as Record<string, Record<string, { q?: unknown; a?: unknown }>> | undefined;
  const forLanguage = exemplars?.[language];
  if (!Array.isArray(numbers) || !Array.isArray(equations) || !forLanguage) {
    throw new DatasetError("parse", label, `${label}: exemplars.py lacks EXEMPLAR_NUMBER_ANSWERS, EXEMPLAR_EQUATION_SOLUTIONS or MGSM_EXEMPLARS["${language}"].`);
  }
  const keys = Object.keys(forLanguage).sort((a, b) => Number(a) - Number(b));
  const lines = keys.map((key, i) => {
    const item = forLanguage[key]!;
    if (typeof item.q !== "string" || typeof item.a !== "string" || i >= numbers.length || i >= equations.length) {
      throw new DatasetError("parse", label, `${label}: exemplars.py MGSM_EXEMPLARS["${language}"]["${key}"] is not {q, a} with a matching answer number and equation.`);
    }
    return pythonJson({ question: item.q, answer: item.a, answer_number: numbers[i], equation_solution: equations[i] }) + "\n";
  });
  return Buffer.from(lines.join(""), "utf8");
}
