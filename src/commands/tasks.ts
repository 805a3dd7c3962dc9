import { Flags } from "@oclif/core";
import { defaultDataDir } from "../datasets/sources.js";
import { BaseCommand } from "./baseCommand.js";
import { taskCatalogue } from "../inspect/catalogue.js";
import { renderTaskList } from "../report/taskList.js";
import { terminalWidth } from "../terminal/width.js";

export default class Tasks extends BaseCommand {
  static override summary = "List every task with its version, metric, default shots, few-shot source and data status.";
  static override examples = ["<%= config.bin %> tasks", "<%= config.bin %> tasks --data-dir ../shared/datasets --json"];
  static override flags = {
    "data-dir": Flags.string({ description: "Folder to check for each task's data (default: the pull cache)." }),
    json: Flags.boolean({ description: "Print JSON.", default: false }),
    all: Flags.boolean({ description: "List the 57 MMLU subjects one by one.", default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Tasks);
    const rows = await taskCatalogue((flags["data-dir"] ?? defaultDataDir()), { expandMmlu: flags.all });
    if (flags.json) {
      this.log(JSON.stringify(rows, null, 2));
      return;
    }
    // Fitted to the terminal (COLUMNS in a pipe): no line wider than it.
    this.log(renderTaskList(rows, terminalWidth(process.stdout)));
  }
}
