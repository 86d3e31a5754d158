#include "tests/support/llama2c_writer.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>

#include "core/llama2c.h"  // kLlama2cMagic

namespace kvscope::test {

namespace {

class Bytes {
 public:
  void i32(int32_t v) { raw(&v, sizeof v); }
  void u8(uint8_t v) { raw(&v, sizeof v); }
  void f32(float v) { raw(&v, sizeof v); }
  void floats(const float* p, Eigen::Index n) { raw(p, static_cast<size_t>(n) * sizeof(float)); }
  void tensor(const core::Matrix& m) { floats(m.data(), m.size()); }
  void tensor(const core::Vector& v) { floats(v.data(), v.size()); }
  void bytes(const std::string& s) { text.append(s); }
  void pad_to(size_t n) {
    if (text.size() > n) throw std::logic_error("llama2.c header longer than " + std::to_string(n) + " bytes");
    text.resize(n, '\0');
  }
  // The int8 values of each group, then the scales; `m` becomes q * scale.
  void quantized(core::Matrix& m, int group) {
    if (group <= 0 || m.size() % group != 0)
      throw std::invalid_argument("llama2.c writer: " + std::to_string(m.size()) + " values are not groups of " +
                                  std::to_string(group));
    std::vector<float> scales;
    float* w = m.data();
    for (Eigen::Index g = 0; g < m.size() / group; ++g) {
      float* v = w + g * group;
      float wmax = 0;
      for (int i = 0; i < group; ++i) wmax = std::max(wmax, std::fabs(v[i]));
      const float scale = wmax / 127.0f;
      if (!(scale > 0)) throw std::invalid_argument("llama2.c writer: a group of zeros has no scale");
      for (int i = 0; i < group; ++i) {
        const auto q = static_cast<int8_t>(std::nearbyint(v[i] / scale));
        raw(&q, 1);
        v[i] = static_cast<float>(q) * scale;
      }
      scales.push_back(scale);
    }
    floats(scales.data(), static_cast<Eigen::Index>(scales.size()));
  }

  std::string text;

