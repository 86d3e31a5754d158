#include "core/model_weights.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/load_progress.h"

namespace kvscope::core {

ModelWeights ModelWeights::adopt(LlamaWeights&& w) {
  ModelWeights out;
  out.tied = w.tied;
  out.embed_tokens = WeightMatrix(std::move(w.embed_tokens));
  out.layers.reserve(w.layers.size());
  for (LayerWeights& l : w.layers) {
    ModelLayer m;
    m.input_layernorm = std::move(l.input_layernorm);
    m.q_proj = WeightMatrix(std::move(l.q_proj));
    m.k_proj = WeightMatrix(std::move(l.k_proj));
    m.v_proj = WeightMatrix(std::move(l.v_proj));
    m.o_proj = WeightMatrix(std::move(l.o_proj));
    m.post_attention_layernorm = std::move(l.post_attention_layernorm);
    m.gate_proj = WeightMatrix(std::move(l.gate_proj));
    m.up_proj = WeightMatrix(std::move(l.up_proj));
    m.down_proj = WeightMatrix(std::move(l.down_proj));
    out.layers.push_back(std::move(m));
  }
  out.norm = std::move(w.norm);
  if (!w.tied) out.lm_head = WeightMatrix(std::move(w.lm_head));
  return out;
}

LlamaWeights ModelWeights::dequantized() const {
  LlamaWeights w;
  w.tied = tied;
  w.embed_tokens = embed_tokens.to_f32();
  for (const ModelLayer& m : layers) {
    LayerWeights l;
    l.input_layernorm = m.input_layernorm;
    l.q_proj = m.q_proj.to_f32();
    l.k_proj = m.k_proj.to_f32();
    l.v_proj = m.v_proj.to_f32();
    l.o_proj = m.o_proj.to_f32();
    l.post_attention_layernorm = m.post_attention_layernorm;
    l.gate_proj = m.gate_proj.to_f32();
    l.up_proj = m.up_proj.to_f32();
    l.down_proj = m.down_proj.to_f32();
    w.layers.push_back(std::move(l));
  }
  w.norm = norm;
  if (!tied) w.lm_head = lm_head.to_f32();
  return w;
}

ModelWeights assemble_weights(const LlamaConfig& config, const std::function<WeightMatrix(const std::string&)>& matrix,
                              const std::function<Vector(const std::string&)>& vector) {
  ModelWeights w;
  w.tied = config.tie_word_embeddings;
  // Progress in parameters read: embeddings, the layers' nine, the final norm and lm_head.
  const int64_t total = 2 + 9 * int64_t{config.num_hidden_layers} + (w.tied ? 0 : 1);
  const char* const stage = "reading the weights";
  report_load_progress(stage, 0, total);
  w.embed_tokens = matrix("model.embed_tokens.weight");
  for (int l = 0; l < config.num_hidden_layers; ++l) {
    report_load_progress(stage, 1 + 9 * int64_t{l}, total);
    const std::string p = "model.layers." + std::to_string(l) + ".";
    ModelLayer m;
    m.input_layernorm = vector(p + "input_layernorm.weight");
    m.q_proj = matrix(p + "self_attn.q_proj.weight");
    m.k_proj = matrix(p + "self_attn.k_proj.weight");
    m.v_proj = matrix(p + "self_attn.v_proj.weight");
    m.o_proj = matrix(p + "self_attn.o_proj.weight");
    m.post_attention_layernorm = vector(p + "post_attention_layernorm.weight");
    m.gate_proj = matrix(p + "mlp.gate_proj.weight");
    m.up_proj = matrix(p + "mlp.up_proj.weight");
    m.down_proj = matrix(p + "mlp.down_proj.weight");
    w.layers.push_back(std::move(m));
  }
  report_load_progress(stage, total - (w.tied ? 1 : 2), total);
  w.norm = vector("model.norm.weight");
  if (!w.tied) w.lm_head = matrix("lm_head.weight");
  report_load_progress(stage, total, total);
  return w;
}

std::vector<ModelParameter> model_parameters(const ModelWeights& w) {
  std::vector<ModelParameter> out;
  auto matrix = [&](std::string name, const WeightMatrix& m) { out.push_back({std::move(name), &m, nullptr}); };
  auto vector = [&](std::string name, const Vector& v) { out.push_back({std::move(name), nullptr, &v}); };
  matrix("model.embed_tokens.weight", w.embed_tokens);
  for (size_t i = 0; i < w.layers.size(); ++i) {
    const ModelLayer& l = w.layers[i];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    vector(p + "input_layernorm.weight", l.input_layernorm);
    matrix(p + "self_attn.q_proj.weight", l.q_proj);
    matrix(p + "self_attn.k_proj.weight", l.k_proj);
    matrix(p + "self_attn.v_proj.weight", l.v_proj);
    matrix(p + "self_attn.o_proj.weight", l.o_proj);
    vector(p + "post_attention_layernorm.weight", l.post_attention_layernorm);
    matrix(p + "mlp.gate_proj.weight", l.gate_proj);
    matrix(p + "mlp.up_proj.weight", l.up_proj);
    matrix(p + "mlp.down_proj.weight", l.down_proj);
  }
  vector("model.norm.weight", w.norm);
  if (!w.tied) matrix("lm_head.weight", w.lm_head);
  return out;
}

int64_t ModelWeights::stored_bytes() const {
  int64_t bytes = 0;
  for (const ModelParameter& p : model_parameters(*this))
    bytes += p.matrix ? p.matrix->stored_bytes() : p.vector->size() * int64_t{sizeof(float)};
  return bytes;
}

namespace {

std::optional<NonFinite> first_in(const float* v, int64_t n, int64_t offset) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(v[i])) return NonFinite{offset + i, std::isnan(v[i])};
  return std::nullopt;
}

