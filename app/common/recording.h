#pragma once
// Runs generation with a Recorder attached: the bridge from the model to trace documents,
// shared by the CLI and the GUI.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/generator.h"
#include "core/model.h"
#include "trace/event.h"
#include "trace/recorder.h"

namespace kvscope::app {

// Seed 004's prompt: what a run reads when the user gives neither a prompt nor a prompt length.
inline const std::vector<int32_t> kSeed004Prompt{12, 81, 92, 52, 65};

// What the user asked for, as the CLI flags and the GUI controls both express it.
struct RunSpec {
  std::string model = "seed-tiny";  // preset name or HF model directory
  uint64_t seed = 0;                // weights of presets, and random prompts
  bool meta = false;                // shapes only
  int batch = 1;
  std::vector<std::vector<int32_t>> prompts;  // one, or one per sequence; empty: random of prompt_len
  int prompt_len = 0;
  int new_tokens = 3;  // tokens to generate
  core::PrefillScheme prefill = core::PrefillScheme::AllButLast;
  trace::CaptureOptions capture;
};

// The batch's prompts: the given ones (one prompt is repeated for every sequence) or seeded random ids.
// Throws std::invalid_argument naming the flag when they do not fit the model.
std::vector<std::vector<int32_t>> make_prompts(const RunSpec& spec, const core::LlamaConfig& config);

// One generation with its trace, advanced a step at a time (the GUI) or to the end (the CLI).
class RecordedGeneration {
 public:
  RecordedGeneration(core::LlamaModel& model, std::vector<std::vector<int32_t>> prompts,
                     core::GenerationOptions options, trace::CaptureOptions capture);
  bool done() const { return generator_->done(); }
  const core::StepResult& step();
  void run_to_end();
  const trace::Run& run() const { return *run_; }
  trace::Run take_run() { return std::move(*run_); }
  const std::vector<core::StepResult>& results() const { return results_; }
  const core::Generator& generator() const { return *generator_; }

 private:
  std::unique_ptr<trace::Run> run_;
  std::unique_ptr<trace::Recorder> recorder_;
  std::unique_ptr<core::Generator> generator_;
  std::vector<core::StepResult> results_;
};

// A document for runs of this model: schema version, config, meta flag.
trace::Document new_document(const core::LlamaModel& model);

}  // namespace kvscope::app
