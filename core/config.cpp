#include "core/config.h"

#include <cmath>
#include <optional>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "trace/atomic_file.h"

namespace kvscope::core {

const std::vector<std::pair<std::string_view, std::string_view>>& embedded_presets();  // presets_embedded.cpp

namespace {

using json = nlohmann::json;

// Reads a key of any JSON type the field takes. Integers are read in 64 bits and checked against the field's
// documented range before they are narrowed, so 2^32 + 100 is refused, never run as 100.
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
  if (!ok) {
    const char* want = std::is_same_v<T, bool> ? "true or false"
                       : std::is_integral_v<T> ? "a whole number"
                                               : "a number";
    throw ConfigError(source + ": field '" + std::string(key) + "' must be " + want + ", got " + it->dump());
  }
  if constexpr (std::is_same_v<T, int>) {
    const ConfigRange& r = config_range(key);
    if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(r.max))
      throw ConfigError(source + ": field '" + key + "' is " + it->dump() + ", outside " + r.text());
    const int64_t v = it->get<int64_t>();
    if (v < r.min || v > r.max)
      throw ConfigError(source + ": field '" + key + "' is " + it->dump() + ", outside " + r.text());
    out = static_cast<int>(v);
  } else {
    out = it->get<T>();
    if constexpr (std::is_floating_point_v<T>)
      if (!std::isfinite(out))
        throw ConfigError(source + ": field '" + key + "' is not a finite number: " + it->dump());
  }
}

// Keys HF's LlamaConfig reads that change the computation kvscope does not do: refused, never ignored.
void refuse_unsupported(const json& j, const std::string& source) {
  if (auto it = j.find("hidden_act"); it != j.end() && !it->is_null() && *it != "silu")
    throw ConfigError(source + ": field 'hidden_act' is " + it->dump() + "; kvscope computes SwiGLU with silu only");
  for (const char* key : {"attention_bias", "mlp_bias"})
    if (auto it = j.find(key); it != j.end() && !it->is_null() && *it != false)
      throw ConfigError(source + ": field '" + key + "' is " + it->dump() +
                        "; kvscope computes projections without bias");
  if (auto it = j.find("rope_scaling"); it != j.end() && !it->is_null())
    throw ConfigError(source + ": field 'rope_scaling' is set; scaled rotary embeddings are not supported");
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

const std::vector<ConfigRange>& config_ranges() {
  // Beyond what any published LLaMA-family model uses (Llama 3.1 405B: hidden 16384, intermediate 53248, 126
  // layers, 128 heads, vocabulary 128256, 131072 positions), and small enough that every size kvscope computes
  // from them fits 64 bits with room to spare.
  static const std::vector<ConfigRange> ranges{
      {"vocab_size", 1, 1 << 21},
      {"hidden_size", 1, 1 << 16},
      {"intermediate_size", 1, 1 << 18},
      {"num_hidden_layers", 1, 1024},
      {"num_attention_heads", 1, 1024},
      {"num_key_value_heads", 1, 1024},
      {"head_dim", 0, 4096},
      {"max_position_embeddings", 1, 1 << 21},
  };
  return ranges;
}

const ConfigRange& config_range(std::string_view key) {
  for (const ConfigRange& r : config_ranges())
    if (r.key == key) return r;
  throw std::logic_error("config_range: no range for " + std::string(key));
}

std::string ConfigRange::text() const { return std::to_string(min) + ".." + std::to_string(max); }

void LlamaConfig::validate(const std::string& source) const {
  const std::pair<const char*, int> fields[] = {
      {"vocab_size", vocab_size},
      {"hidden_size", hidden_size},
      {"intermediate_size", intermediate_size},
      {"num_hidden_layers", num_hidden_layers},
      {"num_attention_heads", num_attention_heads},
      {"num_key_value_heads", num_key_value_heads},
      {"head_dim", head_dim},
      {"max_position_embeddings", max_position_embeddings},
  };
  for (const auto& [key, value] : fields) {
    const ConfigRange& r = config_range(key);
    if (value < r.min || value > r.max)
      throw ConfigError(source + ": field '" + key + "' is " + std::to_string(value) + ", outside " + r.text());
  }
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
  if (!(rms_norm_eps > 0 && rms_norm_eps < 1))
    throw ConfigError(source + ": field 'rms_norm_eps' is " + json(rms_norm_eps).dump() + ", outside (0, 1)");
  if (!(rope_theta > 0 && std::isfinite(rope_theta)))
    throw ConfigError(source + ": field 'rope_theta' must be a positive finite number, got " + json(rope_theta).dump());
}

LlamaConfig config_from_json_text(const std::string& text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {  // a syntax error, or a number such as 1e400 that overflows a double
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
  refuse_unsupported(j, source);
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