using u32x8 = uint32_t __attribute__((vector_size(32)));
using u16x16 = uint16_t __attribute__((vector_size(32)));

// Whether n floats of `Bits` (float32, or float16 / bfloat16) are all finite: a float is non-finite exactly when
// its bits without the sign reach infinity's (`limit`: 0x7f800000, 0x7c00, 0x7f80), so the largest of them decides.
// 32 bytes at a time: a load, an and and a max.
template <typename Bits, typename Lanes>
bool all_below(const uint8_t* p, int64_t n, Bits limit) {
  constexpr int kLanes = sizeof(Lanes) / sizeof(Bits);
  const Bits magnitude = static_cast<Bits>(static_cast<Bits>(~Bits{0}) >> 1);  // all bits but the sign
  Lanes top{};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    Lanes v;
    std::memcpy(&v, p + sizeof(Bits) * i, sizeof v);
    v &= magnitude;
    top = v > top ? v : top;
  }
  Bits m = 0;
  for (int k = 0; k < kLanes; ++k) m = std::max(m, static_cast<Bits>(top[k]));
  for (; i < n; ++i) {
    Bits v = 0;
    std::memcpy(&v, p + sizeof(Bits) * i, sizeof v);
    m = std::max(m, static_cast<Bits>(v & magnitude));
  }
  return m < limit;
}

bool floats_finite(const uint8_t* p, int64_t n) { return all_below<uint32_t, u32x8>(p, n, 0x7f800000u); }
bool halves_finite(const uint8_t* p, int64_t n, uint16_t limit) { return all_below<uint16_t, u16x16>(p, n, limit); }

// Whether the float16 scales of `blocks` blocks of `step` bytes, each at `at` within its block, are all finite (a
// block type's integer quants always are).
bool block_scales_finite(const uint8_t* p, int64_t blocks, int64_t step, int64_t at) {
  uint16_t m = 0;
  for (int64_t b = 0; b < blocks; ++b) {
    uint16_t bits = 0;
    std::memcpy(&bits, p + b * step + at, 2);
    m = std::max(m, static_cast<uint16_t>(bits & 0x7fff));
  }
  return m < 0x7c00;
}

// The whole matrix is checked on its stored bits; only a row that holds a bad value is widened to say which.
bool row_all_finite(const WeightMatrix& m, int64_t r) {
  const uint8_t* p = m.row_data(r);
  const int64_t n = m.cols();
  switch (m.type()) {
    case GgmlType::F16: return halves_finite(p, n, 0x7c00);
    case GgmlType::BF16: return halves_finite(p, n, 0x7f80);
    case GgmlType::Q8_0: return block_scales_finite(p, n / 32, 34, 0);
    case GgmlType::Q4_K: return block_scales_finite(p, n / 256, 144, 0) && block_scales_finite(p, n / 256, 144, 2);
    case GgmlType::Q6_K: return block_scales_finite(p, n / 256, 210, 208);
    default: return floats_finite(p, n);
  }
}

}  // namespace

std::optional<NonFinite> first_non_finite(const ModelParameter& p, ThreadPool* pool) {
  if (p.vector) return first_in(p.vector->data(), p.vector->size(), 0);
  const WeightMatrix& m = *p.matrix;
  const int64_t rows = m.rows();
  // Each part scans a fixed range of rows and stops at its first bad one; the first part that found one has the
  // matrix's first, whatever the number of parts.
  const int parts = pool ? pool->size() : 1;
  std::vector<int64_t> first_bad(static_cast<size_t>(parts), rows);
  auto scan = [&](int part) {
    const int64_t last = ThreadPool::begin(rows, part + 1, parts);
    for (int64_t r = ThreadPool::begin(rows, part, parts); r < last; ++r)
      if (!row_all_finite(m, r)) {
        first_bad[static_cast<size_t>(part)] = r;
        return;
      }
  };
  if (pool) pool->run(scan);
  else scan(0);
  const int64_t bad = *std::min_element(first_bad.begin(), first_bad.end());
  if (bad == rows) return std::nullopt;
  std::vector<float> row(static_cast<size_t>(m.cols()));
  m.row_to_f32(bad, row.data());
  return first_in(row.data(), m.cols(), bad * m.cols());
}

}  // namespace kvscope::core
