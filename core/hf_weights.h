#pragma once
// Weights of an HF model directory: config.json + model.safetensors, or a sharded
// model.safetensors.index.json, with F32, F16 or BF16 tensors.
#include <string>
#include <utility>
#include <vector>

#include "core/config.h"
#include "core/model_weights.h"
#include "core/safetensors.h"
#include "core/weights.h"

namespace kvscope::core {

// The matrices stay in the files' mappings, in their stored precision (no copy, no conversion); the norms are
// read as float32. Throws WeightsError naming the file and the tensor when anything is missing, malformed or
// mis-shaped.
ModelWeights map_hf_weights(const std::string& dir, const LlamaConfig& config);
// The same weights converted to float32.
LlamaWeights load_hf_weights(const std::string& dir, const LlamaConfig& config);

// Each weight's dtype as the checkpoint's headers give it ("F32", "BF16"), in checkpoint order, without reading
// tensor bytes. Throws WeightsError as load_hf_weights does for a missing tensor or unreadable header.
std::vector<std::pair<std::string, std::string>> hf_stored_dtypes(const std::string& dir, const LlamaConfig& config);

// Writes config.json and model.safetensors (atomically) in `dtype`; used by tests and `kvscope save-weights`.
void save_hf_weights(const std::string& dir, const LlamaConfig& config, LlamaWeights& weights, DType dtype);

}  // namespace kvscope::core
