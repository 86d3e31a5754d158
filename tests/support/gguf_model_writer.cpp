#include "tests/support/gguf_model_writer.h"

#include <algorithm>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "core/gguf_model.h"
#include "core/quant.h"
#include "tests/support/quantize.h"

namespace kvscope::test {

namespace {

using core::GgmlType;
using core::GgufValue;

constexpr uint32_t code(GgmlType t) { return static_cast<uint32_t>(t); }

GgufValue u32(uint32_t v) { return GgufValue(v); }
GgufValue f32(double v) { return GgufValue(static_cast<float>(v)); }
GgufValue str(std::string s) { return GgufValue(std::move(s)); }

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The converter's LlamaModel.permute on a [heads * head, cols] matrix: the view [heads, 2, head/2, cols] with
// axes 1 and 2 swapped, so element [h][t][i] (row h*head + t*half + i) lands at [h][i][t] (row h*head + 2i + t).
core::Matrix permute(const core::Matrix& w, int heads) {
  const Eigen::Index head = w.rows() / heads, half = head / 2;
  if (head * heads != w.rows() || half * 2 != head)
    throw std::invalid_argument("permute: " + std::to_string(w.rows()) + " rows are not " + std::to_string(heads) +
                                " heads of an even size");
  core::Matrix out(w.rows(), w.cols());
  for (Eigen::Index h = 0; h < heads; ++h)
    for (Eigen::Index t = 0; t < 2; ++t)
      for (Eigen::Index i = 0; i < half; ++i) out.row(h * head + 2 * i + t) = w.row(h * head + t * half + i);
  return out;
}

// named_tensors only hands out pointers; nothing here writes through them.
std::vector<core::NamedTensor> tensors_of(const core::LlamaConfig& config, const core::LlamaWeights& weights) {
  std::vector<core::NamedTensor> tensors = core::named_tensors(const_cast<core::LlamaWeights&>(weights));
  const std::vector<core::ParameterShape> shapes = core::parameter_shapes(config);
  if (tensors.size() != shapes.size())
    throw std::invalid_argument("weights have " + std::to_string(tensors.size()) + " tensors, the config " +
                                std::to_string(shapes.size()));
  for (size_t i = 0; i < shapes.size(); ++i)
    if (tensors[i].name != shapes[i].name || tensors[i].shape != shapes[i].shape)
      throw std::invalid_argument("weights' " + tensors[i].name + " does not have the config's shape");
  return tensors;
}

int64_t elements(const core::NamedTensor& t) {
  int64_t n = 1;
  for (int64_t d : t.shape) n *= d;
  return n;
}

// The type of a tensor: F32 for the norms, the choice for the matrices, checked to fill whole blocks per row.
uint32_t type_of(const core::NamedTensor& t, const GgufTypeChoice& types) {
  if (t.shape.size() == 1) return code(GgmlType::F32);
  const uint32_t type = types(t.name);
  const auto layout = core::block_layout(type);
  if (!layout) throw std::invalid_argument(t.name + ": the test writer cannot quantize type " + std::to_string(type));
  if (t.shape.back() % layout->elements != 0)
    throw std::invalid_argument(t.name + ": rows of " + std::to_string(t.shape.back()) + " are not whole blocks of " +
                                std::string(core::ggml_type_name(type)));
  return type;
}

std::string bytes_of(uint32_t type, const float* data, int64_t n) {
  const std::vector<uint8_t> q = quantize(type, std::vector<float>(data, data + n));
  return std::string(q.begin(), q.end());
}

}  // namespace

GgufTypeChoice all_matrices(uint32_t type) {
  return [type](const std::string&) { return type; };
}

GgufTypeChoice q4_k_m_like(const core::LlamaConfig& config) {
  const int layers = config.num_hidden_layers;
  const bool tied = config.tie_word_embeddings;
  // llama.cpp's use_more_bits(i_layer, n_layers).
  auto more_bits = [layers](int i) { return i < layers / 8 || i >= 7 * layers / 8 || (i - layers / 8) % 3 == 2; };
  return [=](const std::string& name) {
    const uint32_t q4 = code(GgmlType::Q4_K), q6 = code(GgmlType::Q6_K);
    if (name == "lm_head.weight" || (tied && name == "model.embed_tokens.weight")) return q6;
    const std::string prefix = "model.layers.";
    if (name.rfind(prefix, 0) == 0 &&
        (ends_with(name, ".self_attn.v_proj.weight") || ends_with(name, ".mlp.down_proj.weight")))
      return more_bits(std::stoi(name.substr(prefix.size()))) ? q6 : q4;
    return q4;
  };
}

uint32_t llama_file_type(uint32_t type) {
  switch (static_cast<GgmlType>(type)) {
    case GgmlType::F32: return 0;
    case GgmlType::F16: return 1;
    case GgmlType::Q4_0: return 2;
    case GgmlType::Q4_1: return 3;
    case GgmlType::Q8_0: return 7;
    case GgmlType::Q5_0: return 8;
    case GgmlType::Q5_1: return 9;
    case GgmlType::Q4_K: return 14;  // MOSTLY_Q4_K_S
    case GgmlType::Q5_K: return 16;  // MOSTLY_Q5_K_S
    case GgmlType::Q6_K: return 18;
    case GgmlType::BF16: return 32;
    default: throw std::invalid_argument("no llama.cpp file type for ggml type " + std::to_string(type));
  }
}

GgufModelParts& GgufModelParts::set(const std::string& key, core::GgufValue value) {
  for (auto& [k, v] : metadata) {
    if (k == key) {
      v = std::move(value);
      return *this;
    }
  }
  metadata.emplace_back(key, std::move(value));
  return *this;
}

GgufModelParts& GgufModelParts::erase(const std::string& key) {
  std::erase_if(metadata, [&](const auto& e) { return e.first == key; });
  return *this;
}

GgufTensorToWrite& GgufModelParts::tensor(const std::string& gguf_name) {
  for (GgufTensorToWrite& t : tensors)
    if (t.name == gguf_name) return t;
  throw std::out_of_range("no tensor '" + gguf_name + "'");
}

GgufModelParts& GgufModelParts::erase_tensor(const std::string& gguf_name) {
  std::erase_if(tensors, [&](const GgufTensorToWrite& t) { return t.name == gguf_name; });
  return *this;
}

void GgufModelParts::write(const std::filesystem::path& path) const {
  GgufWriter w;
  w.version = version;
  for (const auto& [k, v] : metadata) w.add(k, v);
  for (const GgufTensorToWrite& t : tensors) w.add_tensor(t);
  w.write(path);
}

GgufModelParts gguf_model_parts(const core::LlamaConfig& c, const core::LlamaWeights& weights,
                                const GgufModelOptions& options) {
  const std::vector<core::NamedTensor> tensors = tensors_of(c, weights);
  std::vector<uint32_t> types;
  for (const core::NamedTensor& t : tensors) types.push_back(type_of(t, options.types));

  GgufModelParts parts;
  parts.version = options.version;
  uint32_t first_matrix_type = code(GgmlType::F32);
  for (size_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].shape.size() == 2) {
      first_matrix_type = types[i];
      break;
    }
  const uint32_t file_type = options.file_type ? *options.file_type : llama_file_type(first_matrix_type);
  // In the order LlamaModel.set_gguf_parameters adds them.
  parts.set("general.architecture", str("llama"))
      .set("general.name", str(c.name))
      .set("llama.block_count", u32(static_cast<uint32_t>(c.num_hidden_layers)))
      .set("llama.context_length", u32(static_cast<uint32_t>(c.max_position_embeddings)))
      .set("llama.embedding_length", u32(static_cast<uint32_t>(c.hidden_size)))
      .set("llama.feed_forward_length", u32(static_cast<uint32_t>(c.intermediate_size)))
      .set("llama.attention.head_count", u32(static_cast<uint32_t>(c.num_attention_heads)))
      .set("llama.attention.head_count_kv", u32(static_cast<uint32_t>(c.num_key_value_heads)))
      .set("llama.rope.freq_base", f32(c.rope_theta))
      .set("llama.attention.layer_norm_rms_epsilon", f32(c.rms_norm_eps));
  if (c.head_dim > 0) {
    parts.set("llama.attention.key_length", u32(static_cast<uint32_t>(c.head_dim)))
        .set("llama.attention.value_length", u32(static_cast<uint32_t>(c.head_dim)));
  }
  parts.set("general.file_type", u32(file_type))
      .set("llama.vocab_size", u32(static_cast<uint32_t>(c.vocab_size)))
      .set("llama.rope.dimension_count", u32(static_cast<uint32_t>(c.head_size())));
  for (const auto& [k, v] : options.vocabulary) parts.set(k, v);
  if (std::any_of(types.begin(), types.end(), [](uint32_t t) { return core::block_layout(t)->elements > 1; }))
    parts.set("general.quantization_version", u32(2));

