#include "core/generator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <string>

#include "core/emitter.h"

namespace kvscope::core {

using trace::Axis;
using trace::Op;
using trace::Phase;
using trace::Tensor;

Generator::Generator(LlamaModel& model, std::vector<std::vector<int32_t>> prompts, GenerationOptions options,
                     trace::Sink* sink)
    : model_(model), options_(options), sink_(sink), sequences_(std::move(prompts)) {
  const LlamaConfig& c = model_.config();
  if (sequences_.empty()) throw std::invalid_argument("the batch is empty: give at least one prompt");
  batch_ = static_cast<int>(sequences_.size());
  prompt_len_ = static_cast<int>(sequences_[0].size());
  if (prompt_len_ < 1) throw std::invalid_argument("the prompt is empty");
  for (size_t b = 0; b < sequences_.size(); ++b) {
    if (static_cast<int>(sequences_[b].size()) != prompt_len_)
      throw std::invalid_argument("prompt " + std::to_string(b) + " has " + std::to_string(sequences_[b].size()) +
                                  " tokens, prompt 0 has " + std::to_string(prompt_len_) +
                                  ": a batch needs equal lengths");
  }
  c.check_token_ids(sequences_);
  if (options_.new_tokens < 1) throw std::invalid_argument("the number of tokens to generate must be at least 1");
  if (options_.mode == CacheMode::Cached && options_.prefill == PrefillScheme::AllButLast && prompt_len_ < 2)
    throw std::invalid_argument("prefill all-but-last needs a prompt of at least 2 tokens (use prefill all)");
  // The last generated token is never fed back, so it needs no position.
  // In 64 bits: the sum of two ints can overflow an int, which would skip this check.
  const int64_t needed = int64_t{prompt_len_} + options_.new_tokens - 1;
  if (needed > c.max_position_embeddings)
    throw std::invalid_argument("prompt of " + std::to_string(prompt_len_) + " tokens plus " +
                                std::to_string(options_.new_tokens) + " generated needs " + std::to_string(needed) +
                                " positions, more than max_position_embeddings " +
                                std::to_string(c.max_position_embeddings));
  const int max_len = static_cast<int>(needed);
  for (auto& seq : sequences_) seq.reserve(static_cast<size_t>(prompt_len_ + options_.new_tokens));
  if (options_.mode == CacheMode::Cached) {
    cache_.emplace(c, batch_, max_len, !model_.meta());
    const int prefill = options_.prefill == PrefillScheme::All ? prompt_len_ : prompt_len_ - 1;
    model_.reserve(batch_, prefill, max_len);
  } else {
    model_.reserve(batch_, max_len, max_len);
  }
}

int Generator::total_steps() const {
  const bool extra = options_.mode == CacheMode::Cached && options_.prefill == PrefillScheme::AllButLast;
  return options_.new_tokens + (extra ? 1 : 0);
}

bool Generator::stopped() const {
  if (options_.stop_token < 0 || generated_ == 0) return false;
  for (const auto& seq : sequences_)
    if (std::find(seq.begin() + prompt_len_, seq.end(), options_.stop_token) == seq.end()) return false;
  return true;
}

bool Generator::done() const { return step_ >= total_steps() || stopped(); }

std::vector<int32_t> Generator::column(int from, int count) const {
  std::vector<int32_t> ids;
  ids.reserve(static_cast<size_t>(batch_ * count));
  for (const auto& seq : sequences_) ids.insert(ids.end(), seq.begin() + from, seq.begin() + from + count);
  return ids;
}

StepResult Generator::step() {
  if (done()) throw std::logic_error("generation is finished");
  const int first = sink_ ? sink_->next_id() : 0;
  const auto start = std::chrono::steady_clock::now();
  StepResult r = options_.mode == CacheMode::Cached ? cached_step() : uncached_step();
  r.record.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  r.record.step = step_;
  r.record.first_event = first;
  r.record.end_event = sink_ ? sink_->next_id() : 0;
  ++step_;
  return r;
}

namespace {

// Finds where a forward pass first produced a NaN or an infinity: records nothing, only looks.
class FirstNonFinite : public trace::Sink {
 public:
  int record(const trace::EventSpec& spec) override {
    if (found_.empty() && spec.view.data) {
      const int64_t n = spec.view.numel();
      for (int64_t i = 0; i < n; ++i)
        if (!std::isfinite(spec.view.at(i))) {
          found_ = std::string(trace::name_in(spec.tensor, spec.phase)) +
                   (spec.layer >= 0 ? " in layer " + std::to_string(spec.layer) : "");
          break;
        }
    }
    return next_++;
  }
  int next_id() const override { return next_; }
  const std::string& found() const { return found_; }

