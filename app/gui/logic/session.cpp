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
    const int last_layer = loaded_.model->config().num_hidden_layers - 1;
    // Events outside the layers come before the first (embeddings) or after the last (norm, lm_head).
    auto observe = [this, last_layer](const trace::EventSpec& e) {
      if (e.layer >= 0) progress_layer_.store(e.layer, std::memory_order_relaxed);
      else if (progress_layer_.load(std::memory_order_relaxed) == last_layer)
        progress_layer_.store(last_layer + 1, std::memory_order_relaxed);
    };
    return std::make_unique<app::RecordedGeneration>(*loaded_.model, loaded_.prompts.ids,
                                                     app::generation_options(spec_, mode, loaded_), spec_.capture,
                                                     app::token_pieces(loaded_.tokenizer.get()), observe);
  };
  cached_ = record(core::CacheMode::Cached);
  uncached_ = record(core::CacheMode::Uncached);
  stale_ = false;
}

void Session::stepping(Side s) {
  progress_layer_.store(-1, std::memory_order_relaxed);
  progress_side_.store(s, std::memory_order_relaxed);
}

Session::Progress Session::progress() const {
  return {progress_side_.load(std::memory_order_relaxed), progress_layer_.load(std::memory_order_relaxed),
          loaded_.model->config().num_hidden_layers};
}

void Session::prefill() {
  stepping(Side::Cached);
  if (!started() && !cached_->done()) cached_->step();
  catch_up_uncached();
}

void Session::step() {
  const int target = cached_->generator().generated() + 1;
  while (!cached_->done() && cached_->generator().generated() < target) {
    stepping(Side::Cached);
    cached_->step();
  }
  catch_up_uncached();
}

void Session::grow_budget(int tokens) {
  if (tokens <= spec_.new_tokens) return;
  spec_.new_tokens = tokens;
  stale_ = true;
}

void Session::run_to(int tokens) {
  grow_budget(tokens);
  if (stale_) reset();
  if (!started()) prefill();
  while (generated() < tokens && !done()) step();
}

bool Session::done() const { return cached_->done(); }

int Session::generated() const { return cached_->generator().generated(); }

void Session::catch_up_uncached() {
  while (!uncached_->done() && uncached_->generator().generated() < cached_->generator().generated()) {
    stepping(Side::Uncached);
    uncached_->step();
  }
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
