#include "core/model_source.h"

#include <algorithm>
#include <cstdlib>

#include "core/hf_weights.h"

namespace kvscope::core {

namespace fs = std::filesystem;

fs::path assets_dir() {
  if (const char* env = std::getenv("KVSCOPE_ASSETS"); env && *env) return env;
  return KVSCOPE_SOURCE_ASSETS;
}

std::vector<std::string> shipped_model_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(assets_dir() / "models", ec))
    if (fs::exists(entry.path() / "config.json", ec)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> model_names() {
  std::vector<std::string> names = shipped_model_names();
  for (const std::string& p : preset_names()) names.push_back(p);
  return names;
}

namespace {

ModelSource directory_source(const fs::path& dir, const std::string& name) {
  const fs::path config = dir / "config.json";
  if (!fs::exists(config)) throw ConfigError(config.string() + ": missing (a model directory needs config.json)");
  ModelSource source{load_config_file(config.string()), dir.string()};
  source.config.name = name;
  return source;
}

std::string comma_separated(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

ModelSource resolve_model(const std::string& arg) {
  if (is_preset(arg)) return {preset_config(arg), ""};
  const std::vector<std::string> shipped = shipped_model_names();
  // A directory of that name in the working directory wins over a shipped model, as a path should.
  if (!fs::is_directory(arg) && std::find(shipped.begin(), shipped.end(), arg) != shipped.end())
    return directory_source(assets_dir() / "models" / arg, arg);
  if (fs::is_directory(arg)) return directory_source(arg, arg);
  throw ConfigError("--model '" + arg + "' is neither a model kvscope ships (" + comma_separated(shipped) +
                    "), a preset (" + preset_list() + ") nor a model directory");
}

LlamaModel load_model(const ModelSource& source, uint64_t seed, bool meta) {
  if (meta) return LlamaModel(source.config, std::nullopt);
  if (source.weights_dir.empty()) return LlamaModel(source.config, random_weights(source.config, seed));
  return LlamaModel(source.config, load_hf_weights(source.weights_dir, source.config));
}

}  // namespace kvscope::core
