// The layers of src/, lowest first, checked by `npm run lint:layers` (part of `npm test`).
// A module may import its own layer and the layers below it, never one above: the results
// document does not know the reports, the tasks do not know the backend, the data layer does
// not know the tasks. Rules name folders, so new files (src/backend/llama/*) are covered.

/** Path patterns (relative to the repository root) of each layer, lowest first. */
const LAYERS = [
  // Contracts and leaf utilities: error types, package paths, plain request/task types, file
  // helpers (util/), Python/numpy RNG ports, metric arithmetic.
  // terminal/: colour, width and the progress display (plain data in, text out).
  { name: "base", path: "^src/(util/|terminal/|api/|random/|metrics/)" },
  // Dataset manifests and files; the paper's suites and published figures (data).
  { name: "data", path: "^src/(datasets|paper)/" },
  { name: "tasks", path: "^src/tasks/" },
  // Models and the request cache (cache sits below the backend that fronts it, see below).
  { name: "engine", path: "^src/(backend|cache)/" },
  // The evaluator, chat turns, and how a run's docs are dealt to shards (`run --shard`).
  { name: "evaluator", path: "^src/(evaluation|shard)/" },
  // The results document: building, schema validation, reading back.
  { name: "results", path: "^src/results/" },
  // Statistics and the regression gate.
  { name: "compare", path: "^src/compare/" },
  // Terminal tables, Markdown, HTML and the report model (renders what compare computes).
  { name: "report", path: "^src/report/" },
  // Library entry functions the commands call: run/ holds a run's phases, inspect/ the library code
  // of tasks, prompts and parity (built on run/, see below); merge/ rebuilds a run from its shards,
  // rescore/ scores a saved run again from its samples.
  { name: "library", path: "^src/(run|inspect|merge|rescore)/" },
  { name: "commands", path: "^src/commands/" },
];

const upward = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `no-upward-from-${layer.name}`,
  comment: `${layer.name} must not import a higher layer (${LAYERS.slice(i + 1).map((l) => l.name).join(", ")})`,
  severity: "error",
  from: { path: layer.path },
  to: { path: LAYERS.slice(i + 1).map((l) => l.path) },
}));

module.exports = {
  forbidden: [
    ...upward,
    {
      name: "no-unlayered",
      comment: "every module of src/ belongs to a layer: add a new folder or top-level file to LAYERS in .dependency-cruiser.cjs",
      severity: "error",
      from: { path: "^src/", pathNot: LAYERS.map((l) => l.path) },
      to: {},
    },
    {
      name: "no-circular",
      comment: "no import cycles, within a layer either",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "tasks-not-backend",
      comment: "tasks only build requests and score responses; they never see a model",
      severity: "error",
      from: { path: "^src/tasks/" },
      to: { path: "^src/(backend|cache)/" },
    },
    {
      name: "backend-not-tasks",
      comment: "backends see only requests: never the task or the evaluator that made them",
      severity: "error",
      from: { path: "^src/backend/" },
      to: { path: ["^src/tasks/", "^src/evaluation/", "^src/paper/"] },
    },
    {
      name: "no-backend-imports-another",
      comment:
        "one backend (src/backend/llama/, src/backend/remote/) never imports another: what both need (planning, layout, tokenization, tokenizer loading) lives beside them in src/backend/",
      severity: "error",
      from: { path: "^src/backend/(llama|remote)/" },
      to: { path: "^src/backend/(llama|remote)/", pathNot: "^src/backend/$1/" },
    },
    {
      name: "run-not-inspect",
      comment: "the inspection commands' code (inspect/) builds on a run's (chat setup, tokenizer choice); a run never imports it",
      severity: "error",
      from: { path: "^src/run/" },
      to: { path: "^src/inspect/" },
    },
    {
      name: "cache-not-backend",
      comment: "the cache stores answers for the backend; the backend uses the cache, not the reverse",
      severity: "error",
      from: { path: "^src/cache/" },
      to: { path: "^src/backend/" },
    },
    {
      name: "compare-not-report",
      comment: "report renders comparisons; compare never imports report",
      severity: "error",
      from: { path: "^src/compare/" },
      to: { path: "^src/report/" },
    },
    {
      name: "src-not-test-or-bench",
      comment: "the package never imports its tests or benchmarks",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(test|bench)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    includeOnly: "^(src|test|bench)/",
    // Type-only imports count: a type import from a higher layer still couples the layers.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".json"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
