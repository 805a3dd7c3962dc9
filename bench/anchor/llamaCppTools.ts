// Builds llama.cpp's own `llama-perplexity`, `llama-bench` and `llama-batched-bench` once, so
// that they run the very kernels rakuten-eval runs: their sources come from the llama.cpp
// release node-llama-cpp ships (node_modules/node-llama-cpp/llama/gitRelease.bundle), and they
// are linked against node-llama-cpp's own prebuilt libraries (libllama, libllama-common,
// libggml, libggml-base), copied beside the executables together with every
// `libggml-cpu-<variant>.so`. ggml then picks the CPU variant at start-up by the same
// mechanism and from the same files as in our process.
//
// Why not build llama.cpp itself: a `-march=native` build dies of SIGILL on AMX CPUs (in
// tinygemm_kernel_amx), and a build without AMX compares AVX-512 matrix products with our AMX
// ones (kernels, not scheduling). Only the tools' own .cpp files are compiled here (g++,
// -O2, C++17), a few seconds each; nothing of ggml or llama is.

import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export interface LlamaCppTools {
  perplexity: string;
  bench: string;
  /** llama.cpp's parallel-sequence throughput tool: the generation ceiling. */
  batchedBench: string;
  /** The release the source was cut from (llama.cpp.info.json) and the bundle's commit. */
  release: string;
  /** Where node-llama-cpp's prebuilt libraries were copied from (relative to the repository). */
  libraries: string;
}

function run(command: string, args: string[], cwd: string, log: (line: string) => void): void {
  log(`$ ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, { cwd, stdio: ["ignore", "inherit", "inherit"] });
  if (result.error !== undefined) throw new Error(`${command} could not start (${result.error.message}); install it (g++ and git are needed for --anchor)`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed with exit code ${result.status}`);
}

/** " (commit abc1234)" for the bundle's head, or nothing when git cannot read it. */
function bundleCommit(bundle: string): string {
  const listed = spawnSync("git", ["bundle", "list-heads", bundle], { encoding: "utf8" });
  const commit = listed.status === 0 ? /^([0-9a-f]{7,40})\s/m.exec(listed.stdout)?.[1] : undefined;
  return commit === undefined ? "" : ` (commit ${commit.slice(0, 7)})`;
}

/** The folder of node-llama-cpp's prebuilt CPU libraries for this platform (hoisted, or under node-llama-cpp). */
function prebuiltLibraries(root: string): string {
  const platform = `${process.platform}-${process.arch}`;
  const candidates = [
    path.join(root, "node_modules/@node-llama-cpp", platform, "bins", platform),
    path.join(root, "node_modules/node-llama-cpp/node_modules/@node-llama-cpp", platform, "bins", platform),
  ];
  const bins = candidates.find((folder) => existsSync(path.join(folder, "libllama-common.so")));
  if (bins === undefined) throw new Error(`node-llama-cpp's prebuilt CPU package @node-llama-cpp/${platform} (with libllama-common.so) is not installed; --anchor links llama.cpp's tools against it`);
  return bins;
}

/** The CPU variant a llama.cpp tool loaded, from its start-up log ("load_backend: loaded CPU backend from …/libggml-cpu-zen4.so"). */
export function toolCpuVariant(stderr: string): string | undefined {
  return /loaded CPU backend from \S*libggml-cpu-([A-Za-z0-9_]+)\.so/.exec(stderr)?.[1];
}

/** The binaries, built if they are not there yet. `log` gets one line per step. */
export function ensureLlamaCppTools(root: string, outDir: string, log: (line: string) => void): LlamaCppTools {
  const shipped = path.join(root, "node_modules/node-llama-cpp/llama");
  const info = JSON.parse(readFileSync(path.join(shipped, "llama.cpp.info.json"), "utf8")) as { tag?: string; llamaCppGithubRepo?: string };
  const version = (JSON.parse(readFileSync(path.join(root, "node_modules/node-llama-cpp/package.json"), "utf8")) as { version: string }).version;
  // The tag names a node-llama-cpp release of the source; the bundle's one commit (the build
  // llama-bench reports as "build: <commit>") names the source itself.
  const release = `${info.llamaCppGithubRepo ?? "llama.cpp"}@${info.tag ?? "?"}${bundleCommit(path.join(shipped, "gitRelease.bundle"))}`;
  const anchorDir = path.join(outDir, "anchor");
  const source = path.join(anchorDir, "llama.cpp");
  // One folder per node-llama-cpp version: its libraries and the tools linked to them.
  const linked = path.join(anchorDir, `linked-node-llama-cpp-${version}`);
  const libraries = prebuiltLibraries(root);
  const tools: LlamaCppTools = {
    perplexity: path.join(linked, "llama-perplexity"),
    bench: path.join(linked, "llama-bench"),
    batchedBench: path.join(linked, "llama-batched-bench"),
    release,
    libraries: path.relative(root, libraries),
  };
  const sources: [string, string][] = [
    [tools.perplexity, "tools/perplexity"],
    [tools.bench, "tools/llama-bench"],
    [tools.batchedBench, "tools/batched-bench"],
  ];
  const missing = sources.filter(([binary]) => !existsSync(binary));
  if (missing.length === 0) return tools;
  mkdirSync(linked, { recursive: true });
  if (!existsSync(path.join(source, "CMakeLists.txt"))) {
    run("git", ["clone", "--quiet", path.join(shipped, "gitRelease.bundle"), source], anchorDir, log);
  }
  for (const file of readdirSync(libraries).filter((name) => name.endsWith(".so"))) copyFileSync(path.join(libraries, file), path.join(linked, file));
  log(`copied node-llama-cpp ${version}'s prebuilt libraries from ${tools.libraries} to ${path.relative(root, linked)}`);
  // The versioned names (libllama.v0.5.0.so) change with node-llama-cpp's releases.
  const named = (pattern: RegExp): string => {
    const found = readdirSync(linked).find((name) => pattern.test(name));
    if (found === undefined) throw new Error(`no library matching ${pattern} in ${tools.libraries}`);
    return `-l:${found}`;
  };
  const libs = [named(/^libllama-common\.so$/), named(/^libllama(\.v[\d.]+)?\.so$/), named(/^libggml(\.v[\d.]+)?\.so$/), named(/^libggml-base\.so$/)];
  for (const [binary, folder] of missing) {
    const files = readdirSync(path.join(source, folder)).filter((name) => name.endsWith(".cpp")).map((name) => path.join(source, folder, name));
    run(
      "g++",
      [
        "-O2", "-DNDEBUG", "-std=c++17", "-pthread",
        "-I", path.join(source, "include"), "-I", path.join(source, "ggml/include"), "-I", path.join(source, "common"), "-I", path.join(source, "vendor"),
        ...files,
        "-o", binary,
        "-L", linked, ...libs,
        // The libraries (and the CPU variants ggml loads from the executable's folder) sit beside it.
        "-Wl,-rpath,$ORIGIN",
      ],
      anchorDir,
      log,
    );
  }
  const stillMissing = sources.filter(([binary]) => !existsSync(binary)).map(([binary]) => path.basename(binary));
  if (stillMissing.length > 0) throw new Error(`the build finished but ${stillMissing.join(", ")} is missing`);
  return tools;
}
