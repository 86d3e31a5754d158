#pragma once
// Writes a LLaMA model as a GGUF file the way llama.cpp's convert_hf_to_gguf.py (LlamaModel) and llama-quantize
// write one, for the tests that load it back and compare with the float32 model it came from:
//
//  - metadata: general.architecture "llama", general.name, general.file_type (llama.cpp's LlamaFileType),
//    llama.context_length, llama.embedding_length, llama.block_count, llama.feed_forward_length,
//    llama.attention.head_count(_kv), llama.rope.freq_base, llama.attention.layer_norm_rms_epsilon,
//    llama.vocab_size, llama.rope.dimension_count (and llama.attention.key_length / value_length when the config
//    sets head_dim), then the vocabulary's tokenizer.ggml.* entries when given;
//  - tensors named by core::gguf_tensor_name, dims innermost first ({cols, rows}), no `output` when tied;
//  - the rows of every Q and K projection permuted to the interleaved rotary layout, as the converter's
//    LlamaModel.permute does: w.reshape(n_head, 2, rows / n_head / 2, cols).swapaxes(1, 2).reshape(w.shape),
//    with n_head the kv heads for K;
//  - the 1-D norms in F32 whatever the type choice (llama.cpp keeps them F32), every matrix in the type chosen
//    for its HF name, quantized with test::quantize.
//
// The metadata and tensors are built first (gguf_model_parts) so a test can break one key or tensor before
// writing; write_gguf_model builds and writes in one go.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/config.h"
#include "core/gguf.h"
#include "core/weights.h"
#include "tests/support/gguf_writer.h"

namespace kvscope::test {

// The ggml type a matrix is stored in, by its HF name ("model.layers.0.mlp.down_proj.weight").
using GgufTypeChoice = std::function<uint32_t(const std::string& hf_name)>;

// Every matrix in `type`.
GgufTypeChoice all_matrices(uint32_t type);
// A Q4_K_M-like mix as llama-quantize's llama_tensor_get_type makes it: Q4_K, with Q6_K for the output head
// (the embeddings when tied) and for attn_v and ffn_down in the layers its use_more_bits picks (the first and
// last eighth, and every third layer between). The mix's file type is 15 (MOSTLY_Q4_K_M).
GgufTypeChoice q4_k_m_like(const core::LlamaConfig& config);

// Metadata entries in the order written.
using GgufEntries = std::vector<std::pair<std::string, core::GgufValue>>;

struct GgufModelOptions {
  GgufTypeChoice types = all_matrices(0);
  bool permute_qk = true;             // false writes Q and K in HF's row order (a wrong converter)
  std::optional<uint32_t> file_type;  // general.file_type; by default from the type of the first matrix
  GgufEntries vocabulary;             // tokenizer.ggml.* entries, written after the llama.* ones
  uint32_t version = 3;
};

// What a writer produces before it writes: every entry and tensor, each editable by name.
struct GgufModelParts {
  GgufEntries metadata;
  std::vector<GgufTensorToWrite> tensors;
  uint32_t version = 3;

  // Replaces the value of `key`, or appends it when absent.
  GgufModelParts& set(const std::string& key, core::GgufValue value);
  GgufModelParts& erase(const std::string& key);
  // The tensor of that GGUF name; throws std::out_of_range when there is none.
  GgufTensorToWrite& tensor(const std::string& gguf_name);
  GgufModelParts& erase_tensor(const std::string& gguf_name);

  void write(const std::filesystem::path& path) const;
};

// The file's entries and tensors. Throws std::invalid_argument when a matrix's rows are not whole blocks of its
// type (ggml quantizes row by row) or the weights do not have the config's shapes.
GgufModelParts gguf_model_parts(const core::LlamaConfig& config, const core::LlamaWeights& weights,
                                const GgufModelOptions& options = {});

void write_gguf_model(const std::filesystem::path& path, const core::LlamaConfig& config,
                      const core::LlamaWeights& weights, const GgufModelOptions& options = {});

// The weights a reader must get back from such a file, in HF's layout: every matrix quantized to its type and
// dequantized again (row by row, so in HF's row order as in the file's), the norms as they are. Whole rows
// move under the Q/K permutation and every block lies within a row, so this is exactly what the file holds.
core::LlamaWeights dequantized_weights(const core::LlamaConfig& config, const core::LlamaWeights& weights,
                                       const GgufTypeChoice& types);

// llama.cpp's LlamaFileType for a file whose matrices are all `type`: 0 F32, 1 F16, 2 Q4_0, 3 Q4_1, 7 Q8_0,
// 8 Q5_0, 9 Q5_1, 14 Q4_K_S, 16 Q5_K_S, 18 Q6_K, 32 BF16. Throws std::invalid_argument for another type.
uint32_t llama_file_type(uint32_t type);

// A character-level Hugging Face tokenizer.json (a BPE model without merges, as assets/models/kjv-char has)
// as a SentencePiece vocabulary (tokenizer.ggml.model "llama"), as a converter would write it: the pieces by
// id with " " spelled "▁", scores falling with the id, <unk> typed unknown, the other added tokens control, the
// rest normal; BOS, EOS, unknown and padding ids from the added tokens <s>, </s>, <unk> and <pad>; add_bos_token
// true and add_space_prefix false (the HF tokenizer adds no prefix space). Throws std::invalid_argument when
// the file has merges or pieces longer than one character.
GgufEntries llama_vocabulary_from_char_level_json(const std::string& tokenizer_json_text);

}  // namespace kvscope::test
