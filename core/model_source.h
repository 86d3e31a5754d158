#pragma once
// What `--model` names: a built-in preset (seeded random weights), a model shipped in assets/models (trained
// weights and a tokenizer), an HF model directory (safetensors), a GGUF file or a llama2.c checkpoint. Files
// are recognised by their content, not their extension.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/model.h"

namespace kvscope::core {

enum class ModelFormat { preset, safetensors, gguf, llama2c };
// "preset" (seeded random float32 weights), "safetensors", "gguf", "llama2.c": what traces record.
std::string_view format_name(ModelFormat format);

struct ModelSource {
  LlamaConfig config;
  ModelFormat format = ModelFormat::preset;
  std::string path;  // the model directory (safetensors) or file (gguf, llama2.c); empty for a preset
};

// One weight and how the model's file stores it: "F32", "BF16", "Q4_K", "int8 (groups of 64)".
struct StoredWeight {
  std::string name;  // HF's parameter name: "model.layers.0.self_attn.q_proj.weight"
  std::string stored_as;
};
// Every weight of the model in checkpoint order, read from the file's headers (no tensor bytes). A preset's
// weights are made as float32. Throws WeightsError or GgufError, naming the file, when a header is unreadable
// or a tensor is missing.
std::vector<StoredWeight> stored_weights(const ModelSource& source);

// Where the shipped models live: $KVSCOPE_ASSETS when set, else the source tree's assets/ (compiled in).
std::filesystem::path assets_dir();
// The names of the models in assets/models (each a directory with config.json), sorted.
std::vector<std::string> shipped_model_names();
// Every name --model accepts besides a path: shipped models first, then presets. For messages and menus.
std::vector<std::string> model_names();

// Throws ConfigError naming the argument when it is neither a preset, a shipped model, a directory with
// config.json, a GGUF file nor a llama2.c checkpoint; the file's own error (GgufError, WeightsError) when it is
// one of those whose header does not describe a LLaMA model kvscope can compute.
ModelSource resolve_model(const std::string& arg);

// meta: shapes only, no weights are read or made. Safetensors and GGUF weights stay in the file's mapping in
// their stored precision; float32 weights that must be made (a preset, a llama2.c file, a GGUF file's quantized
// matrices) are checked to fit in the memory available before they are allocated (core/memory_budget.h).
LlamaModel load_model(const ModelSource& source, uint64_t seed, bool meta);

}  // namespace kvscope::core
