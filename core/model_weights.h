#pragma once
// The weights a LlamaModel computes with: every projection and the embeddings as WeightMatrix (the file's own
// precision, mapped where the file allows), the norms as float32 vectors. LlamaWeights (core/weights.h) stays
// the editable float32 form that random initialisation, the tests and the file writers use.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "core/weight_matrix.h"
#include "core/weights.h"

namespace kvscope::core {

struct ModelLayer {
  Vector input_layernorm;                       // [H]
  WeightMatrix q_proj, k_proj, v_proj, o_proj;  // [nh*hd, H], [nkv*hd, H], [nkv*hd, H], [H, nh*hd]
  Vector post_attention_layernorm;              // [H]
  WeightMatrix gate_proj, up_proj, down_proj;   // [I, H], [I, H], [H, I]
};

struct ModelWeights {
  WeightMatrix embed_tokens;  // [V, H]
  std::vector<ModelLayer> layers;
  Vector norm;           // [H]
  WeightMatrix lm_head;  // [V, H]; empty when tied to embed_tokens
  bool tied = false;

  const WeightMatrix& head() const { return tied ? embed_tokens : lm_head; }

  // Takes float32 weights over without copying them.
  static ModelWeights adopt(LlamaWeights&& weights);
  // A float32 copy, as HF would hold the model after .float().
  LlamaWeights dequantized() const;
  // The bytes the matrices occupy as stored (mapped or owned) plus the float32 norms.
  int64_t stored_bytes() const;
};

// The weights of `config` from a loader's two readers, each called with an HF parameter name in checkpoint order
// (lm_head.weight left out when the config ties it to the embeddings).
ModelWeights assemble_weights(const LlamaConfig& config, const std::function<WeightMatrix(const std::string&)>& matrix,
                              const std::function<Vector(const std::string&)>& vector);

// One parameter in checkpoint order, with its HF name: a matrix or a norm vector.
struct ModelParameter {
  std::string name;
  const WeightMatrix* matrix = nullptr;  // null for a norm
  const Vector* vector = nullptr;        // null for a matrix
};
std::vector<ModelParameter> model_parameters(const ModelWeights& weights);

// The first element of a parameter that is NaN or infinite, and which it is. The stored bits are checked (a
// block type's scales), vectorised; with a pool, a matrix's rows are split across its threads, with the same answer
// for any thread count.
struct NonFinite {
  int64_t index = 0;  // row-major, in HF's row order
  bool nan = false;
};
std::optional<NonFinite> first_non_finite(const ModelParameter& parameter, ThreadPool* pool = nullptr);

}  // namespace kvscope::core