 private:
  void raw(const void* p, size_t n) { text.append(static_cast<const char*>(p), n); }
};

void header_fields(Bytes& b, const core::LlamaConfig& c, int32_t vocab) {
  for (int32_t v : {c.hidden_size, c.intermediate_size, c.num_hidden_layers, c.num_attention_heads,
                    c.num_key_value_heads, vocab, c.max_position_embeddings})
    b.i32(v);
}

// version1_export / version2_export's 256-byte header.
void versioned_header(Bytes& b, const core::LlamaConfig& c, int version, bool shared, int group) {
  b.i32(static_cast<int32_t>(core::kLlama2cMagic));
  b.i32(version);
  header_fields(b, c, c.vocab_size);
  b.u8(shared ? 1 : 0);
  if (version == 2) b.i32(group);
  b.pad_to(256);
}

}  // namespace

core::Matrix to_interleaved(const core::Matrix& hf, int heads) {
  const Eigen::Index head = hf.rows() / heads, half = head / 2;
  core::Matrix out(hf.rows(), hf.cols());
  for (Eigen::Index h = 0; h < heads; ++h)
    for (Eigen::Index t = 0; t < 2; ++t)
      for (Eigen::Index i = 0; i < half; ++i) out.row(h * head + 2 * i + t) = hf.row(h * head + t * half + i);
  return out;
}

core::LlamaWeights llama2c_layout(const core::LlamaConfig& c, core::LlamaWeights w) {
  for (core::LayerWeights& l : w.layers) {
    l.q_proj = to_interleaved(l.q_proj, c.num_attention_heads);
    l.k_proj = to_interleaved(l.k_proj, c.num_key_value_heads);
  }
  return w;
}

std::string llama2c_legacy_file(const core::LlamaConfig& c, const core::LlamaWeights& m) {
  Bytes b;
  header_fields(b, c, m.tied ? c.vocab_size : -c.vocab_size);
  b.tensor(m.embed_tokens);
  for (const auto& l : m.layers) b.tensor(l.input_layernorm);
  for (const auto& l : m.layers) b.tensor(l.q_proj);
  for (const auto& l : m.layers) b.tensor(l.k_proj);
  for (const auto& l : m.layers) b.tensor(l.v_proj);
  for (const auto& l : m.layers) b.tensor(l.o_proj);
  for (const auto& l : m.layers) b.tensor(l.post_attention_layernorm);
  for (const auto& l : m.layers) b.tensor(l.gate_proj);  // w1
  for (const auto& l : m.layers) b.tensor(l.down_proj);  // w2
  for (const auto& l : m.layers) b.tensor(l.up_proj);    // w3
  b.tensor(m.norm);
  const int half = c.head_size() / 2;
  for (bool sine : {false, true}) {
    std::vector<float> table;
    for (int pos = 0; pos < c.max_position_embeddings; ++pos)
      for (int i = 0; i < half; ++i) {
        const double angle = pos / std::pow(c.rope_theta, 2.0 * i / c.head_size());
        table.push_back(static_cast<float>(sine ? std::sin(angle) : std::cos(angle)));
      }
    b.floats(table.data(), static_cast<Eigen::Index>(table.size()));
  }
  if (!m.tied) b.tensor(m.lm_head);
  return b.text;
}

std::string llama2c_version1_file(const core::LlamaConfig& c, const core::LlamaWeights& m) {
  Bytes b;
  versioned_header(b, c, 1, m.tied, 0);
  for (const auto& l : m.layers) b.tensor(l.input_layernorm);
  for (const auto& l : m.layers) b.tensor(l.post_attention_layernorm);
  b.tensor(m.norm);
  b.tensor(m.embed_tokens);
  for (const auto& l : m.layers) b.tensor(l.q_proj);
  for (const auto& l : m.layers) b.tensor(l.k_proj);
  for (const auto& l : m.layers) b.tensor(l.v_proj);
  for (const auto& l : m.layers) b.tensor(l.o_proj);
  for (const auto& l : m.layers) b.tensor(l.gate_proj);
  for (const auto& l : m.layers) b.tensor(l.down_proj);
  for (const auto& l : m.layers) b.tensor(l.up_proj);
  if (!m.tied) b.tensor(m.lm_head);
  return b.text;
}

std::string llama2c_version2_file(const core::LlamaConfig& c, core::LlamaWeights& m, int group) {
  Bytes b;
  versioned_header(b, c, 2, m.tied, group);
  for (const auto& l : m.layers) b.tensor(l.input_layernorm);
  for (const auto& l : m.layers) b.tensor(l.post_attention_layernorm);
  b.tensor(m.norm);
  b.quantized(m.embed_tokens, group);
  for (auto& l : m.layers) b.quantized(l.q_proj, group);
  for (auto& l : m.layers) b.quantized(l.k_proj, group);
  for (auto& l : m.layers) b.quantized(l.v_proj, group);
  for (auto& l : m.layers) b.quantized(l.o_proj, group);
  for (auto& l : m.layers) b.quantized(l.gate_proj, group);
  for (auto& l : m.layers) b.quantized(l.down_proj, group);
  for (auto& l : m.layers) b.quantized(l.up_proj, group);
  if (!m.tied) b.quantized(m.lm_head, group);
  return b.text;
}

std::string llama2c_tokenizer_file(const std::vector<std::string>& pieces, const std::vector<float>& scores) {
  if (pieces.size() != scores.size())
    throw std::invalid_argument("llama2.c tokenizer: pieces and scores differ in number");
  std::vector<std::string> exported;
  for (std::string p : pieces) {
    if (p == "<s>") p = "\n<s>\n";
    else if (p == "</s>") p = "\n</s>\n";
    for (size_t at = p.find("\xE2\x96\x81"); at != std::string::npos; at = p.find("\xE2\x96\x81", at + 1))
      p.replace(at, 3, " ");
    exported.push_back(std::move(p));
  }
  size_t max_len = 0;
  for (const std::string& p : exported) max_len = std::max(max_len, p.size());
  Bytes b;
  b.i32(static_cast<int32_t>(max_len));
  for (size_t i = 0; i < exported.size(); ++i) {
    b.f32(scores[i]);
    b.i32(static_cast<int32_t>(exported[i].size()));
    b.bytes(exported[i]);
  }
  return b.text;
}

}  // namespace kvscope::test
