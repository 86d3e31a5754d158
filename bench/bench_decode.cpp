// Issue 12's decode target: kvscope against a plain-loop C implementation (bench/baseline/plain_llama.c, built by
// CMake from the same source four ways: -O3 -march=native and -Ofast -march=native, each on one thread and with
// OpenMP over output rows), on the same weights — stories15M's shape, seeded random float32, written as a
// llama2.c checkpoint that both read — for a whole generation of 256 positions from a 5-token prompt, and for
// a 128-token prompt (kvscope: one prefill pass, matrix-matrix products; the baseline: a position at a time).
//
//   bench_decode [--runs N] [--json FILE] [--dir DIR]
//
// Every configuration runs N times (default 5), interleaved so that a noisy moment hurts them all alike; the
// report gives medians of the generation time (loading aside: each side times its own generation loop), tokens
// per second, the ratio baseline time / kvscope time (above 1: kvscope is faster), and the peak memory of a
// whole `kvscope generate` process and of a baseline process (wait4's ru_maxrss). Every run's tokens must equal
// kvscope's single-thread tokens; a mismatch is reported and fails the bench (exit status 1).
//
// A third table runs kvscope alone on the same weights stored each way it keeps them (safetensors F32, F16 and
// BF16 mapped from the file, GGUF Q8_0 mapped, GGUF Q4_0 requantized to Q8_0 at load): the generation's
// tokens per second on 1 and 2 threads, the file's weight bytes and a `kvscope generate` process's peak memory.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config.h"
#include "core/generator.h"
#include "core/hf_weights.h"
#include "core/model.h"
#include "core/model_source.h"
#include "core/quant.h"
#include "core/weights.h"
#include "tests/support/gguf_model_writer.h"
#include "tests/support/llama2c_writer.h"

using namespace kvscope;
namespace fs = std::filesystem;

namespace {

const std::vector<int32_t> kPrompt{12, 81, 92, 52, 65};
constexpr int kPrefillTokens = 128;
constexpr int kNewTokens = 256 - 5 + 1;  // 256 positions: the last generated token takes none

[[noreturn]] void die(const std::string& what) {
  std::cerr << "bench_decode: " << what << "\n";
  std::exit(1);
}

struct Measured {
  std::vector<int32_t> tokens;
  double seconds = 0;
  double peak_mib = 0;
};

// Runs argv, capturing its standard output and its peak resident memory.
Measured run_process(const std::vector<std::string>& argv, const std::string& env = "") {
  int fds[2];
  if (pipe(fds) != 0) die("pipe failed");
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    if (!env.empty()) putenv(const_cast<char*>(env.c_str()));
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die(argv[0] + " failed:\n" + out);
  Measured m;
  m.peak_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string key;
    words >> key;
    if (key == "tokens")
      for (int32_t id; words >> id;) m.tokens.push_back(id);
    if (key == "seconds") words >> m.seconds;
  }
  return m;
}

// kvscope in this process: the same checkpoint, a cached generation (prefill of the prompt, then decode).
Measured run_kvscope(core::LlamaModel& model, int threads, const std::vector<int32_t>& prompt, int new_tokens) {
  model.set_threads(threads);
  core::GenerationOptions options;
  options.prefill = core::PrefillScheme::All;
  options.new_tokens = new_tokens;
  const auto t0 = std::chrono::steady_clock::now();
  core::Generator gen(model, {prompt}, options, nullptr);
  while (!gen.done()) gen.step();
  Measured m;
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  m.tokens = gen.sequences()[0];
  return m;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

std::string ids_text(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) s += (s.empty() ? "" : ",") + std::to_string(id);
  return s;
}

struct Config {
  std::string name;
  int threads;
  std::string exe;  // empty: kvscope in this process
  std::string env;
};

