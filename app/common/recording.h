#pragma once
// Runs generation with a Recorder attached: the bridge from the model to trace documents,
// shared by the CLI and the GUI.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/generator.h"
#include "core/model.h"
#include "core/model_source.h"
#include "tokenizer/tokenizer.h"
#include "trace/event.h"
#include "trace/recorder.h"

namespace kvscope::app {

// The model kvscope opens on: trained on the King James Bible, so its answers are English.
inline const std::string kDefaultModel = "kjv-char";
// What a run reads when the user gives no prompt: this text when the model has a tokenizer, else seed 004's
// prompt ids.
inline const std::string kDefaultTextPrompt = "And God said";
inline const std::vector<int32_t> kSeed004Prompt{12, 81, 92, 52, 65};

// What the user asked for, as the CLI flags and the GUI controls both express it.
struct RunSpec {
  std::string model = kDefaultModel;  // shipped model, preset name, HF model directory, GGUF file or llama2.c .bin
  uint64_t seed = 0;                  // weights of presets, and random prompts
  bool meta = false;                  // shapes only
  int batch = 1;
  std::optional<std::string> prompt_text;     // --prompt: text, tokenized by the model's tokenizer
  std::vector<std::vector<int32_t>> prompts;  // --ids: one, or one per sequence
  int prompt_len = 0;                         // --prompt-len: seeded random ids
  std::string tokenizer;                      // --tokenizer: a file or directory overriding the model's own
  int new_tokens = 3;                         // tokens to generate
  bool stop_at_eos = false;                   // end generation when every sequence has produced EOS
  core::PrefillScheme prefill = core::PrefillScheme::AllButLast;
  int threads = 0;  // threads of the forward pass; 0: every core this process may use
  trace::CaptureOptions capture;
};

// The tokenizer of a run: --tokenizer when given, else the model directory's own tokenizer files; null for a
// preset or a directory without them. Throws tokenizer::TokenizerError naming the file.
std::unique_ptr<tokenizer::Tokenizer> load_run_tokenizer(const RunSpec& spec, const core::ModelSource& source);

// What a run reads: every sequence's ids, and the text they were tokenized from (when they were).
struct Prompts {
  std::vector<std::vector<int32_t>> ids;
  std::optional<std::string> text;
};

// The batch's prompts: the text tokenized (repeated for every sequence), the given ids (one prompt is
// repeated for every sequence), seeded random ids, or the default prompt. Throws std::invalid_argument
// naming the flag when they do not fit the model, or when text is given and there is no tokenizer.
Prompts make_prompts(const RunSpec& spec, const core::LlamaConfig& config, const tokenizer::Tokenizer* tokenizer);

// Everything a run needs, loaded once: the model, its tokenizer and the prompts.
struct LoadedRun {
  core::ModelSource source;
  std::unique_ptr<core::LlamaModel> model;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer;  // may be null
  Prompts prompts;
};
// The prompts (and --stop-at-eos's need of an EOS) are checked before the weights are read, so a bad flag
// fails fast.
LoadedRun load_run(const RunSpec& spec);

// The generation options of `spec` for one mode: the text to trace as input_string, the stop token.
core::GenerationOptions generation_options(const RunSpec& spec, core::CacheMode mode, const LoadedRun& loaded);

// Each id's piece, for the trace's token-id events; empty without a tokenizer.
trace::TokenPieces token_pieces(const tokenizer::Tokenizer* tokenizer);

// Told of each event as the model records it, on the thread that computes: how far a step has got.
using EventObserver = std::function<void(const trace::EventSpec&)>;

// One generation with its trace, advanced a step at a time (the GUI) or to the end (the CLI).
class RecordedGeneration {
 public:
  RecordedGeneration(core::LlamaModel& model, std::vector<std::vector<int32_t>> prompts,
                     core::GenerationOptions options, trace::CaptureOptions capture, trace::TokenPieces pieces = {},
                     EventObserver observer = {});
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
  std::unique_ptr<trace::Sink> observed_;  // the recorder, telling the observer of each event; null without one
  std::unique_ptr<core::Generator> generator_;
  std::vector<core::StepResult> results_;
  bool reserved_ = false;  // the run's events have their memory
};

// The trace's record of where the weights come from: the format, the path and each weight's storage. A
// shapes-only run of a directory whose checkpoint is absent or unreadable records the format and path alone.
trace::WeightsFile weights_file(const core::ModelSource& source, bool meta);

// A document for runs of this model: schema version, config, meta flag, weights file.
trace::Document new_document(const core::LlamaModel& model, trace::WeightsFile weights);

}  // namespace kvscope::app