 private:
  std::string found_;
  int next_ = 0;
};

}  // namespace

PassInput Generator::full_pass(std::span<const int32_t> ids, int ids_event) const {
  PassInput in;
  in.phase = Phase::Full;
  in.step = step_;
  in.batch = batch_;
  in.tokens = static_cast<int>(ids.size()) / batch_;
  in.ids = ids;
  in.ids_event = ids_event;
  return in;
}

void Generator::finish(StepResult& r, const PassOutput& out) {
  r.record.next_tokens.assign(out.next_tokens.begin(), out.next_tokens.end());
  if (model_.meta()) return;
  for (int b = 0; b < batch_; ++b) {
    auto row = model_.last_logits(b);
    if (std::all_of(row.begin(), row.end(), [](float v) { return std::isfinite(v); })) {
      r.last_logits.emplace_back(row.begin(), row.end());
      continue;
    }
    // Say where it started: the positions this step computed, once more without a cache, watched tensor by
    // tensor. The run cannot go on, so the model's buffers may be resized for it.
    const int S = static_cast<int>(sequences_[0].size());
    const std::vector<int32_t> ids = column(0, S);
    FirstNonFinite watch;
    model_.reserve(batch_, S, S);
    model_.forward(full_pass(ids, -1), nullptr, &watch);
    throw std::runtime_error(
        "step " + std::to_string(step_) + ": the logits of sequence " + std::to_string(b) + " are not finite" +
        (watch.found().empty() ? std::string()
                               : "; the first tensor holding a NaN or an infinity is " + watch.found()));
  }
}

StepResult Generator::cached_step() {
  const LlamaConfig& c = model_.config();
  StepResult r;
  PassInput in;
  in.step = step_;
  in.batch = batch_;
  Emitter emit(sink_, step_, step_ == 0 ? Phase::Prefill : Phase::Decode, batch_, model_.meta());
  std::vector<int32_t> ids;
  if (step_ == 0) {
    const std::vector<int32_t> prompt = column(0, prompt_len_);
    const int text = options_.prompt_text ? emit.text(Tensor::input_string, *options_.prompt_text) : -1;
    const int all = emit.ids(Tensor::prompt_ids, text >= 0 ? Op::Tokenize : Op::Input, prompt.data(),
                             Layout(prompt_len_, {{prompt_len_, 1, Axis::InputTokens}}), {text});
    const int n_prefill = options_.prefill == PrefillScheme::All ? prompt_len_ : prompt_len_ - 1;
    ids = column(0, n_prefill);
    in.ids_event = emit.ids(Tensor::input_ids, Op::Slice, ids.data(),
                            Layout(n_prefill, {{n_prefill, 1, Axis::PrefillTokens}}), {all});
    if (options_.prefill == PrefillScheme::AllButLast) {
      const std::vector<int32_t> last = column(prompt_len_ - 1, 1);
      predict_ids_event_ = emit.ids(Tensor::last_prompt_ids, Op::Slice, last.data(),
                                    Layout(1, {{1, 1, Axis::PredictTokens}}), {all});
    }
    in.phase = Phase::Prefill;
    in.tokens = n_prefill;
    in.predict = options_.prefill == PrefillScheme::All;
  } else {
    const int fed = static_cast<int>(sequences_[0].size()) - 1;  // the newest token, not yet in the cache
    ids = column(fed, 1);
    // Step 1 of all-but-last reads the predict_input_ids split off at step 0, as seed 000 draws it.
    if (options_.prefill == PrefillScheme::All || step_ > 1)
      predict_ids_event_ = emit.ids(Tensor::input_ids, Op::Feedback, ids.data(),
                                    Layout(1, {{1, 1, Axis::PredictTokens}}), {last_next_tokens_event_});
    in.ids_event = predict_ids_event_;
    in.phase = Phase::Decode;
    in.tokens = 1;
  }
  in.ids = ids;
  r.record.phase = in.phase;
  r.record.tokens_in = in.tokens;
  r.record.cache_len = cache_->length();
  const PassOutput out = model_.forward(in, &*cache_, sink_);
  const int S = cache_->length();
  r.input_ids_shape = {batch_, in.tokens};
  r.key_cache_shape = {batch_, c.num_key_value_heads, S, c.head_size()};
  r.attn_shape = {batch_, c.num_attention_heads, in.tokens, S};
  r.record.kv_cache_bytes = cache_->used_bytes();
  if (in.predict) {
    r.logits_shape = {batch_, in.tokens, c.vocab_size};
    finish(r, out);
    for (int b = 0; b < batch_; ++b)
      sequences_[static_cast<size_t>(b)].push_back(out.next_tokens[static_cast<size_t>(b)]);
    r.record.generated_index = generated_++;
    last_next_tokens_event_ = out.next_tokens_event;
  }
  return r;
}

StepResult Generator::uncached_step() {
  const LlamaConfig& c = model_.config();
  StepResult r;
  const int S = static_cast<int>(sequences_[0].size());
  const std::vector<int32_t> ids = column(0, S);
  Emitter emit(sink_, step_, Phase::Full, batch_, model_.meta());
  // Every step re-reads the whole sequence: the previous one grown by the token just predicted.
  const bool text = step_ == 0 && options_.prompt_text;
  const int text_event = text ? emit.text(Tensor::input_string, *options_.prompt_text) : -1;
  const Op op = step_ > 0 ? Op::Concat : text ? Op::Tokenize : Op::Input;
  last_input_ids_event_ = emit.ids(Tensor::input_ids, op, ids.data(), Layout(S, {{S, 1, Axis::InputTokens}}),
                                   {text_event, last_input_ids_event_, last_next_tokens_event_});
  const PassOutput out = model_.forward(full_pass(ids, last_input_ids_event_), nullptr, sink_);
  r.record.phase = Phase::Full;
  r.record.tokens_in = S;
  r.record.cache_len = 0;
  r.input_ids_shape = {batch_, S};
  r.logits_shape = {batch_, S, c.vocab_size};
  r.attn_shape = {batch_, c.num_attention_heads, S, S};
  finish(r, out);
  for (int b = 0; b < batch_; ++b)
    sequences_[static_cast<size_t>(b)].push_back(out.next_tokens[static_cast<size_t>(b)]);
  r.record.generated_index = generated_++;
  last_next_tokens_event_ = out.next_tokens_event;
  return r;
}

}  // namespace kvscope::core
