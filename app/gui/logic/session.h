#pragma once
// The generation the app shows: one model, a cached and an uncached run of it stepped together so that
// both have produced the same tokens. It drives the core and records traces; it does no model math.
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/common/recording.h"
#include "core/model.h"

namespace kvscope::gui {

enum class Side { Cached, Uncached };
const char* side_name(Side s);

// Presets whose float32 weights would exceed this open in meta mode (shapes only): openllama-3b needs 13 GB.
inline constexpr int64_t kMetaAboveWeightBytes = int64_t{2} << 30;

class Session {
 public:
  // Loads the model of `spec` (throws what the core throws, naming the model or flag at fault).
  explicit Session(app::RunSpec spec);

  const app::RunSpec& spec() const { return spec_; }
  const core::LlamaModel& model() const { return *loaded_.model; }
  bool meta() const { return loaded_.model->meta(); }
  const trace::WeightsFile& weights() const { return weights_; }
  // The model's tokenizer (or --tokenizer's); null when the run has none and shows ids only.
  const tokenizer::Tokenizer* tokenizer() const { return loaded_.tokenizer.get(); }
  const std::optional<std::string>& prompt_text() const { return loaded_.prompts.text; }
  bool meta_forced() const { return meta_forced_; }  // the user asked for weights, the size said no

  void reset();
  void prefill();  // the cached run's first step, if it has not run
  void step();     // one more generated token in both runs
  // Raises the token budget to `tokens` when it is lower; the runs start again at the next run_to (they are
  // deterministic). Separate from run_to so that spec() changes only on the thread that reads it.
  void grow_budget(int tokens);
  void run_to(int tokens);  // grow_budget, then steps until `tokens` are generated or the run is done
  bool done() const;        // the token budget is spent
  int generated() const;    // tokens both runs have produced
  bool started() const { return !cached_->run().steps.empty(); }

  // How far the step under way has got, readable from any thread while another steps: the side computing and
  // the layer of its latest event (-1 before the first layer, `layers` after the last).
  struct Progress {
    Side side = Side::Cached;
    int layer = -1;
    int layers = 0;
  };
  Progress progress() const;

  const trace::Run& run(Side s) const { return gen(s).run(); }
  // The step shown: the cached run's latest, and the uncached step of the same generated token. -1: none yet.
  int current_step(Side s) const;
  const std::vector<int32_t>& prompt() const { return loaded_.prompts.ids.front(); }
  std::vector<int32_t> generated_tokens() const;  // of the first sequence, in order

 private:
  const app::RecordedGeneration& gen(Side s) const { return s == Side::Cached ? *cached_ : *uncached_; }
  void catch_up_uncached();

  void stepping(Side s);  // the progress of side `s`'s next step starts

  app::RunSpec spec_;
  bool stale_ = false;  // the budget grew: the runs start again
  bool meta_forced_ = false;
  std::atomic<Side> progress_side_{Side::Cached};
  std::atomic<int> progress_layer_{-1};
  app::LoadedRun loaded_;
  trace::WeightsFile weights_;
  std::unique_ptr<app::RecordedGeneration> cached_, uncached_;
};

}  // namespace kvscope::gui
