// llama.cpp decoding a GGUF greedily, timed as bench_gguf_1b times kvscope: the same prompt (BOS and the text's
// tokens), then untraced greedy steps, the median step of each run, the median of the runs, per thread count.
// llama.cpp here is node-llama-cpp's prebuilt CPU build (the library as llama.cpp's own release builds it: every CPU
// variant, the best one for this CPU loaded at run time). scripts/bench-report --with-llama-cpp installs it from the
// npm registry and runs this; a developer's measurement, never part of the build or the tests.
//   node scripts/llama-cpp-bench.mjs MODEL.gguf --npm-dir DIR [--threads 1,2] [--steps 8] [--runs 3] [--json FILE]
// DIR is where node-llama-cpp is installed (npm's --prefix).
import {existsSync, writeFileSync, renameSync} from "node:fs";
import {join} from "node:path";
import {pathToFileURL} from "node:url";

const usage = "usage: node scripts/llama-cpp-bench.mjs MODEL.gguf --npm-dir DIR [--threads 1,2] [--steps 8] " +
              "[--runs 3] [--json FILE]";
// A bad argument or a missing file is a one-line message and exit status 2, not a stack trace.
const fail = (message) => {
  console.error(`llama-cpp-bench: ${message}`);
  process.exit(2);
};
const args = process.argv.slice(2);
const options = {"npm-dir": "", threads: "1,2", steps: "8", runs: "3", json: ""};
let modelPath = "";
for (let i = 0; i < args.length; ++i) {
  const name = args[i].startsWith("--") ? args[i].slice(2) : "";
  if (name in options) {
    if (i + 1 >= args.length) fail(`${args[i]} needs a value\n${usage}`);
    options[name] = args[++i];
  } else if (!name && !modelPath) {
    modelPath = args[i];
  } else {
    fail(`unknown argument ${args[i]}\n${usage}`);
  }
}
if (!modelPath || !options["npm-dir"]) fail(usage);
const counted = (value, what) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) fail(`--${what} must be a whole number of at least 1, got ${value}`);
  return n;
};
const threadCounts = options.threads.split(",").map((v) => counted(v, "threads"));
const steps = counted(options.steps, "steps"), runs = counted(options.runs, "runs");

const prompt = "the quick brown fox jumps over the lazy dog";  // bench_gguf_1b's
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

if (!existsSync(modelPath)) fail(`${modelPath}: no such file`);
const entry = join(options["npm-dir"], "node_modules", "node-llama-cpp", "dist", "index.js");
if (!existsSync(entry)) fail(`--npm-dir ${options["npm-dir"]}: node-llama-cpp is not installed there (no ${entry})`);
const {getLlama} = await import(pathToFileURL(entry).href);
const llama = await getLlama({gpu: false, build: "never", logLevel: "error", maxThreads: 0});
const loadStart = performance.now();
const model = await llama.loadModel({modelPath, gpuLayers: 0});
const loadSeconds = (performance.now() - loadStart) / 1000;
const tokens = [...(model.tokens.bos === null ? [] : [model.tokens.bos]), ...model.tokenize(prompt)];

const result = {model: modelPath, llama_cpp_release: llama.llamaCppRelease?.release ?? "", build: llama.buildType,
                system_info: llama.systemInfo, load_s: loadSeconds, prompt_tokens: tokens.length,
                decode_steps: steps, runs, threads: []};
for (const threads of threadCounts) {
  const stepMs = [], prefillMs = [];
  for (let run = 0; run < runs; ++run) {
    const context = await model.createContext({contextSize: 128, batchSize: 32,
                                               threads: {ideal: threads, min: threads}});
    const sequence = context.getSequence();
    const times = [];
    let last = performance.now();
    // The first token out ends the prompt's evaluation; each one after it is one decode step.
    for await (const _ of sequence.evaluate(tokens, {temperature: 0})) {
      const now = performance.now();
      times.push(now - last);
      last = now;
      if (times.length > steps) break;
    }
    prefillMs.push(times[0]);
    stepMs.push(median(times.slice(1)));
    await context.dispose();
  }
  const step = median(stepMs);
  result.threads.push({threads, step_ms: step, tokens_per_s: 1000 / step, run_step_ms: stepMs,
                       prefill_tokens_per_s: tokens.length / (median(prefillMs) / 1000)});
  console.log(`llama.cpp, ${threads} thread${threads > 1 ? "s" : ""}: ${(1000 / step).toFixed(2)} tokens/s ` +
              `(${step.toFixed(1)} ms/token; runs ${stepMs.map((v) => v.toFixed(1)).join(" ")} ms)`);
}
await model.dispose();
if (options.json) {
  writeFileSync(options.json + ".tmp", JSON.stringify(result, null, 2) + "\n");
  renameSync(options.json + ".tmp", options.json);
}
