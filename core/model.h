#pragma once
// The LLaMA forward pass with HF LlamaForCausalLM semantics, emitting one trace event per tensor.
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/config.h"
#include "core/kv_cache.h"
#include "core/model_weights.h"
#include "trace/event.h"

namespace kvscope::core {

class RunState;

// One forward pass over T new tokens per sequence.
struct PassInput {
  trace::Phase phase = trace::Phase::Prefill;  // Prefill/Decode use and fill the cache; Full uses none
  int step = 0;
  int batch = 1;
  int tokens = 0;                // T
  std::span<const int32_t> ids;  // [batch, T], row-major
  int ids_event = -1;            // the trace event holding these ids
  bool predict = true;           // compute logits and next tokens (a cached prefill of all-but-last does not)
};

// Views into the model's buffers, valid until the next forward: the decode loop allocates nothing.
struct PassOutput {
  std::span<const int32_t> next_tokens;  // [batch]; empty when !predict (all zeros in meta mode)
  int next_tokens_event = -1;
};

class LlamaModel {
 public:
  // No weights: meta mode. Every event is emitted with its true shape and no arithmetic is done.
  LlamaModel(LlamaConfig config, std::optional<ModelWeights> weights);
  // Float32 weights, taken over without a copy.
  LlamaModel(LlamaConfig config, LlamaWeights weights);
  ~LlamaModel();
  LlamaModel(LlamaModel&&) noexcept;

  const LlamaConfig& config() const { return config_; }
  bool meta() const { return !weights_.has_value(); }
  const ModelWeights& weights() const { return *weights_; }

  // The threads a pass runs on (default: every core this process may use). Results are bitwise identical for
  // every count: work is split by output features, never inside a sum.
  void set_threads(int threads);
  int threads() const;

  // Scratch buffers are sized for passes of up to max_tokens tokens over max_len positions, once.
  void reserve(int batch, int max_tokens, int max_len);

  // cache is required for Prefill and Decode passes and ignored for Full ones.
  PassOutput forward(const PassInput& in, KvCache* cache, trace::Sink* sink);
  // The last row of sequence b's logits from the last forward that predicted; empty in meta mode.
  std::span<const float> last_logits(int b) const;
  // Every row of sequence b's logits from the last forward that predicted, [T, V] row-major: a loss needs
  // each position's prediction, not only the next token's. Empty in meta mode.
  std::span<const float> logits(int b) const;

 private:
  LlamaConfig config_;
  std::optional<ModelWeights> weights_;
  std::unique_ptr<RunState> state_;
};

}  // namespace kvscope::core
