#pragma once
// llama2.c checkpoints (karpathy/llama2.c): the `.bin` files its export.py writes and run.c / runq.c read.
//
//  - legacy (version 0): 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len; a
//    negative vocab_size means the classifier is not shared with the embeddings), then float32 tensors:
//    token embeddings, every layer's attention norm, wq, wk, wv, wo, ffn norm, w1, w2, w3 (each kind for all
//    layers in turn), the final norm, two unused RoPE tables of seq_len * head_size / 2 floats, the classifier
//    when unshared.
//  - version 1: magic "ak42" (uint32 0x616b3432), int32 version, the 7 int32, a uint8 shared-classifier flag,
//    zeros up to byte 256; then float32: attention norms, ffn norms, final norm, embeddings, wq, wk, wv, wo,
//    w1, w2, w3, classifier when unshared.
//  - version 2: as version 1 with an int32 group size after the flag; the norms in float32, then each other
//    tensor as int8 values followed by one float32 scale per group of group-size values (value = q * scale).
//
// llama2.c rotates (q[2i], q[2i+1]) pairs (Meta's interleaved layout) where kvscope, as HF, rotates
// (q[i], q[i + head_size/2]); the Q and K rows are put back in HF order on load, as HF's converter does.
#include <cstdint>
#include <string>

#include "core/config.h"
#include "core/model_weights.h"
#include "core/safetensors.h"  // WeightsError
#include "core/weights.h"

namespace kvscope::core {

// The "ak42" magic of versioned files, as the little-endian uint32 of their first four bytes.
inline constexpr uint32_t kLlama2cMagic = 0x616b3432;
// The legacy header: 7 int32. Versioned headers are padded to 256 bytes.
inline constexpr int64_t kLlama2cLegacyHeaderBytes = 28;
inline constexpr int64_t kLlama2cHeaderBytes = 256;

// What a checkpoint's header says, validated against the file's length.
struct Llama2cHeader {
  int version = 0;     // 0: legacy, 1: float32, 2: int8 groups
  int group_size = 0;  // version 2 only; 0 otherwise
  bool shared_classifier = true;
  // hidden_size = dim, intermediate_size = hidden_dim, vocab_size always positive, rms_norm_eps 1e-5 and
  // rope_theta 10000 (what run.c assumes), max_position_embeddings = seq_len, tie_word_embeddings = the
  // shared classifier, name = the file name without its extension.
  LlamaConfig config;
  int64_t file_bytes = 0;  // the file's length, which the header's sizes account for exactly
};

struct Llama2cCheckpoint {
  Llama2cHeader header;
  LlamaConfig config;    // header.config
  LlamaWeights weights;  // float32, HF layout ([out, in] row-major), Q and K rows in rotate_half order
};

// True when `path` is a regular file that is a llama2.c checkpoint by content: the "ak42" magic of versioned
// files, or a legacy header that validates and whose sizes account for the file's length exactly. Never throws.
bool looks_like_llama2c(const std::string& path);

// Reads and validates the header only (for shapes without weights). Throws WeightsError, one line naming the file
// and the header field, when the file cannot be read, a field is out of range, or the sizes do not add up to the
// file's length (computed in 64 bits with overflow checks before any tensor is touched).
Llama2cHeader read_llama2c_header(const std::string& path);

// The header and every weight, version 2's int8 groups dequantized. Throws as read_llama2c_header.
Llama2cCheckpoint read_llama2c(const std::string& path);

// The weights a model computes with: a float32 checkpoint (legacy, version 1) mapped where it lies, no copy (Q and K
// read through a row order); version 2's int8 groups dequantized to float32. Throws as read_llama2c_header.
ModelWeights map_llama2c_weights(const std::string& path);

// Rows of a [heads * head_size, in] Q or K projection from the interleaved rotary order (llama2.c, Meta, GGUF) to
// rotate_half's: within each head, row t * head_size/2 + i of the result is row 2 * i + t of `interleaved`
// (t in {0, 1}), i.e. the even rows then the odd ones. Throws std::invalid_argument when the rows are not
// `heads` heads of an even size.
Matrix rotary_rows_from_interleaved(const Matrix& interleaved, int heads);

}  // namespace kvscope::core
