#include "hand_built_run.h"

namespace kvscope::test {

using trace::Op;
using trace::Phase;

int RunBuilder::add(const std::string& name, std::vector<int64_t> shape, int layer, int step, Phase phase, Op op,
                    std::vector<int> inputs) {
  trace::Event e;
  e.id = static_cast<int>(run.events.size());
  e.name = run.store->strings.intern(name);
  // Key and role as the model sets them for the same name in the same phase.
  const auto known = trace::classify(phase, name);
  e.key = known ? known->key : e.name;
  e.role = known ? known->role : trace::Role::Intermediate;
  e.dims.assign(shape.size(), "axis");
  e.dims_zh.assign(shape.size(), "轴");
  e.shape = std::move(shape);
  e.layer = layer;
  e.step = step;
  e.phase = phase;
  e.op = op;
  e.inputs = std::move(inputs);
  run.events.push_back(e);
  return e.id;
}

void RunBuilder::begin_step(int step, Phase phase, int tokens_in, int cache_len, int generated_index) {
  trace::StepRecord s;
  s.step = step;
  s.phase = phase;
  s.tokens_in = tokens_in;
  s.cache_len = cache_len;
  s.generated_index = generated_index;
  s.first_event = static_cast<int>(run.events.size());
  run.steps.push_back(s);
}

void RunBuilder::end_step(int next_token, int64_t kv_bytes, double ms) {
  trace::StepRecord& s = run.steps.back();
  if (next_token >= 0) s.next_tokens = {next_token};
  s.kv_cache_bytes = kv_bytes;
  s.ms = ms;
  s.end_event = static_cast<int>(run.events.size());
}

namespace {

constexpr int64_t H = 8, NH = 2, HD = 4, V = 10;

struct LayerOut {
  int output, keys, values;
};

// One decoder layer's attention path; `prefix` is "prefill_" or "" and `past_*` the cache it extends.
LayerOut attention_layer(RunBuilder& b, const std::string& prefix, int layer, int step, Phase phase, int64_t t,
                         int64_t s, int input, int past_keys, int past_values, bool embed) {
  const bool decode = phase == Phase::Decode;
  const std::string in_name = decode ? "predict_input_embeds" : prefix + "input_embeds";
  const int pos = b.add(prefix + "position_ids", {t}, layer, step, phase, Op::Position,
                        past_keys >= 0 ? std::vector<int>{past_keys} : std::vector<int>{});
  const int x = b.add(in_name, {t, H}, layer, step, phase, embed ? Op::Embedding : Op::Identity, {input});
  const int xn = b.add(prefix + "input_layernormed", {t, H}, layer, step, phase, Op::RmsNorm, {x});
  const int q = b.add(prefix + "query_states", {NH, t, HD}, layer, step, phase, Op::Linear, {xn});
  const int k = b.add(decode ? "more_key_states" : prefix + "key_states", {NH, t, HD}, layer, step, phase, Op::Linear,
                      {xn});
  const int v = b.add(decode ? "more_value_states" : prefix + "value_states", {NH, t, HD}, layer, step, phase,
                      Op::Linear, {xn});
  const int pq = b.add(prefix + "pos_query_states", {NH, t, HD}, layer, step, phase, Op::Rope, {q, pos});
  int keys, values;
  if (decode) {
    const int pk = b.add("pos_more_key_states", {NH, t, HD}, layer, step, phase, Op::Rope, {k, pos});
    keys = b.add("pos_key_states", {NH, s, HD}, layer, step, phase, Op::Concat, {past_keys, pk});
    values = b.add("value_states", {NH, s, HD}, layer, step, phase, Op::Concat, {past_values, v});
  } else {
    keys = b.add(prefix + "pos_key_states", {NH, t, HD}, layer, step, phase, Op::Rope, {k, pos});
    values = v;
  }
  const int scores = b.add(prefix + "unmasked_attn_weights", {NH, t, s}, layer, step, phase, Op::Matmul, {pq, keys});
  int weights;
  if (decode) {
    weights = b.add("attn_weights", {NH, t, s}, layer, step, phase, Op::Softmax, {scores});
  } else {
    const int mask = b.add(prefix + "causal_mask", {1, t, t}, layer, step, phase, Op::Mask, {});
    const int masked = b.add(prefix + "masked_attn_weights", {NH, t, t}, layer, step, phase, Op::Add, {scores, mask});
    weights = b.add(prefix + "attn_weights", {NH, t, t}, layer, step, phase, Op::Softmax, {masked});
  }
  const int o1 = b.add(prefix + "attn_tmp_output1", {NH, t, HD}, layer, step, phase, Op::Matmul, {weights, values});
  const int o3 = b.add(prefix + "attn_tmp_output3", {t, NH * HD}, layer, step, phase, Op::Reshape, {o1});
  const int proj = b.add(prefix + "attn_projected", {t, H}, layer, step, phase, Op::Linear, {o3});
  const int res = b.add(prefix + "attn_output", {t, H}, layer, step, phase, Op::Add, {x, proj});
  const int out = b.add(prefix + "layer_output", {t, H}, layer, step, phase, Op::Add, {res});
  return {out, keys, values};
}

int head(RunBuilder& b, const std::string& prefix, int step, Phase phase, int64_t t, int hidden) {
  const int norm = b.add(prefix + "output_layernormed", {t, H}, -1, step, phase, Op::RmsNorm, {hidden});
  const int logits = b.add(prefix + "logits", {t, V}, -1, step, phase, Op::Linear, {norm});
  auto& e = b.run.events[b.add(prefix + "next_tokens", {1}, -1, step, phase, Op::Argmax, {logits})];
  e.dtype = trace::DType::Int32;
  return e.id;
}

}  // namespace

trace::Run cached_run(int prompt_len, int layers, int decode_steps) {
  RunBuilder b;
  b.run.mode = trace::CacheMode::Cached;
  b.run.prefill = trace::PrefillScheme::AllButLast;
  const int64_t p = prompt_len - 1;
  b.begin_step(0, Phase::Prefill, static_cast<int>(p), 0, -1);
  const int ids = b.add("input_ids", {prompt_len}, -1, 0, Phase::Prefill, Op::Input, {});
  const int pre_ids = b.add("prefill_input_ids", {p}, -1, 0, Phase::Prefill, Op::Slice, {ids});
  int predict_ids = b.add("predict_input_ids", {1}, -1, 0, Phase::Prefill, Op::Slice, {ids});
  std::vector<int> keys(layers), values(layers);
  int hidden = pre_ids;
  for (int l = 0; l < layers; ++l) {
    const LayerOut out = attention_layer(b, "prefill_", l, 0, Phase::Prefill, p, p, hidden, -1, -1, l == 0);
    hidden = out.output;
    keys[l] = out.keys;
    values[l] = out.values;
  }
  const int64_t bytes_per_position = 2 * layers * NH * HD * 4;
  b.end_step(-1, p * bytes_per_position, 1.0);
  for (int step = 1; step <= decode_steps; ++step) {
    const int64_t cache = p + step - 1;
    b.begin_step(step, Phase::Decode, 1, static_cast<int>(cache), step - 1);
    if (step > 1) predict_ids = b.add("predict_input_ids", {1}, -1, step, Phase::Decode, Op::Feedback, {predict_ids});
    hidden = predict_ids;
    for (int l = 0; l < layers; ++l) {
      const LayerOut out = attention_layer(b, "", l, step, Phase::Decode, 1, cache + 1, hidden, keys[l], values[l],
                                           l == 0);
      hidden = out.output;
      keys[l] = out.keys;
      values[l] = out.values;
    }
    predict_ids = head(b, "", step, Phase::Decode, 1, hidden);
    b.end_step(step + 2, (cache + 1) * bytes_per_position, 0.5);
  }
  return std::move(b.run);
}

trace::Run uncached_run(int prompt_len, int layers, int steps) {
  RunBuilder b;
  b.run.mode = trace::CacheMode::Uncached;
  int ids = -1, next = -1;
  for (int step = 0; step < steps; ++step) {
    const int64_t s = prompt_len + step;
    b.begin_step(step, Phase::Full, static_cast<int>(s), 0, step);
    ids = ids < 0 ? b.add("input_ids", {s}, -1, step, Phase::Full, Op::Input, {})
                  : b.add("input_ids", {s}, -1, step, Phase::Full, Op::Concat, {ids, next});
    int hidden = ids;
    for (int l = 0; l < layers; ++l)
      hidden = attention_layer(b, "", l, step, Phase::Full, s, s, hidden, -1, -1, l == 0).output;
    next = head(b, "", step, Phase::Full, s, hidden);
    b.end_step(step + 3, 0, 2.0 * (step + 1));
  }
  return std::move(b.run);
}

}  // namespace kvscope::test
