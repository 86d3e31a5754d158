#include "core/model_source.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <optional>

#include "core/gguf.h"
#include "core/gguf_model.h"
#include "core/hf_weights.h"
#include "core/llama2c.h"
#include "core/load_progress.h"
#include "core/memory_budget.h"
#include "core/quant.h"

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

// What is at `path`; a path that cannot be looked at (a symlink loop, no permission) is an error naming it, not
// std::filesystem's "filesystem error: status: ...".
fs::file_status status_of(const fs::path& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) throw ConfigError(path.string() + ": " + ec.message());
  return status;
}

ModelSource directory_source(const fs::path& dir, const std::string& name) {
  const fs::path config = dir / "config.json";
  if (!fs::exists(status_of(config)))
    throw ConfigError(config.string() + ": missing (a model directory needs config.json)");
  ModelSource source{load_config_file(config.string()), ModelFormat::safetensors, dir.string()};
  source.config.name = name;
  return source;
}

std::string comma_separated(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

ModelSource file_source(const std::string& path) {
  if (looks_like_gguf(path)) return {gguf_llama_config(GgufFile::open(path)), ModelFormat::gguf, path};
  if (looks_like_llama2c(path)) return {read_llama2c_header(path).config, ModelFormat::llama2c, path};
  throw ConfigError("--model '" + path +
                    "' is a file, but neither a GGUF file (it would start with \"GGUF\") nor a llama2.c checkpoint "
                    "(a header of 7 int32 whose sizes add up to the file's length, or the \"ak42\" magic)");
}

std::string llama2c_storage(const Llama2cHeader& header) {
  return header.version == 2 ? "int8 (groups of " + std::to_string(header.group_size) + ")" : "F32";
}

}  // namespace

std::string_view format_name(ModelFormat format) {
  switch (format) {
    case ModelFormat::preset: return "preset";
    case ModelFormat::safetensors: return "safetensors";
    case ModelFormat::gguf: return "gguf";
    case ModelFormat::llama2c: return "llama2.c";
  }
  return "unknown";
}

std::vector<StoredWeight> stored_weights(const ModelSource& source) {
  std::vector<StoredWeight> out;
  switch (source.format) {
    case ModelFormat::gguf: {
      const GgufFile file = GgufFile::open(source.path);
      for (const GgufWeight& w : gguf_weights(file, source.config))
        out.push_back({w.hf_name, std::string(ggml_type_name(w.type))});
      return out;
    }
    case ModelFormat::safetensors:
      for (auto& [name, dtype] : hf_stored_dtypes(source.path, source.config)) out.push_back({name, dtype});
      return out;
    case ModelFormat::llama2c:
    case ModelFormat::preset: {
      // Every tensor of a llama2.c file has the same storage (its norms are float32 in every version, but they
      // are not what the version is about); a preset's weights are made as float32.
      const std::string as = source.format == ModelFormat::preset ? "F32"
                                                                  : llama2c_storage(read_llama2c_header(source.path));
      for (const ParameterShape& p : parameter_shapes(source.config)) out.push_back({p.name, as});
      return out;
    }
  }
  return out;
}

ModelSource resolve_model(const std::string& arg) {
  if (is_preset(arg)) return {preset_config(arg), ModelFormat::preset, ""};
  const std::vector<std::string> shipped = shipped_model_names();
  // A directory of that name in the working directory wins over a shipped model, as a path should.
  const fs::file_status status = status_of(arg);
  if (!fs::is_directory(status) && std::find(shipped.begin(), shipped.end(), arg) != shipped.end())
    return directory_source(assets_dir() / "models" / arg, arg);
  if (fs::is_directory(status)) return directory_source(arg, arg);
  if (fs::is_regular_file(status)) return file_source(arg);
  throw ConfigError("--model '" + arg + "' is neither a model kvscope ships (" + comma_separated(shipped) +
                    "), a preset (" + preset_list() + "), a model directory, a GGUF file nor a llama2.c checkpoint");
}

namespace {

// A NaN or an infinity in a weight turns every logit into NaN and greedy decoding into token 0, silently:
// refuse the file, naming the tensor and the first bad element. The check runs on every core; on a mapped file it
// is also what brings the pages in (the page cache's, not a copy).
LlamaModel checked(const ModelSource& source, ModelWeights weights) {
  ThreadPool pool(available_cores());
  const std::vector<ModelParameter> parameters = model_parameters(weights);
  for (size_t i = 0; i < parameters.size(); ++i) {
    report_load_progress("checking the weights for NaN and infinity", static_cast<int64_t>(i),
                         static_cast<int64_t>(parameters.size()));
    const ModelParameter& p = parameters[i];
    const std::optional<NonFinite> bad = first_non_finite(p, &pool);
    if (!bad) continue;
    const std::string where = p.matrix ? " (row " + std::to_string(bad->index / p.matrix->cols()) + ", column " +
                                             std::to_string(bad->index % p.matrix->cols()) + ")"
                                       : "";
    throw WeightsError(source.path + ": tensor '" + p.name + "' holds " + (bad->nan ? "NaN" : "an infinity") +
                       " at index " + std::to_string(bad->index) + where + "; kvscope refuses non-finite weights");
  }
  return LlamaModel(source.config, std::move(weights));
}

// The float32 weights a preset or a llama2.c checkpoint is made into must fit before they are allocated; mapped
// files need no such copy (a GGUF file's quantized matrices are checked when they are converted).
void check_float32_fits(const ModelSource& source) {
  check_fits(checked_product({source.config.parameter_count(), int64_t{sizeof(float)}}, "the weights"),
             "model '" + source.config.name + "' (float32 weights)", "use --meta for shapes only");
}

}  // namespace

LlamaModel load_model(const ModelSource& source, uint64_t seed, bool meta) {
  if (meta) return LlamaModel(source.config, std::nullopt);
  switch (source.format) {
    case ModelFormat::preset:
      check_float32_fits(source);
      return LlamaModel(source.config, random_weights(source.config, seed));
    case ModelFormat::safetensors: return checked(source, map_hf_weights(source.path, source.config));
    case ModelFormat::gguf:
      return checked(source,
                     map_gguf_weights(std::make_shared<const GgufFile>(GgufFile::open(source.path)), source.config));
    case ModelFormat::llama2c:
      if (read_llama2c_header(source.path).version == 2) check_float32_fits(source);  // dequantized; others mapped
      return checked(source, map_llama2c_weights(source.path));
  }
  throw std::logic_error("load_model: unknown format");
}

}  // namespace kvscope::core
