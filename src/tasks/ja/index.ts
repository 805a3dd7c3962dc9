// The Japanese tasks: the paper's eight (Stability-AI jp-stable 0fa86429, prompt 0.3) first, in
// table order, then the later variants users meet (jp-stable HEAD / suite ja8).
//
// Aliases: note that in the reference registry the bare names ("jsquad", "jnli", "marc_ja",
// "jcommonsenseqa", "jaqket_v2", "xlsum_ja", "mgsm") select *other* prompt versions (0.1/0.2/0.0);
// here they are shorthands for the 0.3 tasks the paper ran.

import type { Task } from "../../api/task.js";
import { eraseDocType } from "../eraseDocType.js";
import { jaqketV2HeadTask, jaqketV2Task } from "./jaqketV2.js";
import { jcommonsenseqaTask } from "./jcommonsenseqa.js";
import { jnliHeadTask, jnliTask } from "./jnli.js";
import { jsquadTask } from "./jsquad.js";
import { marcJaTask } from "./marcJa.js";
import { mgsmHeadTask, mgsmTask } from "./mgsm.js";
import { xlsumJaTask } from "./xlsumJa.js";
import { xwinogradJaTask } from "./xwinogradJa.js";

export const jaTasks: Task<unknown>[] = [
  eraseDocType(jcommonsenseqaTask),
  eraseDocType(jnliTask),
  eraseDocType(marcJaTask),
  eraseDocType(jsquadTask),
  eraseDocType(jaqketV2Task),
  eraseDocType(xlsumJaTask),
  eraseDocType(xwinogradJaTask),
  eraseDocType(mgsmTask),
  // Later variants, selectable by name.
  eraseDocType(jnliHeadTask),
  eraseDocType(jaqketV2HeadTask),
  eraseDocType(mgsmHeadTask),
];
