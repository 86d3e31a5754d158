#include "core/gguf_model.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <stdexcept>
#include <utility>

#include "core/memory_budget.h"
#include "core/quant.h"

namespace kvscope::core {

namespace {

// GGUF's name for each part of a decoder layer, by HF's.
constexpr std::pair<const char*, const char*> kLayerParts[] = {
    {"input_layernorm", "attn_norm"}, {"self_attn.q_proj", "attn_q"},      {"self_attn.k_proj", "attn_k"},
    {"self_attn.v_proj", "attn_v"},   {"self_attn.o_proj", "attn_output"}, {"post_attention_layernorm", "ffn_norm"},
    {"mlp.gate_proj", "ffn_gate"},    {"mlp.up_proj", "ffn_up"},           {"mlp.down_proj", "ffn_down"},
};

[[noreturn]] void fail(const GgufFile& file, const std::string& what) { throw GgufError(file.path() + ": " + what); }

// A float32 as the decimal it was written from: 1e-5f is 9.99999974738e-06 as a double, and HF's config says
// 1e-05. The shortest decimal that reads back as the same float is what the converter was given.
double shortest_decimal(float f) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f);
  if (ec != std::errc()) return f;
  return std::strtod(std::string(buf, end).c_str(), nullptr);
}

int int_key(const GgufFile& file, const std::string& key) {
  const uint32_t v = file.get_u32(key);
  if (v > static_cast<uint32_t>(std::numeric_limits<int>::max()))
    fail(file, "key '" + key + "': " + std::to_string(v) + " is too large");
  return static_cast<int>(v);
}

std::string dims_text(const std::vector<int64_t>& dims) {
  std::string s = "{";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "}";
}

}  // namespace

std::string gguf_tensor_name(const std::string& hf_name) {
  if (hf_name == "model.embed_tokens.weight") return "token_embd.weight";
  if (hf_name == "model.norm.weight") return "output_norm.weight";
  if (hf_name == "lm_head.weight") return "output.weight";
  const std::string prefix = "model.layers.";
  if (hf_name.rfind(prefix, 0) == 0) {
    const size_t dot = hf_name.find('.', prefix.size());
    const std::string layer = hf_name.substr(prefix.size(), dot - prefix.size());
    if (dot != std::string::npos && !layer.empty() && layer.find_first_not_of("0123456789") == std::string::npos)
      for (const auto& [hf, gguf] : kLayerParts)
        if (hf_name.substr(dot + 1) == std::string(hf) + ".weight") return "blk." + layer + "." + gguf + ".weight";
  }
  throw std::invalid_argument("'" + hf_name + "' is not a LLaMA parameter");
}

LlamaConfig gguf_llama_config(const GgufFile& file) {
  const std::string arch = file.get_string("general.architecture");
  if (arch != "llama")
    fail(file, "general.architecture is '" + arch + "'; kvscope computes LLaMA models (architecture 'llama')");
  LlamaConfig c;
  c.name = std::filesystem::path(file.path()).stem().string();
  c.hidden_size = int_key(file, "llama.embedding_length");
  c.num_hidden_layers = int_key(file, "llama.block_count");
  c.intermediate_size = int_key(file, "llama.feed_forward_length");
  c.num_attention_heads = int_key(file, "llama.attention.head_count");
  c.num_key_value_heads = file.has("llama.attention.head_count_kv") ? int_key(file, "llama.attention.head_count_kv")
                                                                    : c.num_attention_heads;
  c.rms_norm_eps = shortest_decimal(file.get_f32("llama.attention.layer_norm_rms_epsilon"));
  c.rope_theta = file.has("llama.rope.freq_base") ? shortest_decimal(file.get_f32("llama.rope.freq_base")) : 10000.0;
  c.max_position_embeddings = int_key(file, "llama.context_length");
  if (file.has("llama.attention.key_length")) {
    c.head_dim = int_key(file, "llama.attention.key_length");
    if (file.has("llama.attention.value_length") && int_key(file, "llama.attention.value_length") != c.head_dim)
      fail(file, "llama.attention.value_length differs from llama.attention.key_length; kvscope needs one head size");
  }
  if (file.has("llama.rope.scaling.type")) {
    const std::string scaling = file.get_string("llama.rope.scaling.type");
    if (scaling != "none")
      fail(file, "llama.rope.scaling.type is '" + scaling + "'; kvscope computes unscaled rotary embeddings only");
  }
  if (file.has("tokenizer.ggml.tokens"))
    c.vocab_size = static_cast<int>(
        std::min<size_t>(file.get_string_array("tokenizer.ggml.tokens").size(), std::numeric_limits<int>::max()));
  else if (file.has("llama.vocab_size")) c.vocab_size = int_key(file, "llama.vocab_size");
  else if (const GgufTensorInfo* embd = file.find("token_embd.weight"); embd && embd->dims.size() == 2)
    c.vocab_size = static_cast<int>(std::min<int64_t>(embd->dims[1], std::numeric_limits<int>::max()));
  else fail(file, "no vocabulary size: neither tokenizer.ggml.tokens, llama.vocab_size nor a 2-D token_embd.weight");
  c.tie_word_embeddings = file.find("output.weight") == nullptr;
  c.validate(file.path());
  if (file.has("llama.rope.dimension_count") && int_key(file, "llama.rope.dimension_count") != c.head_size())
    fail(file, "llama.rope.dimension_count is " + std::to_string(file.get_u32("llama.rope.dimension_count")) +
                   " but the head size is " + std::to_string(c.head_size()) +
                   "; kvscope rotates whole heads (no partial rotary embeddings)");
  return c;
}

