#pragma once
// An independent, naive LLaMA forward in double precision, written from HF's modeling_llama.py with
// plain loops and no code shared with core/: the yardstick the model's logits are checked against.
#include <cmath>
#include <vector>

#include "core/weights.h"

namespace reference {

using Mat = std::vector<std::vector<double>>;

inline Mat linear(const Mat& x, const kvscope::core::Matrix& w) {  // x [T, in], w [out, in]
  Mat y(x.size(), std::vector<double>(static_cast<size_t>(w.rows()), 0.0));
  for (size_t t = 0; t < x.size(); ++t)
    for (long o = 0; o < w.rows(); ++o) {
      double sum = 0;
      for (long i = 0; i < w.cols(); ++i) sum += x[t][static_cast<size_t>(i)] * w(o, i);
      y[t][static_cast<size_t>(o)] = sum;
    }
  return y;
}

inline Mat rms_norm(const Mat& x, const kvscope::core::Vector& w, double eps) {
  Mat y = x;
  for (auto& row : y) {
    double ms = 0;
    for (double v : row) ms += v * v;
    ms /= static_cast<double>(row.size());
    for (size_t i = 0; i < row.size(); ++i) row[i] = row[i] / std::sqrt(ms + eps) * w(static_cast<long>(i));
  }
  return y;
}

// Deliberate mistakes, to show the tests can tell them from HF's semantics.
struct Mistakes {
  bool modulo_heads = false;      // GQA: query head h reads kv head h % n_kv instead of h / n_rep
  bool interleaved_rope = false;  // RoPE pairs 2i with 2i+1 (GPT-J) instead of i with i + hd/2
};

// In place on [T, heads*hd]: rotate_half pairs i with i + hd/2; position of row t is t.
inline void rope(Mat& x, int heads, int hd, double theta, bool interleaved = false) {
  for (size_t t = 0; t < x.size(); ++t)
    for (int h = 0; h < heads; ++h)
      for (int i = 0; i < hd / 2; ++i) {
        const double inv_freq = 1.0 / std::pow(theta, 2.0 * i / hd);
        const double angle = static_cast<double>(t) * inv_freq;
        double& a = x[t][static_cast<size_t>(h * hd + (interleaved ? 2 * i : i))];
        double& b = x[t][static_cast<size_t>(h * hd + (interleaved ? 2 * i + 1 : i + hd / 2))];
        const double a0 = a, b0 = b;
        a = a0 * std::cos(angle) - b0 * std::sin(angle);
        b = b0 * std::cos(angle) + a0 * std::sin(angle);
      }
}

// Logits of every position for one sequence, the whole sequence at once (no cache).
inline Mat logits(const kvscope::core::LlamaConfig& c, const kvscope::core::LlamaWeights& w,
                  const std::vector<int32_t>& ids, Mistakes mistakes = {}) {
  const size_t T = ids.size();
  const int nh = c.num_attention_heads, nkv = c.num_key_value_heads, hd = c.head_size();
  Mat x(T);
  for (size_t t = 0; t < T; ++t)
    for (long i = 0; i < c.hidden_size; ++i) x[t].push_back(w.embed_tokens(ids[t], i));
  for (const auto& layer : w.layers) {
    const Mat xn = rms_norm(x, layer.input_layernorm, c.rms_norm_eps);
    Mat q = linear(xn, layer.q_proj), k = linear(xn, layer.k_proj), v = linear(xn, layer.v_proj);
    rope(q, nh, hd, c.rope_theta, mistakes.interleaved_rope);
    rope(k, nkv, hd, c.rope_theta, mistakes.interleaved_rope);
    Mat attn(T, std::vector<double>(static_cast<size_t>(nh * hd), 0.0));
    for (int h = 0; h < nh; ++h) {
      const int kvh = mistakes.modulo_heads ? h % nkv
                                            : h / (nh / nkv);  // repeat_kv: query head h reads kv head h / n_rep
      for (size_t i = 0; i < T; ++i) {
        std::vector<double> p(i + 1);
        double max = -1e300;
        for (size_t j = 0; j <= i; ++j) {  // causal: position i sees 0..i
          double s = 0;
          for (int d = 0; d < hd; ++d)
            s += q[i][static_cast<size_t>(h * hd + d)] * k[j][static_cast<size_t>(kvh * hd + d)];
          p[j] = s / std::sqrt(static_cast<double>(hd));
          max = std::max(max, p[j]);
        }
        double sum = 0;
        for (double& e : p) sum += (e = std::exp(e - max));
        for (size_t j = 0; j <= i; ++j)
          for (int d = 0; d < hd; ++d)
            attn[i][static_cast<size_t>(h * hd + d)] += p[j] / sum * v[j][static_cast<size_t>(kvh * hd + d)];
      }
    }
    const Mat o = linear(attn, layer.o_proj);
    for (size_t t = 0; t < T; ++t)
      for (size_t i = 0; i < x[t].size(); ++i) x[t][i] += o[t][i];
    const Mat post = rms_norm(x, layer.post_attention_layernorm, c.rms_norm_eps);
    Mat gate = linear(post, layer.gate_proj);
    const Mat up = linear(post, layer.up_proj);
    for (size_t t = 0; t < T; ++t)
      for (size_t i = 0; i < gate[t].size(); ++i) {
        const double g = gate[t][i];
        gate[t][i] = g / (1.0 + std::exp(-g)) * up[t][i];
      }
    const Mat down = linear(gate, layer.down_proj);
    for (size_t t = 0; t < T; ++t)
      for (size_t i = 0; i < x[t].size(); ++i) x[t][i] += down[t][i];
  }
  return linear(rms_norm(x, w.norm, c.rms_norm_eps), w.head());
}

}  // namespace reference
