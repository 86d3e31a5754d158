#pragma once
// What `--model` names: a built-in preset (seeded random weights) or an HF model directory.
#include <cstdint>
#include <string>

#include "core/config.h"
#include "core/model.h"

namespace kvscope::core {

struct ModelSource {
  LlamaConfig config;
  std::string weights_dir;  // empty: a preset, whose weights are random from the seed
};

// Throws ConfigError naming the argument when it is neither a preset nor a directory with config.json.
ModelSource resolve_model(const std::string& arg);

// meta: shapes only, no weights are read or made.
LlamaModel load_model(const ModelSource& source, uint64_t seed, bool meta);

}  // namespace kvscope::core
