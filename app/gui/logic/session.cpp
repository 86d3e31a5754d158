#include "app/gui/logic/session.h"

#include "core/model_source.h"
#include "trace/graph.h"

namespace kvscope::gui {

const char* side_name(Side s) { return s == Side::Cached ? "cached" : "uncached"; }

Session::Session(app::RunSpec spec) : spec_(std::move(spec)) {
  const core::ModelSource source = core::resolve_model(spec_.model);
  const int64_t weight_bytes = source.config.parameter_count() * int64_t{4};
  meta_forced_ = !spec_.meta && source.format == core::ModelFormat::preset && weight_bytes > kMetaAboveWeightBytes;
  spec_.meta = spec_.meta || meta_forced_;
  loaded_ = app::load_run(spec_);
  weights_ = app::weights_file(loaded_.source, spec_.meta);
  // Shapes only need no values; real runs keep values small enough for a heatmap of seed-tiny's tensors
  // without holding every step's large activations in memory.
  spec_.capture = {.stats = !spec_.meta, .values = !spec_.meta, .values_max = 16384};
  reset();
}

void Session::reset() {
  const auto record = [this](core::CacheMode mode) {
    return std::make_unique<app::RecordedGeneration>(*loaded_.model, loaded_.prompts.ids,
                                                     app::generation_options(spec_, mode, loaded_), spec_.capture,
                                                     app::token_pieces(loaded_.tokenizer.get()));
  };
  cached_ = record(core::CacheMode::Cached);
  uncached_ = record(core::CacheMode::Uncached);
}

void Session::prefill() {
  if (!started() && !cached_->done()) cached_->step();
  catch_up_uncached();
}

void Session::step() {
  const int target = cached_->generator().generated() + 1;
  while (!cached_->done() && cached_->generator().generated() < target) cached_->step();
  catch_up_uncached();
}

void Session::run_to(int tokens) {
  if (tokens > spec_.new_tokens) {
    spec_.new_tokens = tokens;
    reset();
  }
  if (!started()) prefill();
  while (generated() < tokens && !done()) step();
}

bool Session::done() const { return cached_->done(); }

int Session::generated() const { return cached_->generator().generated(); }

void Session::catch_up_uncached() {
  while (!uncached_->done() && uncached_->generator().generated() < cached_->generator().generated()) uncached_->step();
}

int Session::current_step(Side s) const {
  const auto& cached_steps = cached_->run().steps;
  if (cached_steps.empty()) return -1;
  const int latest = static_cast<int>(cached_steps.size()) - 1;
  if (s == Side::Cached) return latest;
  return trace::matching_step(cached_->run(), latest, uncached_->run());
}

std::vector<int32_t> Session::generated_tokens() const {
  std::vector<int32_t> out;
  for (const auto& step : cached_->run().steps)
    if (step.generated_index >= 0 && !step.next_tokens.empty()) out.push_back(step.next_tokens.front());
  return out;
}

}  // namespace kvscope::gui
