#pragma once
// llama2.c checkpoints and tokenizers written as karpathy/llama2.c writes them, for the tests that read them back:
// export.py's legacy_export (version 0), version1_export (float32) and version2_export (int8 groups), and
// tokenizer.py's export (tokenizer.bin). The layouts are core/llama2c.h's.
#include <string>
#include <vector>

#include "core/config.h"
#include "core/weights.h"

namespace kvscope::test {

// export.py's permute_reverse (HF's rotate_half order -> llama2.c's interleaved order), written as the tensor ops
// it is: w.view(heads, 2, head/2, in).transpose(1, 2).reshape(heads * head, in). Element [h][t][i] of the view is
// HF row h*head + t*half + i; after the transpose it sits at [h][i][t], i.e. row h*head + 2*i + t.
core::Matrix to_interleaved(const core::Matrix& hf, int heads);

// The weights as llama2.c holds them: HF's, with Q and K rows interleaved.
core::LlamaWeights llama2c_layout(const core::LlamaConfig& c, core::LlamaWeights w);

// The bytes of a checkpoint of `file_layout` (weights already in llama2.c's layout, llama2c_layout) and c's shapes.
// legacy_export: header with the sign of vocab_size as the shared flag, embeddings, each kind of layer tensor for
// all layers, final norm, the freqs_cos / freqs_sin tables, the classifier when unshared.
std::string llama2c_legacy_file(const core::LlamaConfig& c, const core::LlamaWeights& file_layout);
// version1_export: the 256-byte "ak42" header, the norms, then every other tensor, float32.
std::string llama2c_version1_file(const core::LlamaConfig& c, const core::LlamaWeights& file_layout);
// version2_export: as version 1 with int8 groups of `group` values (export.py's quantize_q80: per group,
// scale = max|w| / 127 in float32, q = round(w / scale) ties to even) followed by the float32 scales. Quantizes
// `file_layout` in place to what a reader must get back, q * scale. Throws std::invalid_argument when a tensor is
// not whole groups or a group is all zeros.
std::string llama2c_version2_file(const core::LlamaConfig& c, core::LlamaWeights& file_layout, int group);

// tokenizer.py's export: int32 max_token_length, then per piece float32 score, int32 length, the bytes. The pieces
// are given as SentencePiece spells them; as the exporter does, "▁" becomes " " and <s> / </s> become
// "\n<s>\n" / "\n</s>\n".
std::string llama2c_tokenizer_file(const std::vector<std::string>& pieces, const std::vector<float>& scores);

}  // namespace kvscope::test
