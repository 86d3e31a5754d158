#pragma once
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "app/common/recording.h"
#include "core/config.h"
#include "core/generator.h"
#include "core/model.h"

// A config small enough for the naive reference, with what the caller overrides.
inline kvscope::core::LlamaConfig small_config(int heads = 4, int kv_heads = 4) {
  kvscope::core::LlamaConfig c;
  c.name = "test";
  c.vocab_size = 100;
  c.hidden_size = 32;
  c.intermediate_size = 48;
  c.num_hidden_layers = 2;
  c.num_attention_heads = heads;
  c.num_key_value_heads = kv_heads;
  c.head_dim = 8;
  c.max_position_embeddings = 512;
  c.validate("test");
  return c;
}

// Sizes that are not multiples of the kernels' blocks or of a thread count: 100 = 3 * 32 + 4 and 229 = 7 * 32 + 5
// leave scalar tails in every kernel; heads of 26 make q 104 wide, with grouped-query attention (4 heads, 2 kv
// heads); 101 vocabulary rows split unevenly.
inline kvscope::core::LlamaConfig odd_sizes_config() {
  kvscope::core::LlamaConfig c = kvscope::core::preset_config("seed-tiny");
  c.hidden_size = 100;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 26;
  c.intermediate_size = 229;
  c.vocab_size = 101;
  return c;
}

// Random weights with sharp attention: q and k scaled so that scores are O(1) and RoPE, theta and the
// GQA head mapping move the logits far beyond float noise (with std 0.02 alone attention is nearly uniform).
inline kvscope::core::LlamaWeights sharp_weights(const kvscope::core::LlamaConfig& c, uint64_t seed) {
  kvscope::core::LlamaWeights w = kvscope::core::random_weights(c, seed);
  for (auto& layer : w.layers) {
    layer.q_proj *= 20.0f;
    layer.k_proj *= 20.0f;
  }
  return w;
}

// Runs a whole generation and returns its trace and step results.
struct Recorded {
  kvscope::trace::Run run;
  std::vector<kvscope::core::StepResult> results;
  std::vector<std::vector<int32_t>> sequences;
};

inline Recorded record(kvscope::core::LlamaModel& model, std::vector<std::vector<int32_t>> prompts,
                       kvscope::core::GenerationOptions options, kvscope::trace::CaptureOptions capture = {}) {
  kvscope::app::RecordedGeneration gen(model, std::move(prompts), options, capture);
  gen.run_to_end();
  Recorded r;
  r.results = gen.results();
  r.sequences = gen.generator().sequences();
  r.run = gen.take_run();
  return r;
}

// A generation's tokens and every step's last logits of every sequence, in order: what "the same result" compares.
struct Outcome {
  std::vector<std::vector<int32_t>> sequences;
  std::vector<float> logits;
};

inline Outcome generate_outcome(kvscope::core::LlamaModel& model, const std::vector<std::vector<int32_t>>& prompts,
                                kvscope::core::GenerationOptions options) {
  kvscope::core::Generator gen(model, prompts, options, nullptr);
  Outcome out;
  while (!gen.done()) {
    gen.step();
    for (int b = 0; b < static_cast<int>(prompts.size()); ++b) {
      const auto row = model.last_logits(b);
      out.logits.insert(out.logits.end(), row.begin(), row.end());
    }
  }
  out.sequences = gen.sequences();
  return out;
}

// The largest |a[i] - b[i]|, in double. Vectors of different sizes fail the test: no difference, large or
// small, is meaningful then.
template <typename A, typename B>
double max_abs_diff(const std::vector<A>& a, const std::vector<B>& b) {
  REQUIRE(a.size() == b.size());
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i)
    d = std::max(d, std::abs(static_cast<double>(a[i]) - static_cast<double>(b[i])));
  return d;
}

inline bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}
