#pragma once
// A LLaMA model stored in a GGUF file (architecture `llama`, as llama.cpp's convert_hf_to_gguf.py writes it):
// the config from the `llama.*` metadata, the weights from the `token_embd`, `blk.N.*`, `output_norm` and
// `output` tensors, put in HF's layout: F32, F16, BF16, Q8_0, Q4_K and Q6_K matrices are used from the file's
// mapping as they are stored, the other block types are requantized to Q8_0 when the model loads.
//
// llama.cpp's converter permutes the rows of every Q and K projection for the interleaved rotary layout
// (rotating pairs (2i, 2i+1)); kvscope's forward, like HF's, rotates (i, i + head_size/2), so those rows are
// read in HF's order. A GGUF file and the safetensors it was converted from then give the same logits.
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/gguf.h"
#include "core/model_weights.h"
#include "core/weights.h"

namespace kvscope::core {

// The config the file's metadata describes, validated as a config.json is: hidden_size from
// llama.embedding_length, num_hidden_layers from llama.block_count, intermediate_size from
// llama.feed_forward_length, the heads from llama.attention.head_count(_kv), rms_norm_eps from
// llama.attention.layer_norm_rms_epsilon, rope_theta from llama.rope.freq_base (10000 when absent),
// max_position_embeddings from llama.context_length, the head size from llama.attention.key_length (else
// hidden / heads) and checked against llama.rope.dimension_count, vocab_size from the length of
// tokenizer.ggml.tokens (else llama.vocab_size, else token_embd's rows), tied when there is no `output`
// tensor. name: the file name without its extension.
// Throws GgufError naming the file and key: another architecture (named), a key missing or mistyped, a
// partial rotary dimension or a rope scaling kvscope does not compute; ConfigError when validation fails.
LlamaConfig gguf_llama_config(const GgufFile& file);

// One weight as the file stores it: the GGUF tensor holding an HF parameter, and its type.
struct GgufWeight {
  std::string hf_name;    // "model.layers.0.self_attn.q_proj.weight"
  std::string gguf_name;  // "blk.0.attn_q.weight"
  uint32_t type = 0;      // ggml type code
};

// Every weight of `config`, in HF checkpoint order (lm_head left out when tied). Checks that each tensor is
// present, has the shape the config gives (dims innermost first: a [rows, cols] projection is {cols, rows})
// and a type kvscope can dequantize. Throws GgufError naming the file and tensor. Reads no tensor bytes.
std::vector<GgufWeight> gguf_weights(const GgufFile& file, const LlamaConfig& config);

// The weights for a LlamaModel: F32, F16, BF16, Q8_0, Q4_K and Q6_K matrices stay in `file`'s mapping (which they keep
// alive); the other block types are requantized to Q8_0 after checking that the copies fit in memory; Q and K
// rows are read in rotate_half order. Throws as gguf_weights does, std::length_error when the copies would not
// fit.
ModelWeights map_gguf_weights(std::shared_ptr<const GgufFile> file, const LlamaConfig& config);

// Every weight dequantized to float32, Q and K in rotate_half order. Throws as gguf_weights does.
LlamaWeights load_gguf_weights(const GgufFile& file, const LlamaConfig& config);

// GGUF tensor names of the HF parameter names, for writers (tests, converters): "model.norm.weight" ->
// "output_norm.weight". Throws std::invalid_argument for a name that is not a LLaMA parameter.
std::string gguf_tensor_name(const std::string& hf_name);

}  // namespace kvscope::core