// Every configuration `runs` times, interleaved; prints the table and returns it as JSON. Tokens are compared with
// kvscope's first run; `identical` turns false (with the two lists on standard error) when they differ.
nlohmann::ordered_json measure(core::LlamaModel& model, const std::string& checkpoint, const std::string& title,
                               const std::vector<int32_t>& prompt, int new_tokens, int runs, bool& identical) {
  const std::vector<Config> configs{
      {"kvscope", 1, "", ""},
      {"kvscope", 2, "", ""},
      {"plain loops -O3", 1, "plain_llama_O3", ""},
      {"plain loops -O3 + OpenMP", 2, "plain_llama_O3_omp", "OMP_NUM_THREADS=2"},
      {"plain loops -Ofast", 1, "plain_llama_Ofast", ""},
      {"plain loops -Ofast + OpenMP", 2, "plain_llama_Ofast_omp", "OMP_NUM_THREADS=2"},
  };
  const int positions = static_cast<int>(prompt.size()) + new_tokens - 1;  // forwards: one per position
  std::vector<std::vector<double>> seconds(configs.size());
  std::vector<double> peak(configs.size(), 0);
  std::vector<int32_t> reference;
  for (int r = 0; r < runs; ++r) {
    for (size_t i = 0; i < configs.size(); ++i) {
      const Config& cfg = configs[i];
      Measured m;
      if (cfg.exe.empty()) {
        m = run_kvscope(model, cfg.threads, prompt, new_tokens);
      } else {
        std::vector<std::string> argv{std::string(BASELINE_DIR) + "/" + cfg.exe, checkpoint,
                                      std::to_string(new_tokens)};
        for (int32_t id : prompt) argv.push_back(std::to_string(id));
        m = run_process(argv, cfg.env);
      }
      if (reference.empty()) reference = m.tokens;
      if (m.tokens != reference) {
        identical = false;
        std::cerr << "bench_decode: " << title << ": " << cfg.name << " on " << cfg.threads
                  << " thread(s) generated other tokens:\n  " << ids_text(m.tokens)
                  << "\n  kvscope: " << ids_text(reference) << "\n";
      }
      seconds[i].push_back(m.seconds);
      peak[i] = std::max(peak[i], m.peak_mib);
    }
  }
  // kvscope's peak memory as a whole process, as a user runs it.
  for (const int threads : {1, 2}) {
    const Measured m = run_process({KVSCOPE_CLI, "generate", "--model", checkpoint, "--ids", ids_text(prompt),
                                    "--new-tokens", std::to_string(new_tokens), "--threads", std::to_string(threads),
                                    "--prefill", "all"});
    peak[static_cast<size_t>(threads - 1)] = m.peak_mib;
  }
  nlohmann::ordered_json section;
  section["title"] = title;
  section["prompt_tokens"] = prompt.size();
  section["positions"] = positions;
  std::printf("\n%s\n%-30s %7s %12s %10s %10s %14s\n", title.c_str(), "configuration", "threads", "median s",
              "tokens/s", "peak MiB", "kvscope faster");
  for (size_t i = 0; i < configs.size(); ++i) {
    const double med = median(seconds[i]);
    const double ratio = med / median(seconds[static_cast<size_t>(configs[i].threads - 1)]);
    std::printf("%-30s %7d %12.4f %10.1f %10.1f %13.2fx\n", configs[i].name.c_str(), configs[i].threads, med,
                positions / med, peak[i], ratio);
    section["results"].push_back({{"configuration", configs[i].name},
                                  {"threads", configs[i].threads},
                                  {"median_seconds", med},
                                  {"all_seconds", seconds[i]},
                                  {"tokens_per_second", positions / med},
                                  {"peak_mib", peak[i]},
                                  {"baseline_over_kvscope", ratio}});
  }
  return section;
}

// The stories15M weights (untied, as an HF checkpoint is) in every stored form kvscope computes with.
struct StoredForm {
  std::string name;
  std::string path;
};

std::vector<StoredForm> write_stored_forms(const std::string& dir, const core::LlamaConfig& c) {
  core::LlamaWeights w = core::random_weights(c, 0);
  std::vector<StoredForm> forms;
  for (const core::DType dtype : {core::DType::F32, core::DType::F16, core::DType::BF16}) {
    const std::string path = dir + "/stories15m-" + core::dtype_name(dtype);
    core::save_hf_weights(path, c, w, dtype);
    forms.push_back({std::string("safetensors ") + core::dtype_name(dtype), path});
  }
  test::GgufModelOptions q8;
  q8.types = test::all_matrices(static_cast<uint32_t>(core::GgmlType::Q8_0));
  forms.push_back({"GGUF Q8_0", dir + "/stories15m-Q8_0.gguf"});
  test::write_gguf_model(forms.back().path, c, w, q8);
  // stories15M's rows of 288 are not whole K-quant blocks (256): Q4_0 stands for the requantized types.
  test::GgufModelOptions q4;
  q4.types = test::all_matrices(static_cast<uint32_t>(core::GgmlType::Q4_0));
  forms.push_back({"GGUF Q4_0 (as Q8_0)", dir + "/stories15m-Q4_0.gguf"});
  test::write_gguf_model(forms.back().path, c, w, q4);
  return forms;
}

