#pragma once
// The model's shape, with the keys and defaults of HF's LlamaConfig.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace kvscope::core {

struct LlamaConfig {
  std::string name;  // preset name or model directory, for messages and exports
  int vocab_size = 32000;
  int hidden_size = 4096;
  int intermediate_size = 11008;
  int num_hidden_layers = 32;
  int num_attention_heads = 32;
  int num_key_value_heads = 32;
  int head_dim = 0;  // 0: hidden_size / num_attention_heads, as HF does when the key is absent
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  int max_position_embeddings = 2048;
  bool tie_word_embeddings = false;

  int head_size() const { return head_dim > 0 ? head_dim : hidden_size / num_attention_heads; }
  int kv_groups() const { return num_attention_heads / num_key_value_heads; }
  int64_t parameter_count() const;

  // Throws ConfigError naming `source` and the field when the config cannot describe a model.
  void validate(const std::string& source) const;
  // Throws std::invalid_argument naming the first id of any sequence outside [0, vocab_size).
  void check_token_ids(const std::vector<std::vector<int32_t>>& sequences) const;
};

// The values a config field may take, inclusive; validate() and the config.json reader refuse anything else
// with the value the file holds. head_dim 0 means "hidden_size / num_attention_heads".
struct ConfigRange {
  std::string_view key;
  int64_t min, max;
  std::string text() const;  // "1..1024"
};
const std::vector<ConfigRange>& config_ranges();
const ConfigRange& config_range(std::string_view key);  // throws std::logic_error for a key without a range

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Parses HF config.json text; `source` names the file in errors. Validates.
LlamaConfig config_from_json_text(const std::string& text, const std::string& source);
LlamaConfig load_config_file(const std::string& path);
nlohmann::ordered_json config_to_json(const LlamaConfig& config);

// Built-in presets: the config.json files under assets/presets/, compiled into the binary.
std::vector<std::string> preset_names();
bool is_preset(const std::string& name);
std::string preset_list();  // "openllama-3b, seed-tiny, ...", for messages
LlamaConfig preset_config(const std::string& name);

}  // namespace kvscope::core