std::vector<GgufWeight> gguf_weights(const GgufFile& file, const LlamaConfig& config) {
  std::vector<GgufWeight> out;
  for (const ParameterShape& p : parameter_shapes(config)) {
    const std::string name = gguf_tensor_name(p.name);
    const GgufTensorInfo* t = file.find(name);
    if (!t) fail(file, "tensor '" + name + "' is missing (" + p.name + ")");
    const std::vector<int64_t> expected(p.shape.rbegin(), p.shape.rend());
    if (t->dims != expected)
      fail(file, "tensor '" + name + "': dims " + dims_text(t->dims) + ", the config needs " + dims_text(expected) +
                     " (innermost first)");
    if (!block_layout(t->type))
      fail(file, "tensor '" + name + "': type " + std::string(ggml_type_name(t->type)) +
                     " cannot be read by kvscope (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K)");
    out.push_back({p.name, name, t->type});
  }
  return out;
}

namespace {

// as_stored: map_gguf_weights; otherwise every matrix is dequantized to float32 (load_gguf_weights).
ModelWeights gguf_model_weights(std::shared_ptr<const GgufFile> file, const LlamaConfig& config, bool as_stored) {
  const std::vector<GgufWeight> stored = gguf_weights(*file, config);
  std::map<std::string, const GgufWeight*, std::less<>> by_name;
  int64_t converted = 0;  // bytes of the Q8_0 copies of the matrices that cannot stay as stored
  for (const GgufWeight& w : stored) {
    by_name[w.hf_name] = &w;
    const GgufTensorInfo& t = *file->find(w.gguf_name);
    if (as_stored && !WeightMatrix::kept_as_stored(w.type) && t.dims.size() == 2)
      converted = checked_sum(converted, tensor_bytes(static_cast<uint32_t>(GgmlType::Q8_0), t.elements),
                              "the weights");
  }
  check_fits(converted, file->path() + ": the Q8_0 copies of its other quantized weights",
             "use --meta for shapes only");
  auto tensor = [&](const std::string& hf_name) -> const GgufTensorInfo& {
    return *file->find(by_name.at(hf_name)->gguf_name);
  };
  auto matrix = [&](const std::string& hf_name) {
    const GgufTensorInfo& t = tensor(hf_name);
    const int64_t rows = t.dims[1], cols = t.dims[0];
    WeightMatrix m;
    if (!as_stored) {
      Matrix f32(rows, cols);
      dequantize(t.type, file->data(t).data(), t.elements, f32.data());
      m = WeightMatrix(std::move(f32));
    } else if (WeightMatrix::kept_as_stored(t.type)) {
      m = WeightMatrix(static_cast<GgmlType>(t.type), rows, cols, file->data(t).data(), file);
    } else {
      m = WeightMatrix::requantized_q8_0(t.type, rows, cols, file->data(t).data());
    }
    if (!as_stored || !WeightMatrix::kept_as_stored(t.type)) file->release(t);  // the copy is what is used
    if (hf_name.ends_with(".self_attn.q_proj.weight"))
      m.reorder_rows(rotary_order_from_interleaved(rows, config.num_attention_heads));
    else if (hf_name.ends_with(".self_attn.k_proj.weight"))
      m.reorder_rows(rotary_order_from_interleaved(rows, config.num_key_value_heads));
    return m;
  };
  auto vector = [&](const std::string& hf_name) {
    const GgufTensorInfo& t = tensor(hf_name);
    Vector v(t.elements);
    dequantize(t.type, file->data(t).data(), t.elements, v.data());
    return v;
  };
  return assemble_weights(config, matrix, vector);
}

}  // namespace

ModelWeights map_gguf_weights(std::shared_ptr<const GgufFile> file, const LlamaConfig& config) {
  return gguf_model_weights(std::move(file), config, true);
}

LlamaWeights load_gguf_weights(const GgufFile& file, const LlamaConfig& config) {
  // Every matrix is a float32 copy, made before the call returns: the file need not outlive it.
  const std::shared_ptr<const GgufFile> borrowed(&file, [](const GgufFile*) {});
  return gguf_model_weights(borrowed, config, false).dequantized();
}

}  // namespace kvscope::core