// The bytes of a model file's weights: the file less its header (safetensors: the 8-byte length and the JSON).
double weight_mib(const StoredForm& form) {
  if (fs::is_directory(form.path)) {
    const fs::path file = fs::path(form.path) / "model.safetensors";
    std::ifstream in(file, std::ios::binary);
    uint64_t header = 0;
    in.read(reinterpret_cast<char*>(&header), sizeof header);
    return static_cast<double>(fs::file_size(file) - 8 - header) / (1024.0 * 1024.0);
  }
  return static_cast<double>(fs::file_size(form.path)) / (1024.0 * 1024.0);
}

nlohmann::ordered_json measure_forms(const std::vector<StoredForm>& forms, int runs) {
  std::printf("\nkvscope by stored form: 256 positions from a 5-token prompt\n%-28s %10s %12s %12s %10s %10s\n",
              "weights", "file MiB", "tok/s 1T", "tok/s 2T", "peak MiB", "peak/file");
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  const int positions = static_cast<int>(kPrompt.size()) + kNewTokens - 1;
  for (const StoredForm& form : forms) {
    core::LlamaModel model = core::load_model(core::resolve_model(form.path), 0, false);
    std::vector<double> seconds[2];
    for (int r = 0; r < runs; ++r)
      for (const int threads : {1, 2})
        seconds[threads - 1].push_back(run_kvscope(model, threads, kPrompt, kNewTokens).seconds);
    const Measured process = run_process({KVSCOPE_CLI, "generate", "--model", form.path, "--ids", ids_text(kPrompt),
                                          "--new-tokens", std::to_string(kNewTokens), "--threads", "1"});
    const double file = weight_mib(form);
    const double one = positions / median(seconds[0]), two = positions / median(seconds[1]);
    std::printf("%-28s %10.1f %12.1f %12.1f %10.1f %9.2fx\n", form.name.c_str(), file, one, two, process.peak_mib,
                process.peak_mib / file);
    out.push_back({{"weights", form.name},
                   {"file_weight_mib", file},
                   {"tokens_per_second_1_thread", one},
                   {"tokens_per_second_2_threads", two},
                   {"peak_mib", process.peak_mib}});
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  std::string json_path, dir = "/tmp/kvscope-bench-decode";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--runs" && i + 1 < argc) runs = std::max(1, std::atoi(argv[++i]));
    else if (a == "--json" && i + 1 < argc) json_path = argv[++i];
    else if (a == "--dir" && i + 1 < argc) dir = argv[++i];
    else die("usage: bench_decode [--runs N] [--json FILE] [--dir DIR]");
  }
  fs::create_directories(dir);
  const std::string checkpoint = dir + "/stories15m-random.bin";
  const core::LlamaConfig c = core::preset_config("stories15m");
  {
    core::LlamaConfig file_config = c;
    file_config.tie_word_embeddings = true;  // llama2.c's stories15M shares its classifier
    core::LlamaWeights w = core::random_weights(file_config, 0);
    std::ofstream(checkpoint, std::ios::binary)
        << test::llama2c_legacy_file(file_config, test::llama2c_layout(file_config, std::move(w)));
  }
  core::LlamaModel model = core::load_model(core::resolve_model(checkpoint), 0, false);

  nlohmann::ordered_json report;
  report["bench"] = "decode";
  report["model"] = "stories15m shape, random float32 weights, llama2.c checkpoint";
  report["runs"] = runs;
  bool identical = true;
  std::vector<int32_t> long_prompt(kPrefillTokens);
  for (int i = 0; i < kPrefillTokens; ++i) long_prompt[static_cast<size_t>(i)] = (i * 7919 + 11) % c.vocab_size;
  report["generation"] = measure(model, checkpoint, "generation: 256 positions from a 5-token prompt", kPrompt,
                                 kNewTokens, runs, identical);
  report["prefill"] = measure(model, checkpoint, "prefill: a 128-token prompt, then 1 token", long_prompt, 1, runs,
                              identical);
  core::LlamaConfig untied = c;
  untied.tie_word_embeddings = false;
  report["stored_forms"] = measure_forms(write_stored_forms(dir, untied), runs);
  report["tokens_identical"] = identical;
  if (!json_path.empty()) std::ofstream(json_path) << report.dump(1) << "\n";
  if (!identical) std::cerr << "bench_decode: FAILED: the tokens differ\n";
  return identical ? 0 : 1;
}
