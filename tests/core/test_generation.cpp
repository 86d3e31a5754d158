// Cached and uncached generation agree with each other and with an independent naive reference.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "core/model_source.h"
#include "tests/core/reference_llama.h"
#include "tests/core/test_helpers.h"

using namespace kvscope;
using core::CacheMode;
using core::GenerationOptions;
using core::PrefillScheme;

namespace {

// Largest difference between the model's logits at each generated token and the reference's.
double worst_vs_reference(const core::LlamaConfig& model_config, const core::LlamaConfig& reference_config,
                          CacheMode mode, reference::Mistakes mistakes = {}) {
  core::LlamaModel model(model_config, sharp_weights(model_config, 7));
  const std::vector<int32_t> prompt{3, 14, 15, 9, 26, 5, 35, 89, 79, 32};
  const Recorded r = record(model, {prompt}, {mode, PrefillScheme::AllButLast, 4});
  const core::LlamaWeights weights = model.weights().dequantized();
  double worst = 0;
  for (const auto& step : r.results) {
    if (step.last_logits.empty()) continue;
    const int g = step.record.generated_index;
    const std::vector<int32_t> seen(r.sequences[0].begin(),
                                    r.sequences[0].begin() + static_cast<long>(prompt.size()) + g);
    const auto ref = reference::logits(reference_config, weights, seen, mistakes);
    worst = std::max(worst, max_abs_diff(step.last_logits[0], ref.back()));
  }
  return worst;
}

}  // namespace

TEST_CASE("logits match the naive reference, and the configs chosen would expose a wrong constant", "[model]") {
  constexpr double tol = 1e-4;
  // Each config makes one constant matter; the second check proves a model that ignored it would fail.
  struct Case {
    const char* what;
    core::LlamaConfig config;
    core::LlamaConfig wrong;
    reference::Mistakes mistakes;
  };
  std::vector<Case> cases;
  {
    core::LlamaConfig c = small_config();
    c.rms_norm_eps = 0.5;
    core::LlamaConfig wrong = c;
    wrong.rms_norm_eps = 1e-6;
    cases.push_back({"rms_norm_eps 0.5", c, wrong, {}});
  }
  {
    core::LlamaConfig c = small_config();
    c.rope_theta = 500000;
    core::LlamaConfig wrong = c;
    wrong.rope_theta = 10000;
    cases.push_back({"rope_theta 500000", c, wrong, {}});
    cases.push_back({"rotate_half pairing", c, c, {false, true}});
  }
  {
    core::LlamaConfig c = small_config(8, 2);
    cases.push_back({"8 heads on 2 kv heads", c, c, {true, false}});
  }
  for (const Case& k : cases) {
    INFO(k.what);
    for (CacheMode mode : {CacheMode::Cached, CacheMode::Uncached}) {
      CHECK(worst_vs_reference(k.config, k.config, mode) < tol);
    }
    CHECK(worst_vs_reference(k.config, k.wrong, CacheMode::Cached, k.mistakes) > 100 * tol);
  }
}

TEST_CASE("cached and uncached runs give the same tokens and logits for 64 steps", "[model]") {
  constexpr double tol = 1e-4;
  struct Setup {
    const char* name;
    core::LlamaConfig config;
  };
  core::LlamaConfig gqa = small_config(8, 2);
  gqa.name = "gqa 8 heads on 2 kv heads";
  const std::vector<Setup> setups{{"seed-tiny", core::preset_config("seed-tiny")}, {"gqa", gqa}};
  for (const Setup& s : setups) {
    for (PrefillScheme prefill : {PrefillScheme::AllButLast, PrefillScheme::All}) {
      INFO(s.name << ", prefill " << trace::prefill_scheme_name(prefill));
      core::LlamaModel model(s.config, sharp_weights(s.config, 0));
      const std::vector<std::vector<int32_t>> prompt{{12, 81, 92, 52, 65}};
      const Recorded cached = record(model, prompt, {CacheMode::Cached, prefill, 64});
      const Recorded uncached = record(model, prompt, {CacheMode::Uncached, prefill, 64});
      REQUIRE(cached.sequences == uncached.sequences);
      REQUIRE(cached.sequences[0].size() == 5 + 64);
      std::vector<const core::StepResult*> predicting;
      for (const auto& r : cached.results)
        if (!r.last_logits.empty()) predicting.push_back(&r);
      REQUIRE(predicting.size() == 64);
      double worst = 0;
      for (size_t g = 0; g < 64; ++g)
        worst = std::max(worst, max_abs_diff(predicting[g]->last_logits[0], uncached.results[g].last_logits[0]));
      CHECK(worst < tol);
    }
  }
}

TEST_CASE("a batch of 4 equals four runs of one", "[model]") {
  const core::LlamaConfig c = small_config(8, 2);
  core::LlamaModel model(c, core::random_weights(c, 3));
  const std::vector<std::vector<int32_t>> prompts{{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}, {40, 30, 20, 10}};
  for (CacheMode mode : {CacheMode::Cached, CacheMode::Uncached}) {
    const Recorded batch = record(model, prompts, {mode, PrefillScheme::AllButLast, 6});
    for (size_t b = 0; b < prompts.size(); ++b) {
      const Recorded single = record(model, {prompts[b]}, {mode, PrefillScheme::AllButLast, 6});
      CHECK(single.sequences[0] == batch.sequences[b]);
      for (size_t s = 0; s < single.results.size(); ++s) {
        if (single.results[s].last_logits.empty()) continue;
        CHECK(max_abs_diff(single.results[s].last_logits[0], batch.results[s].last_logits[b]) < 1e-5);
      }
    }
  }
}

TEST_CASE("meta mode emits the same events with the same shapes as a real run", "[model][meta]") {
  const core::LlamaConfig c = small_config(8, 2);
  core::LlamaModel real(c, core::random_weights(c, 1));
  core::LlamaModel meta(c, std::nullopt);
  for (CacheMode mode : {CacheMode::Cached, CacheMode::Uncached}) {
    const Recorded a = record(real, {{1, 2, 3}, {4, 5, 6}}, {mode, PrefillScheme::AllButLast, 3}, {true, true, 100});
    const Recorded b = record(meta, {{1, 2, 3}, {4, 5, 6}}, {mode, PrefillScheme::AllButLast, 3}, {true, true, 100});
    REQUIRE(a.run.events.size() == b.run.events.size());
    for (size_t i = 0; i < a.run.events.size(); ++i) {
      const auto& x = a.run.events[i];
      const auto& y = b.run.events[i];
      CHECK((x.name == y.name && x.key == y.key && x.role == y.role && x.shape == y.shape && x.inputs == y.inputs &&
             x.op == y.op && x.layer == y.layer && x.dims == y.dims));
      CHECK(x.stats.has_value());
      CHECK_FALSE(y.stats.has_value());
    }
  }
}
