#pragma once
// What `--model` names: a built-in preset (seeded random weights), a model shipped in assets/models (trained
// weights and a tokenizer), or an HF model directory.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/model.h"

namespace kvscope::core {

struct ModelSource {
  LlamaConfig config;
  std::string weights_dir;  // the model directory (weights, tokenizer files); empty: a preset, random weights
};

// Where the shipped models live: $KVSCOPE_ASSETS when set, else the source tree's assets/ (compiled in).
std::filesystem::path assets_dir();
// The names of the models in assets/models (each a directory with config.json), sorted.
std::vector<std::string> shipped_model_names();
// Every name --model accepts besides a path: shipped models first, then presets. For messages and menus.
std::vector<std::string> model_names();

// Throws ConfigError naming the argument when it is neither a preset, a shipped model nor a directory with
// config.json.
ModelSource resolve_model(const std::string& arg);

// meta: shapes only, no weights are read or made.
LlamaModel load_model(const ModelSource& source, uint64_t seed, bool meta);

}  // namespace kvscope::core
