#include "core/config.h"

#include <optional>
#include <string_view>
#include <utility>

#include "trace/atomic_file.h"

namespace kvscope::core {

const std::vector<std::pair<std::string_view, std::string_view>>& embedded_presets();  // presets_embedded.cpp

namespace {

using json = nlohmann::json;

template <typename T>
void read_key(const json& j, const char* key, T& out, const std::string& source, bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) throw ConfigError(source + ": missing field '" + std::string(key) + "'");
    return;
  }
  const bool ok = std::is_same_v<T, bool> ? it->is_boolean()
                  : std::is_integral_v<T> ? it->is_number_integer()
                                          : it->is_number();
  if (!ok) throw ConfigError(source + ": field '" + std::string(key) + "' has the wrong type: " + it->dump());
  out = it->get<T>();
}

}  // namespace

void LlamaConfig::check_token_ids(const std::vector<std::vector<int32_t>>& sequences) const {
  for (const auto& sequence : sequences)
    for (int32_t id : sequence)
      if (id < 0 || id >= vocab_size)
        throw std::invalid_argument("token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                                    std::to_string(vocab_size) + ") of " + name);
}

int64_t LlamaConfig::parameter_count() const {
  const int64_t h = hidden_size, hd = head_size(), i = intermediate_size, v = vocab_size;
  const int64_t per_layer = 2 * h + h * num_attention_heads * hd * 2 + h * num_key_value_heads * hd * 2 + 3 * h * i;
  return v * h * (tie_word_embeddings ? 1 : 2) + num_hidden_layers * per_layer + h;
}

void LlamaConfig::validate(const std::string& source) const {
  auto positive = [&](const char* key, long long value) {
    if (value <= 0) throw ConfigError(source + ": field '" + key + "' must be positive, got " + std::to_string(value));
  };
  positive("vocab_size", vocab_size);
  positive("hidden_size", hidden_size);
  positive("intermediate_size", intermediate_size);
  positive("num_hidden_layers", num_hidden_layers);
  positive("num_attention_heads", num_attention_heads);
  positive("num_key_value_heads", num_key_value_heads);
  positive("max_position_embeddings", max_position_embeddings);
  if (head_dim < 0) throw ConfigError(source + ": field 'head_dim' must be positive, got " + std::to_string(head_dim));
  if (head_dim == 0 && hidden_size % num_attention_heads != 0)
    throw ConfigError(source + ": hidden_size " + std::to_string(hidden_size) +
                      " is not divisible by num_attention_heads " + std::to_string(num_attention_heads) +
                      " (set head_dim to choose the head size)");
  if (num_attention_heads % num_key_value_heads != 0)
    throw ConfigError(source + ": num_attention_heads " + std::to_string(num_attention_heads) +
                      " is not divisible by num_key_value_heads " + std::to_string(num_key_value_heads));
  if (head_size() % 2 != 0)
    throw ConfigError(source + ": the head size " + std::to_string(head_size()) +
                      " must be even for rotary embeddings");
  if (!(rms_norm_eps > 0)) throw ConfigError(source + ": field 'rms_norm_eps' must be positive");
  if (!(rope_theta > 0)) throw ConfigError(source + ": field 'rope_theta' must be positive");
}

LlamaConfig config_from_json_text(const std::string& text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw ConfigError(source + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw ConfigError(source + ": expected a JSON object");
  if (auto it = j.find("model_type"); it != j.end() && it->is_string() && *it != "llama")
    throw ConfigError(source + ": field 'model_type' is '" + it->get<std::string>() + "', only 'llama' is supported");
  LlamaConfig c;
  c.name = source;
  read_key(j, "vocab_size", c.vocab_size, source, true);
  read_key(j, "hidden_size", c.hidden_size, source, true);
  read_key(j, "intermediate_size", c.intermediate_size, source, true);
  read_key(j, "num_hidden_layers", c.num_hidden_layers, source, true);
  read_key(j, "num_attention_heads", c.num_attention_heads, source, true);
  // HF: without num_key_value_heads every head has its own keys and values.
  c.num_key_value_heads = c.num_attention_heads;
  read_key(j, "num_key_value_heads", c.num_key_value_heads, source, false);
  read_key(j, "head_dim", c.head_dim, source, false);
  read_key(j, "rms_norm_eps", c.rms_norm_eps, source, false);
  read_key(j, "rope_theta", c.rope_theta, source, false);
  read_key(j, "max_position_embeddings", c.max_position_embeddings, source, false);
  read_key(j, "tie_word_embeddings", c.tie_word_embeddings, source, false);
  if (auto it = j.find("rope_scaling"); it != j.end() && !it->is_null())
    throw ConfigError(source + ": field 'rope_scaling' is set; scaled rotary embeddings are not supported");
  c.validate(source);
  return c;
}

LlamaConfig load_config_file(const std::string& path) {
  const std::optional<std::string> text = trace::read_file(path);
  if (!text) throw ConfigError(path + ": cannot open");
  return config_from_json_text(*text, path);
}

nlohmann::ordered_json config_to_json(const LlamaConfig& c) {
  nlohmann::ordered_json j{{"architectures", {"LlamaForCausalLM"}},
                           {"model_type", "llama"},
                           {"vocab_size", c.vocab_size},
                           {"hidden_size", c.hidden_size},
                           {"intermediate_size", c.intermediate_size},
                           {"num_hidden_layers", c.num_hidden_layers},
                           {"num_attention_heads", c.num_attention_heads},
                           {"num_key_value_heads", c.num_key_value_heads}};
  if (c.head_dim > 0) j["head_dim"] = c.head_dim;
  j["rms_norm_eps"] = c.rms_norm_eps;
  j["rope_theta"] = c.rope_theta;
  j["max_position_embeddings"] = c.max_position_embeddings;
  j["tie_word_embeddings"] = c.tie_word_embeddings;
  return j;
}

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  for (const auto& [name, text] : embedded_presets()) names.emplace_back(name);
  return names;
}

std::string preset_list() {
  std::string list;
  for (const auto& [name, text] : embedded_presets()) list += (list.empty() ? "" : ", ") + std::string(name);
  return list;
}

bool is_preset(const std::string& name) {
  for (const auto& [preset, text] : embedded_presets())
    if (preset == name) return true;
  return false;
}

LlamaConfig preset_config(const std::string& name) {
  for (const auto& [preset, text] : embedded_presets()) {
    if (preset != name) continue;
    LlamaConfig c = config_from_json_text(std::string(text), "assets/presets/" + name + "/config.json");
    c.name = name;
    return c;
  }
  throw ConfigError("unknown preset '" + name + "' (presets: " + preset_list() + ")");
}

}  // namespace kvscope::core
