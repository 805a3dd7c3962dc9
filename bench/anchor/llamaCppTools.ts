// Builds llama.cpp's own `llama-perplexity`, `llama-bench` and `llama-batched-bench` once, from the llama.cpp
// source the installed node-llama-cpp ships (node_modules/node-llama-cpp/llama/
// gitRelease.bundle, a git bundle of the release named in llama.cpp.info.json), into
// bench/out/anchor/ (git-ignored). Release build, OpenMP off (node-llama-cpp's prebuilt
// binaries use ggml's own thread pool too), native CPU tuning (node-llama-cpp picks the
// CPU variant of its prebuilt binary for this machine at run time), only these targets; a
// target missing from an earlier build is built alone.

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";

export interface LlamaCppTools {
  perplexity: string;
  bench: string;
  /** llama.cpp's parallel-sequence throughput tool: the generation ceiling. */
  batchedBench: string;
  /** The release the source was cut from (llama.cpp.info.json) and the bundle's commit. */
  release: string;
}

function run(command: string, args: string[], cwd: string, log: (line: string) => void): void {
  log(`$ ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, { cwd, stdio: ["ignore", "inherit", "inherit"] });
  if (result.error !== undefined) throw new Error(`${command} could not start (${result.error.message}); install it (cmake, a C++ compiler and git are needed for --anchor)`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed with exit code ${result.status}`);
}

/** " (commit abc1234)" for the bundle's head, or nothing when git cannot read it. */
function bundleCommit(bundle: string): string {
  const listed = spawnSync("git", ["bundle", "list-heads", bundle], { encoding: "utf8" });
  const commit = listed.status === 0 ? /^([0-9a-f]{7,40})\s/m.exec(listed.stdout)?.[1] : undefined;
  return commit === undefined ? "" : ` (commit ${commit.slice(0, 7)})`;
}

/** The binaries, built if they are not there yet. `log` gets one line per step. */
export function ensureLlamaCppTools(root: string, outDir: string, log: (line: string) => void): LlamaCppTools {
  const shipped = path.join(root, "node_modules/node-llama-cpp/llama");
  const info = JSON.parse(readFileSync(path.join(shipped, "llama.cpp.info.json"), "utf8")) as { tag?: string; llamaCppGithubRepo?: string };
  // The tag names a node-llama-cpp release of the source; the bundle's one commit (the build
  // llama-bench reports as "build: <commit>") names the source itself.
  const release = `${info.llamaCppGithubRepo ?? "llama.cpp"}@${info.tag ?? "?"}${bundleCommit(path.join(shipped, "gitRelease.bundle"))}`;
  const anchorDir = path.join(outDir, "anchor");
  const source = path.join(anchorDir, "llama.cpp");
  const build = path.join(anchorDir, "build");
  const tools: LlamaCppTools = {
    perplexity: path.join(build, "bin/llama-perplexity"),
    bench: path.join(build, "bin/llama-bench"),
    batchedBench: path.join(build, "bin/llama-batched-bench"),
    release,
  };
  const targets = [tools.perplexity, tools.bench, tools.batchedBench];
  const missing = targets.filter((file) => !existsSync(file)).map((file) => path.basename(file));
  if (missing.length === 0) return tools;
  mkdirSync(anchorDir, { recursive: true });
  if (!existsSync(path.join(source, "CMakeLists.txt"))) {
    run("git", ["clone", "--quiet", path.join(shipped, "gitRelease.bundle"), source], anchorDir, log);
  }
  run(
    "cmake",
    [
      "-S", source, "-B", build,
      "-DCMAKE_BUILD_TYPE=Release",
      "-DGGML_OPENMP=OFF",
      "-DGGML_NATIVE=ON",
      "-DLLAMA_CURL=OFF",
      "-DLLAMA_BUILD_TESTS=OFF",
      "-DLLAMA_BUILD_EXAMPLES=OFF",
      "-DLLAMA_BUILD_SERVER=OFF",
      "-DBUILD_SHARED_LIBS=OFF",
    ],
    anchorDir,
    log,
  );
  const jobs = String(Math.max(1, Number(execFileSync("nproc", { encoding: "utf8" }).trim()) || 1));
  run("cmake", ["--build", build, "--config", "Release", "-j", jobs, "--target", ...missing], anchorDir, log);
  const stillMissing = targets.filter((file) => !existsSync(file));
  if (stillMissing.length > 0) throw new Error(`the build finished but ${stillMissing.join(", ")} is missing`);
  return tools;
}
