// A sharded checkpoint's model.safetensors.index.json (core/hf_weights.cpp, read_weight_map), through
// load_hf_weights and hf_stored_dtypes on a model directory that holds a tiny config's weights in one valid shard
// (model-00001-of-00002.safetensors) and a malformed one (model-00002-of-00002.safetensors); the input is the
// index. Rejection: WeightsError.
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/config.h"
#include "core/hf_weights.h"
#include "core/weights.h"
#include "fuzz/fuzz_util.h"

namespace {

using namespace kvscope;

core::LlamaConfig tiny_config() {
  core::LlamaConfig c;
  c.name = "tiny";
  c.vocab_size = 8;
  c.hidden_size = 8;
  c.intermediate_size = 16;
  c.num_hidden_layers = 1;
  c.num_attention_heads = 2;
  c.num_key_value_heads = 1;
  c.max_position_embeddings = 16;
  return c;
}

// The model directory, written once: config.json, the two shards, no model.safetensors.
const std::filesystem::path& model_dir() {
  static const std::filesystem::path dir = [] {
    const std::filesystem::path d = fuzz::work_dir() / "model";
    std::filesystem::create_directories(d);
    core::LlamaConfig config = tiny_config();
    core::LlamaWeights weights = core::random_weights(config, 1);
    core::save_hf_weights(d.string(), config, weights, core::DType::BF16);
    std::filesystem::rename(d / "model.safetensors", d / "model-00001-of-00002.safetensors");
    fuzz::write_whole_file(d / "model-00002-of-00002.safetensors", std::string("\x10\0\0\0\0\0\0\0{\"a\":", 13));
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const core::LlamaConfig config = tiny_config();
  const std::filesystem::path& dir = model_dir();
  fuzz::write_whole_file(dir / "model.safetensors.index.json",
                         std::string_view(reinterpret_cast<const char*>(data), size));
  KVSCOPE_FUZZ_GUARD({
    try {
      (void)core::hf_stored_dtypes(dir.string(), config);
    } catch (const core::WeightsError&) {
    } catch (const nlohmann::json::out_of_range&) {
      if (!fuzz::skip_known()) throw;  // the known finding below
    }
    try {
      (void)core::load_hf_weights(dir.string(), config);
    } catch (const core::WeightsError&) {
    } catch (const nlohmann::json::out_of_range&) {
      // Known finding (fuzz/regressions/fuzz_shard_index/crash-number-overflow): an index number such as 1e400
      // escapes as nlohmann's out_of_range instead of WeightsError.
      if (!fuzz::skip_known()) throw;
    }
  })
  return 0;
}