  for (size_t i = 0; i < tensors.size(); ++i) {
    const core::NamedTensor& t = tensors[i];
    const float* data = t.data;
    core::Matrix permuted;
    if (options.permute_qk && ends_with(t.name, ".self_attn.q_proj.weight")) {
      permuted = permute(Eigen::Map<const core::Matrix>(t.data, t.shape[0], t.shape[1]), c.num_attention_heads);
      data = permuted.data();
    } else if (options.permute_qk && ends_with(t.name, ".self_attn.k_proj.weight")) {
      permuted = permute(Eigen::Map<const core::Matrix>(t.data, t.shape[0], t.shape[1]), c.num_key_value_heads);
      data = permuted.data();
    }
    GgufTensorToWrite out;
    out.name = core::gguf_tensor_name(t.name);
    out.dims.assign(t.shape.rbegin(), t.shape.rend());  // innermost first
    out.type = types[i];
    out.data = bytes_of(types[i], data, elements(t));
    parts.tensors.push_back(std::move(out));
  }
  return parts;
}

void write_gguf_model(const std::filesystem::path& path, const core::LlamaConfig& config,
                      const core::LlamaWeights& weights, const GgufModelOptions& options) {
  gguf_model_parts(config, weights, options).write(path);
}

core::LlamaWeights dequantized_weights(const core::LlamaConfig& config, const core::LlamaWeights& weights,
                                       const GgufTypeChoice& types) {
  core::LlamaWeights out = weights;
  tensors_of(config, weights);  // the shapes checked
  for (core::NamedTensor& t : core::named_tensors(out)) {
    const uint32_t type = type_of(t, types);
    if (type == code(GgmlType::F32)) continue;
    const int64_t n = elements(t);
    const std::vector<uint8_t> bytes = quantize(type, std::vector<float>(t.data, t.data + n));
    core::dequantize(type, bytes.data(), n, t.data);
  }
  return out;
}

