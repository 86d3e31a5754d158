#include "core/model_source.h"

#include <filesystem>

#include "core/hf_weights.h"

namespace kvscope::core {

ModelSource resolve_model(const std::string& arg) {
  namespace fs = std::filesystem;
  if (is_preset(arg)) return {preset_config(arg), ""};
  if (fs::is_directory(arg)) {
    const fs::path config = fs::path(arg) / "config.json";
    if (!fs::exists(config)) throw ConfigError(config.string() + ": missing (a model directory needs config.json)");
    ModelSource source{load_config_file(config.string()), arg};
    source.config.name = arg;
    return source;
  }
  throw ConfigError("--model '" + arg + "' is neither a preset (" + preset_list() + ") nor a model directory");
}

LlamaModel load_model(const ModelSource& source, uint64_t seed, bool meta) {
  if (meta) return LlamaModel(source.config, std::nullopt);
  if (source.weights_dir.empty()) return LlamaModel(source.config, random_weights(source.config, seed));
  return LlamaModel(source.config, load_hf_weights(source.weights_dir, source.config));
}

}  // namespace kvscope::core
