// The anchor's workloads, built by the project's own evaluator from ../shared/datasets:
// the same requests for rakuten-eval and (as multiple-choice questions) for llama-perplexity.

import path from "node:path";
import type { GenerateRequest, LoglikelihoodRequest } from "../../src/api/types.js";
import { planTask } from "../../src/evaluation/taskPlan.js";
import { findTask } from "../../src/tasks/registry.js";
import type { MultipleChoiceQuestion } from "./multipleChoiceFile.js";

export const DATA_DIR = path.resolve(process.cwd(), "../shared/datasets");
export const MMLU_SUBJECTS = ["abstract_algebra", "anatomy", "astronomy"];

export type WorkloadName = "jcqa" | "mmlu" | "mgsm";

export interface AnchorWorkload {
  name: WorkloadName;
  label: string;
  docs: number;
  scoring: LoglikelihoodRequest[];
  generation: GenerateRequest[];
  /** The scoring requests as questions (one per doc), for llama-perplexity. */
  questions: MultipleChoiceQuestion[];
}

function tasksOf(name: WorkloadName): { task: string; shots: number }[] {
  if (name === "jcqa") return [{ task: "jcommonsenseqa-1.1-0.3", shots: 3 }];
  if (name === "mmlu") return MMLU_SUBJECTS.map((subject) => ({ task: `hendrycksTest-${subject}`, shots: 5 }));
  return [{ task: "mgsm-1.0-0.3", shots: 5 }];
}

export function workloadLabel(name: WorkloadName, docs: number): string {
  if (name === "jcqa") return `JCommonsenseQA 3-shot × ${docs}`;
  if (name === "mmlu") return `MMLU 5-shot × ${MMLU_SUBJECTS.length} × ${docs}`;
  return `MGSM 5-shot × ${docs} (generation)`;
}

/** `docs`: per task (MMLU: per subject). */
export async function buildAnchorWorkload(name: WorkloadName, docs: number): Promise<AnchorWorkload> {
  const workload: AnchorWorkload = { name, label: workloadLabel(name, docs), docs: 0, scoring: [], generation: [], questions: [] };
  for (const { task, shots } of tasksOf(name)) {
    const plan = await planTask({ task: findTask(task), shots }, { dataDir: DATA_DIR, limit: docs });
    workload.docs += plan.docs.length;
    for (const doc of plan.docs) {
      const scoring = doc.requests.filter((request): request is LoglikelihoodRequest => request.type === "loglikelihood");
      workload.scoring.push(...scoring);
      workload.generation.push(...doc.requests.filter((request): request is GenerateRequest => request.type === "generate"));
      if (scoring.length > 0) workload.questions.push({ context: scoring[0]!.context, continuations: scoring.map((request) => request.continuation), gold: 0 });
    }
  }
  return workload;
}