GgufEntries llama_vocabulary_from_char_level_json(const std::string& tokenizer_json_text) {
  const auto j = nlohmann::json::parse(tokenizer_json_text);
  const auto& model = j.at("model");
  if (model.contains("merges") && !model.at("merges").empty())
    throw std::invalid_argument("tokenizer.json has merges: not a character-level vocabulary");
  const auto& vocab = model.at("vocab");
  std::vector<std::string> pieces(vocab.size());
  for (const auto& [piece, id] : vocab.items()) pieces.at(id.get<size_t>()) = piece;
  std::vector<int32_t> types(pieces.size(), 1);  // normal
  std::optional<uint32_t> bos, eos, unk, pad;
  for (const auto& a : j.at("added_tokens")) {
    const auto id = a.at("id").get<uint32_t>();
    const std::string content = a.at("content");
    types.at(id) = content == "<unk>" ? 2 : 3;  // unknown, control
    if (content == "<s>") bos = id;
    if (content == "</s>") eos = id;
    if (content == "<unk>") unk = id;
    if (content == "<pad>") pad = id;
  }
  std::vector<float> scores;
  for (size_t id = 0; id < pieces.size(); ++id) {
    std::string& p = pieces[id];
    if (types[id] == 1) {
      // One UTF-8 character: a lead byte and its continuation bytes.
      const auto continuation = std::count_if(p.begin(), p.end(), [](char ch) { return (ch & 0xC0) == 0x80; });
      if (p.empty() || static_cast<size_t>(continuation) + 1 != p.size())
        throw std::invalid_argument("tokenizer.json piece " + std::to_string(id) + " is not one character");
      if (p == " ") p = "\xE2\x96\x81";  // ▁
    }
    scores.push_back(-static_cast<float>(id));
  }
  if (!bos || !eos || !unk) throw std::invalid_argument("tokenizer.json lacks <s>, </s> or <unk>");
  GgufEntries e;
  e.emplace_back("tokenizer.ggml.model", str("llama"));
  e.emplace_back("tokenizer.ggml.tokens", GgufValue(core::GgufArray{pieces}));
  e.emplace_back("tokenizer.ggml.scores", GgufValue(core::GgufArray{scores}));
  e.emplace_back("tokenizer.ggml.token_type", GgufValue(core::GgufArray{types}));
  e.emplace_back("tokenizer.ggml.bos_token_id", u32(*bos));
  e.emplace_back("tokenizer.ggml.eos_token_id", u32(*eos));
  e.emplace_back("tokenizer.ggml.unknown_token_id", u32(*unk));
  if (pad) e.emplace_back("tokenizer.ggml.padding_token_id", u32(*pad));
  e.emplace_back("tokenizer.ggml.add_bos_token", GgufValue(true));
  e.emplace_back("tokenizer.ggml.add_space_prefix", GgufValue(false));
  return e;
}

}  // namespace kvscope::test
