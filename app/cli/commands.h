#pragma once
// The subcommands of `kvscope`, one file each, and the flags they share.
#include <functional>
#include <memory>

#include <CLI/CLI.hpp>

#include "app/common/recording.h"

namespace kvscope::cli {

// --model --seed --prompt --ids --tokenizer --prompt-len --batch --new-tokens --prefill --meta --stop-at-eos:
// how every command describes a run.
void add_run_flags(CLI::App& cmd, app::RunSpec& spec);

// --output, -o: the file trace::write_output writes; standard output when absent.
void add_output_flag(CLI::App& cmd, std::string& path);

// Loads the model of `spec` (meta when asked) and records one run in `mode` into a trace::Run.
// Throws std::runtime_error / std::invalid_argument with a message naming the flag or file at fault.
struct RecordedRuns {
  trace::Document doc;                                       // one run per requested mode, in the order asked
  std::vector<std::vector<core::StepResult>> results;        // per run, per step
  std::vector<std::vector<std::vector<int32_t>>> sequences;  // per run: every sequence, prompt + generated
  std::unique_ptr<tokenizer::Tokenizer> tokenizer;           // the run's tokenizer; null when it has none
};
// Called after every step, as it happens (generate streams text from it).
using StepObserver = std::function<void(const core::StepResult&, const core::Generator&, const tokenizer::Tokenizer*)>;
RecordedRuns record_runs(const app::RunSpec& spec, const std::vector<core::CacheMode>& modes,
                         const StepObserver& observe = {});

void add_generate_command(CLI::App& app);
void add_trace_command(CLI::App& app);
void add_export_command(CLI::App& app);    // cmd_export.cpp
void add_compare_command(CLI::App& app);   // cmd_compare.cpp
void add_tokenize_command(CLI::App& app);  // cmd_tokenize.cpp
void add_eval_command(CLI::App& app);      // cmd_eval.cpp

}  // namespace kvscope::cli
