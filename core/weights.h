#pragma once
// The model's parameters, stored as HF stores them: every projection is [out_features, in_features].
#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "core/config.h"

namespace kvscope::core {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXf;

struct LayerWeights {
  Vector input_layernorm;           // [H]
  Matrix q_proj, k_proj, v_proj;    // [nh*hd, H], [nkv*hd, H], [nkv*hd, H]
  Matrix o_proj;                    // [H, nh*hd]
  Vector post_attention_layernorm;  // [H]
  Matrix gate_proj, up_proj;        // [I, H]
  Matrix down_proj;                 // [H, I]
};

struct LlamaWeights {
  Matrix embed_tokens;  // [V, H]
  std::vector<LayerWeights> layers;
  Vector norm;     // [H]
  Matrix lm_head;  // [V, H]; empty when tied to embed_tokens
  bool tied = false;

  const Matrix& head() const { return tied ? embed_tokens : lm_head; }
};

// normal(0, 0.02) projections and embeddings, ones for the norms, from the project's own PRNG:
// the same seed gives the same bytes on every machine and compiler.
LlamaWeights random_weights(const LlamaConfig& config, uint64_t seed);

// One HF tensor: its name in a checkpoint, its shape, and where it lives in LlamaWeights.
struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  float* data;
};
// Every tensor of the model, in checkpoint order, with the HF names (model.layers.N.self_attn.q_proj.weight, ...).
// lm_head.weight is left out when the weights are tied.
std::vector<NamedTensor> named_tensors(LlamaWeights& weights);
// The name and shape of every parameter of `config`, in named_tensors' order, without allocating anything.
// lm_head.weight is left out when config.tie_word_embeddings.
struct ParameterShape {
  std::string name;
  std::vector<int64_t> shape;
};
std::vector<ParameterShape> parameter_shapes(const LlamaConfig& config);
// Sizes every matrix for `config` (uninitialised).
LlamaWeights allocate_weights(const LlamaConfig& config, bool tied);

}  // namespace kvscope::core
