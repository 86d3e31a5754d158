#include "core/hf_weights.h"

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

#include "trace/atomic_file.h"
#include "trace/text_format.h"

namespace kvscope::core {

namespace {

namespace fs = std::filesystem;

constexpr const char* kSingleFile = "model.safetensors";
constexpr const char* kIndexFile = "model.safetensors.index.json";
constexpr const char* kLmHead = "lm_head.weight";

size_t numel(const std::vector<int64_t>& shape) {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  return n;
}

// tensor name -> shard file name, from an index's "weight_map".
std::map<std::string, std::string> read_weight_map(const std::string& index_path) {
  const std::optional<std::string> text = trace::read_file(index_path);
  if (!text) throw WeightsError(index_path + ": cannot open");
  nlohmann::json index;
  try {
    index = nlohmann::json::parse(*text);
  } catch (const nlohmann::json::exception& e) {  // a syntax error, or a number such as 1e400 no double holds
    throw WeightsError(index_path + ": not valid JSON: " + e.what());
  }
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object()) {
    throw WeightsError(index_path + ": no \"weight_map\" object");
  }
  std::map<std::string, std::string> map;
  for (const auto& [tensor, shard] : index["weight_map"].items()) {
    if (!shard.is_string())
      throw WeightsError(index_path + ": weight_map entry for '" + tensor + "' is not a file name");
    // A plain name in the model directory: an index must not make kvscope open /etc/passwd or ../../x.
    const std::string name = shard.get<std::string>();
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
        name.find('\0') != std::string::npos)
      throw WeightsError(index_path + ": weight_map entry for '" + tensor + "' names '" + name +
                         "': shard files must be plain file names inside the model directory");
    map[tensor] = shard.get<std::string>();
  }
  return map;
}

// Whether `path` exists; a path that cannot be looked at (a symlink loop, no permission) is an error naming it,
// not std::filesystem's "filesystem error: status: ..." nor a file said to be missing.
bool present(const fs::path& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) throw WeightsError(path.string() + ": " + ec.message());
  return fs::exists(status);
}

// A model directory's checkpoint: one model.safetensors, or the shards its index names, each
// opened (and validated) only when a tensor the model needs lives there.
class Checkpoint {
 public:
  explicit Checkpoint(const std::string& dir) : dir_(dir) {
    if (present(dir_ / kSingleFile)) {
      shards_.emplace(kSingleFile, std::make_shared<const SafetensorsFile>((dir_ / kSingleFile).string()));
    } else if (present(dir_ / kIndexFile)) {
      index_path_ = (dir_ / kIndexFile).string();
      weight_map_ = read_weight_map(index_path_);
    } else {
      throw WeightsError(dir + ": neither " + kSingleFile + " nor " + kIndexFile +
                         " found (kvscope reads safetensors checkpoints only)");
    }
  }

  // What was searched, for messages about tensors that are nowhere.
  std::string searched() const { return sharded() ? index_path_ : (dir_ / kSingleFile).string(); }

  bool has(const std::string& name) {
    return sharded() ? weight_map_.contains(name) : shard(kSingleFile)->find(name) != nullptr;
  }

  // The shard holding `name` (shared: mapped weights keep it alive) and the tensor's header entry.
  std::pair<std::shared_ptr<const SafetensorsFile>, const TensorInfo*> locate(const std::string& name) {
    if (!sharded()) {
      std::shared_ptr<const SafetensorsFile> file = shard(kSingleFile);
      const TensorInfo* info = file->find(name);
      if (!info) throw WeightsError(file->path() + ": tensor '" + name + "' is missing");
      return {file, info};
    }
    const auto entry = weight_map_.find(name);
    if (entry == weight_map_.end()) {
      throw WeightsError(index_path_ + ": tensor '" + name + "' is missing from weight_map");
    }
    std::shared_ptr<const SafetensorsFile> file = open_shard_for(name, entry->second);
    const TensorInfo* info = file->find(name);
    if (!info) {
      throw WeightsError(file->path() + ": tensor '" + name + "' is missing, though " + index_path_ +
                         " places it in this shard");
    }
    return {file, info};
  }

 private:
  bool sharded() const { return !index_path_.empty(); }

  std::shared_ptr<const SafetensorsFile> open_shard_for(const std::string& tensor, const std::string& file_name) {
    try {
      return shard(file_name);
    } catch (const WeightsError& e) {
      throw WeightsError(std::string(e.what()) + " (" + index_path_ + " places tensor '" + tensor + "' there)");
    }
  }

