// Issue 12's decode target: kvscope against a plain-loop C implementation (bench/baseline/plain_llama.c, built by
// CMake from the same source four ways: -O3 -march=native and -Ofast -march=native, each on one thread and with
// OpenMP over output rows), on the same weights — stories15M's shape, seeded random float32, written as a
// llama2.c checkpoint that both read — for a whole generation of 256 positions from a 5-token prompt.
//
//   bench_decode [--runs N] [--json FILE] [--dir DIR]
//
// Every configuration runs N times (default 5), interleaved so that a noisy moment hurts them all alike; the
// report gives medians of the generation time (loading aside: each side times its own generation loop), tokens
// per second, the ratio baseline time / kvscope time (above 1: kvscope is faster), and the peak memory of a
// whole `kvscope generate` process and of a baseline process (wait4's ru_maxrss). Every run's tokens must equal
// kvscope's single-thread tokens; a mismatch is reported and fails the bench (exit status 1).
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
#include "core/model.h"
#include "core/model_source.h"
#include "core/weights.h"
#include "tests/support/llama2c_writer.h"

using namespace kvscope;
namespace fs = std::filesystem;

namespace {

const std::vector<int32_t> kPrompt{12, 81, 92, 52, 65};
constexpr int kPositions = 256;
constexpr int kNewTokens = kPositions - 5 + 1;  // the last generated token takes no position

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
Measured run_kvscope(core::LlamaModel& model, int threads) {
  model.set_threads(threads);
  core::GenerationOptions options;
  options.prefill = core::PrefillScheme::All;
  options.new_tokens = kNewTokens;
  const auto t0 = std::chrono::steady_clock::now();
  core::Generator gen(model, {kPrompt}, options, nullptr);
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

  struct Config {
    std::string name;
    int threads;
    std::vector<std::string> argv;  // empty: kvscope in this process
    std::string env;
  };
  const std::string base = BASELINE_DIR;
  std::vector<std::string> baseline_args{checkpoint, std::to_string(kNewTokens)};
  for (int32_t id : kPrompt) baseline_args.push_back(std::to_string(id));
  auto baseline = [&](const std::string& exe) {
    std::vector<std::string> a{base + "/" + exe};
    a.insert(a.end(), baseline_args.begin(), baseline_args.end());
    return a;
  };
  const std::vector<Config> configs{
      {"kvscope", 1, {}, ""},
      {"kvscope", 2, {}, ""},
      {"plain loops -O3", 1, baseline("plain_llama_O3"), ""},
      {"plain loops -O3 + OpenMP", 2, baseline("plain_llama_O3_omp"), "OMP_NUM_THREADS=2"},
      {"plain loops -Ofast", 1, baseline("plain_llama_Ofast"), ""},
      {"plain loops -Ofast + OpenMP", 2, baseline("plain_llama_Ofast_omp"), "OMP_NUM_THREADS=2"},
  };

  std::vector<std::vector<double>> seconds(configs.size());
  std::vector<double> peak(configs.size(), 0);
  std::vector<int32_t> reference;
  bool mismatch = false;
  for (int r = 0; r < runs; ++r) {
    for (size_t i = 0; i < configs.size(); ++i) {
      const Config& cfg = configs[i];
      const Measured m = cfg.argv.empty() ? run_kvscope(model, cfg.threads) : run_process(cfg.argv, cfg.env);
      if (reference.empty()) reference = m.tokens;
      if (m.tokens != reference) {
        mismatch = true;
        std::cerr << "bench_decode: " << cfg.name << " on " << cfg.threads << " thread(s) generated other tokens:\n  "
                  << ids_text(m.tokens) << "\n  kvscope: " << ids_text(reference) << "\n";
      }
      seconds[i].push_back(m.seconds);
      peak[i] = std::max(peak[i], m.peak_mib);
    }
  }
  // kvscope's peak memory as a whole process, as a user runs it.
  for (const int threads : {1, 2}) {
    const Measured m = run_process({KVSCOPE_CLI, "generate", "--model", checkpoint, "--ids", ids_text(kPrompt),
                                    "--new-tokens", std::to_string(kNewTokens), "--threads", std::to_string(threads),
                                    "--prefill", "all"});
    peak[threads - 1] = m.peak_mib;
  }

  nlohmann::ordered_json report;
  report["bench"] = "decode";
  report["model"] = "stories15m shape, random float32 weights, llama2.c checkpoint";
  report["positions"] = kPositions;
  report["prompt_tokens"] = kPrompt.size();
  report["runs"] = runs;
  report["tokens_identical"] = !mismatch;
  std::printf("%-30s %7s %12s %10s %10s %14s\n", "configuration", "threads", "median s", "tokens/s", "peak MiB",
              "kvscope faster");
  for (size_t i = 0; i < configs.size(); ++i) {
    const double med = median(seconds[i]);
    const double kvscope_med = median(seconds[static_cast<size_t>(configs[i].threads - 1)]);
    const double ratio = med / kvscope_med;
    std::printf("%-30s %7d %12.4f %10.1f %10.1f %13.2fx\n", configs[i].name.c_str(), configs[i].threads, med,
                (kNewTokens + kPrompt.size() - 1) / med, peak[i], ratio);
    report["results"].push_back({{"configuration", configs[i].name},
                                 {"threads", configs[i].threads},
                                 {"median_seconds", med},
                                 {"all_seconds", seconds[i]},
                                 {"positions_per_second", (kNewTokens + kPrompt.size() - 1) / med},
                                 {"peak_mib", peak[i]},
                                 {"baseline_over_kvscope", ratio}});
  }
  if (!json_path.empty()) std::ofstream(json_path) << report.dump(1) << "\n";
  if (mismatch) std::cerr << "bench_decode: FAILED: the tokens differ\n";
  return mismatch ? 1 : 0;
}
