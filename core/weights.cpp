#include "core/weights.h"

#include "core/load_progress.h"
#include "core/rng.h"

namespace kvscope::core {

LlamaWeights allocate_weights(const LlamaConfig& c, bool tied) {
  const int h = c.hidden_size, q = c.num_attention_heads * c.head_size(), kv = c.num_key_value_heads * c.head_size();
  LlamaWeights w;
  w.tied = tied;
  w.embed_tokens.resize(c.vocab_size, h);
  w.layers.resize(static_cast<size_t>(c.num_hidden_layers));
  for (LayerWeights& l : w.layers) {
    l.input_layernorm.resize(h);
    l.q_proj.resize(q, h);
    l.k_proj.resize(kv, h);
    l.v_proj.resize(kv, h);
    l.o_proj.resize(h, q);
    l.post_attention_layernorm.resize(h);
    l.gate_proj.resize(c.intermediate_size, h);
    l.up_proj.resize(c.intermediate_size, h);
    l.down_proj.resize(h, c.intermediate_size);
  }
  w.norm.resize(h);
  if (!tied) w.lm_head.resize(c.vocab_size, h);
  return w;
}

std::vector<ParameterShape> parameter_shapes(const LlamaConfig& c) {
  const int64_t h = c.hidden_size, hd = c.head_size(), i = c.intermediate_size, v = c.vocab_size;
  const int64_t q = int64_t{c.num_attention_heads} * hd, kv = int64_t{c.num_key_value_heads} * hd;
  std::vector<ParameterShape> out{{"model.embed_tokens.weight", {v, h}}};
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    out.push_back({p + "input_layernorm.weight", {h}});
    out.push_back({p + "self_attn.q_proj.weight", {q, h}});
    out.push_back({p + "self_attn.k_proj.weight", {kv, h}});
    out.push_back({p + "self_attn.v_proj.weight", {kv, h}});
    out.push_back({p + "self_attn.o_proj.weight", {h, q}});
    out.push_back({p + "post_attention_layernorm.weight", {h}});
    out.push_back({p + "mlp.gate_proj.weight", {i, h}});
    out.push_back({p + "mlp.up_proj.weight", {i, h}});
    out.push_back({p + "mlp.down_proj.weight", {h, i}});
  }
  out.push_back({"model.norm.weight", {h}});
  if (!c.tie_word_embeddings) out.push_back({"lm_head.weight", {v, h}});
  return out;
}

namespace {
NamedTensor matrix(std::string name, Matrix& m) { return {std::move(name), {m.rows(), m.cols()}, m.data()}; }
NamedTensor vector(std::string name, Vector& v) { return {std::move(name), {v.size()}, v.data()}; }
}  // namespace

std::vector<NamedTensor> named_tensors(LlamaWeights& w) {
  std::vector<NamedTensor> out;
  out.push_back(matrix("model.embed_tokens.weight", w.embed_tokens));
  for (size_t i = 0; i < w.layers.size(); ++i) {
    LayerWeights& l = w.layers[i];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    out.push_back(vector(p + "input_layernorm.weight", l.input_layernorm));
    out.push_back(matrix(p + "self_attn.q_proj.weight", l.q_proj));
    out.push_back(matrix(p + "self_attn.k_proj.weight", l.k_proj));
    out.push_back(matrix(p + "self_attn.v_proj.weight", l.v_proj));
    out.push_back(matrix(p + "self_attn.o_proj.weight", l.o_proj));
    out.push_back(vector(p + "post_attention_layernorm.weight", l.post_attention_layernorm));
    out.push_back(matrix(p + "mlp.gate_proj.weight", l.gate_proj));
    out.push_back(matrix(p + "mlp.up_proj.weight", l.up_proj));
    out.push_back(matrix(p + "mlp.down_proj.weight", l.down_proj));
  }
  out.push_back(vector("model.norm.weight", w.norm));
  if (!w.tied) out.push_back(matrix("lm_head.weight", w.lm_head));
  return out;
}

LlamaWeights random_weights(const LlamaConfig& config, uint64_t seed) {
  LlamaWeights w = allocate_weights(config, config.tie_word_embeddings);
  // HF's _init_weights: normal(0, initializer_range = 0.02) for linear and embedding, ones for RMSNorm.
  uint64_t index = 0;
  const std::vector<NamedTensor> tensors = named_tensors(w);
  for (NamedTensor t : tensors) {
    report_load_progress("drawing random weights", static_cast<int64_t>(index), static_cast<int64_t>(tensors.size()));
    int64_t n = 1;
    for (int64_t s : t.shape) n *= s;
    if (t.shape.size() == 1) {
      std::fill(t.data, t.data + n, 1.0f);
    } else {
      Rng rng(stream_seed(seed, index));
      for (int64_t i = 0; i < n; ++i) t.data[i] = static_cast<float>(0.02 * rng.normal());
    }
    ++index;
  }
  return w;
}

}  // namespace kvscope::core