  std::shared_ptr<const SafetensorsFile> shard(const std::string& file_name) {
    auto it = shards_.find(file_name);
    if (it == shards_.end())
      it = shards_.emplace(file_name, std::make_shared<const SafetensorsFile>((dir_ / file_name).string())).first;
    return it->second;
  }

  fs::path dir_;
  std::string index_path_;  // empty: a single model.safetensors
  std::map<std::string, std::string> weight_map_;
  std::map<std::string, std::shared_ptr<const SafetensorsFile>> shards_;  // by file name
};

}  // namespace

ModelWeights map_hf_weights(const std::string& dir, const LlamaConfig& config) {
  Checkpoint checkpoint(dir);
  // As HF's tie_weights(): with tie_word_embeddings the head is the embedding matrix, and an
  // lm_head.weight in the checkpoint is ignored.
  const bool tied = config.tie_word_embeddings;
  if (!tied && !checkpoint.has(kLmHead)) {
    throw WeightsError(checkpoint.searched() + ": tensor '" + kLmHead +
                       "' is missing and config.json does not set tie_word_embeddings");
  }
  // Every tensor is found and its shape checked before anything is mapped or read: a config that asks for more
  // than the checkpoint holds fails at once, naming what is missing.
  for (const ParameterShape& wanted : parameter_shapes(config)) {
    const auto [file, info] = checkpoint.locate(wanted.name);
    if (!info->dtype)
      throw WeightsError(file->path() + ": tensor '" + wanted.name + "': dtype " + info->dtype_name +
                         " cannot be loaded as weights (F32, F16 or BF16 only)");
    if (info->shape != wanted.shape) {
      throw WeightsError(file->path() + ": tensor '" + wanted.name + "' has shape " +
                         trace::bracketed_list(info->shape) + ", the config expects " +
                         trace::bracketed_list(wanted.shape));
    }
  }
  auto matrix = [&](const std::string& name) {
    const auto [file, info] = checkpoint.locate(name);
    const GgmlType type = *info->dtype == DType::F32   ? GgmlType::F32
                          : *info->dtype == DType::F16 ? GgmlType::F16
                                                       : GgmlType::BF16;
    return WeightMatrix(type, info->shape[0], info->shape[1], file->bytes(*info).data(), file);
  };
  auto vector = [&](const std::string& name) {
    const auto [file, info] = checkpoint.locate(name);
    Vector v(info->numel());
    file->read_into(*info, std::span<float>(v.data(), numel(info->shape)));
    return v;
  };
  return assemble_weights(config, matrix, vector);
}

LlamaWeights load_hf_weights(const std::string& dir, const LlamaConfig& config) {
  return map_hf_weights(dir, config).dequantized();
}

std::vector<std::pair<std::string, std::string>> hf_stored_dtypes(const std::string& dir, const LlamaConfig& config) {
  Checkpoint checkpoint(dir);
  std::vector<std::pair<std::string, std::string>> out;
  for (const ParameterShape& p : parameter_shapes(config))
    out.emplace_back(p.name, checkpoint.locate(p.name).second->dtype_name);
  return out;
}

void save_hf_weights(const std::string& dir, const LlamaConfig& config, LlamaWeights& weights, DType dtype) {
  // A mismatch would save a directory that loads with a different head than the one saved.
  if (weights.tied != config.tie_word_embeddings) {
    throw WeightsError(dir + ": the weights are " + (weights.tied ? "" : "not ") +
                       "tied but the config's tie_word_embeddings is " +
                       (config.tie_word_embeddings ? "true" : "false"));
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw WeightsError(dir + ": cannot create the directory: " + ec.message());

  std::vector<TensorToWrite> tensors;
  for (const NamedTensor& t : named_tensors(weights)) {
    tensors.push_back({t.name, dtype, t.shape, std::span<const float>(t.data, numel(t.shape))});
  }
  // HF's loaders refuse safetensors files whose metadata does not name a known format.
  write_safetensors((fs::path(dir) / kSingleFile).string(), tensors, {{"format", "pt"}});
  // config.json last: a directory with one is taken for a complete model.
  try {
    trace::write_file_atomically((fs::path(dir) / "config.json").string(), config_to_json(config).dump(2) + "\n");
  } catch (const std::runtime_error& e) {
    throw WeightsError(e.what());
  }
}

}  // namespace kvscope::core
