#pragma once
// Generation one step at a time, cached (two prefill schemes) or uncached, as in the seed notes.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/kv_cache.h"
#include "core/model.h"
#include "trace/event.h"

namespace kvscope::core {

// The trace names them as the JSON spells them (trace/event.h); the model is what runs them.
using trace::CacheMode;
using trace::PrefillScheme;

struct GenerationOptions {
  CacheMode mode = CacheMode::Cached;
  PrefillScheme prefill = PrefillScheme::AllButLast;
  int new_tokens = 8;  // how many tokens to generate
  // The text the prompts were tokenized from, when they were: traced as input_string, which feeds input_ids.
  std::optional<std::string> prompt_text = std::nullopt;
  // Stop early once every sequence has generated this id (the tokenizer's EOS); -1: always new_tokens.
  int stop_token = -1;
};

// What one step did, with the shapes the `generate` log prints (HF style, batch axis included).
struct StepResult {
  trace::StepRecord record;
  std::vector<std::vector<float>> last_logits;  // [batch][V], empty in meta mode or when no token was predicted
  std::vector<int64_t> input_ids_shape;         // [B, T]
  std::vector<int64_t> logits_shape;            // [B, T_logits, V], empty when no logits
  std::vector<int64_t> key_cache_shape;         // layer 0 [B, nkv, S, hd], empty for uncached steps
  std::vector<int64_t> attn_shape;              // [B, nh, T, S]
};

class Generator {
 public:
  // prompts: batch x N ids (all the same length N >= 1; N >= 2 for the all-but-last scheme).
  // Throws std::invalid_argument naming the problem (ids out of vocab, too long for max_position_embeddings, ...).
  Generator(LlamaModel& model, std::vector<std::vector<int32_t>> prompts, GenerationOptions options, trace::Sink* sink);

  bool done() const;
  // Throws std::runtime_error naming the step and the first tensor that went non-finite when a logit row is
  // NaN or infinite: greedy decoding of such a row would pick token 0 and carry on as if nothing happened.
  StepResult step();
  int total_steps() const;  // at most: a stop token may end generation sooner
  bool stopped() const;     // every sequence has generated the stop token
  int generated() const { return generated_; }
  const std::vector<std::vector<int32_t>>& sequences() const { return sequences_; }

 private:
  StepResult cached_step();
  StepResult uncached_step();
  std::vector<int32_t> column(int from, int count) const;                  // ids [batch, count] of every sequence
  void finish(StepResult& r, const PassOutput& out);                       // the step's logits, checked finite
  PassInput full_pass(std::span<const int32_t> ids, int ids_event) const;  // every position, no cache

  LlamaModel& model_;
  GenerationOptions options_;
  trace::Sink* sink_;
  int batch_, prompt_len_;
  std::vector<std::vector<int32_t>> sequences_;
  std::optional<KvCache> cache_;
  int step_ = 0;
  int generated_ = 0;
  int predict_ids_event_ = -1;  // the ids the next decode step starts from
  int last_input_ids_event_ = -1;
  int last_next_tokens_event_ = -1;
};

}  // namespace kvscope::core
