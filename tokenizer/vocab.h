#pragma once
// Vocabularies held in memory, and the tokenizers built from them. Hugging Face's tokenizer.json is read into a
// BpeVocab; a GGUF file's embedded vocabulary (tokenizer.ggml.*) fills an SpmVocab (model "llama") or a BpeVocab
// (model "gpt2") the same way, so its loader only has to copy arrays and pick a preset pipeline.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace kvscope::tokenizer {

// SentencePiece's piece types (GGUF's tokenizer.ggml.token_type uses the same numbers, 1-6).
enum class TokenType { normal = 1, unknown = 2, control = 3, user_defined = 4, unused = 5, byte = 6 };

// A SentencePiece vocabulary: pieces with scores, encoded as SentencePiece's BPE model encodes (repeatedly merge
// the adjacent pair whose merged piece has the highest score; unknown characters fall back to <0xXX> byte pieces
// when the vocabulary has them, else to unk). Normalization is SentencePiece's "identity" (LLaMA's): spaces
// become ▁, and ▁ is put first when add_dummy_prefix; no NFKC, runs of spaces kept.
struct SpmVocab {
  std::vector<std::string> pieces;            // by id: "▁the", "<0x0A>", "<s>"
  std::vector<float> scores;                  // by id
  std::vector<TokenType> types;               // by id
  int bos_id = -1, eos_id = -1, unk_id = -1;  // -1: found by type (unk) or by the pieces <s> and </s>
  bool add_bos = true;
  bool add_dummy_prefix = true;
};

// The steps of Hugging Face's tokenizer pipeline that LLaMA-family tokenizer.json files use.
struct Normalizer {
  enum class Kind { prepend, replace };
  Kind kind;
  std::string pattern;  // replace: the string replaced
  std::string content;  // prepend: the prefix; replace: the replacement
};

struct PreTokenizer {
  enum class Kind { split, byte_level, metaspace, digits };
  enum class Behavior { isolated, removed, merged_with_previous, merged_with_next, contiguous };
  Kind kind;
  std::string pattern{};  // split: a PCRE2 regex (UTF, UCP) or, when !is_regex, a literal string
  bool is_regex = true;
  Behavior behavior = Behavior::isolated;
  bool invert = false;
  bool add_prefix_space = false;    // byte_level: put " " first; metaspace: prepend ▁ ("always"/"first")
  bool prepend_first_only = false;  // metaspace: prepend_scheme "first" (only at the start of the text)
  bool use_regex = true;            // byte_level: split with GPT-2's pattern first
  bool split = false;               // metaspace: split before each ▁
  bool individual_digits = false;   // digits
  std::string replacement = "▁";    // metaspace
};

struct DecoderStep {
  enum class Kind { replace, byte_fallback, fuse, strip, metaspace, byte_level };
  Kind kind;
  std::string pattern{}, content{};  // replace
  int start = 0, stop = 0;           // strip: how many `content` characters to remove at each end of each token
  bool prepend = true;               // metaspace: remove the space the pre-tokenizer put first
  std::string replacement = "▁";     // metaspace
};

// A token that is split out of the text before the model runs (Hugging Face's added_tokens).
struct AddedToken {
  int id = -1;
  std::string content;
  bool special = false;  // left out by decode()
  bool lstrip = false, rstrip = false, single_word = false;
};

// A BPE vocabulary with its merges and pipeline: Hugging Face's tokenizer.json, or a GGUF "gpt2" vocabulary.
struct BpeVocab {
  std::vector<std::string> tokens;                          // by id ("" for an id only an added token uses)
  std::vector<std::pair<std::string, std::string>> merges;  // by rank: the first merge is applied first
  std::vector<AddedToken> added;
  bool byte_fallback = false;  // unknown characters become <0xXX> tokens
  bool ignore_merges = false;  // a pre-token that is itself a token is not merged from characters (Llama 3)
  bool fuse_unk = false;
  int unk_id = -1;
  std::vector<Normalizer> normalizers;
  std::vector<PreTokenizer> pre_tokenizers;
  std::vector<DecoderStep> decoders;  // empty: tokens joined with " " (Hugging Face's default)
  int bos_id = -1, eos_id = -1;
  bool add_bos = false;
  std::string kind = "hf-bpe";  // for messages: "hf-bpe" or "hf-byte-level-bpe"
};

// GPT-2's pre-tokenizer pattern, the one ByteLevel uses with use_regex.
extern const char* const kGpt2Pattern;

// The pipelines a GGUF loader needs: SentencePiece-style BPE with byte fallback (tokenizer.json of LLaMA 2,
// TinyLlama, Mistral), and byte-level BPE splitting with `pattern` (GPT-2's, Llama 3's, ...).
void use_sentencepiece_style_pipeline(BpeVocab& vocab);
void use_byte_level_pipeline(BpeVocab& vocab, const std::string& pattern = kGpt2Pattern);

// The tokenizers built from them. Throw TokenizerError, starting with `source` (a file name or "GGUF
// vocabulary"), when the vocabulary is inconsistent (a merge naming an unknown token, a bad regex, ...).
std::unique_ptr<Tokenizer> make_spm_tokenizer(SpmVocab vocab, const std::string& source);
std::unique_ptr<Tokenizer> make_bpe_tokenizer(BpeVocab vocab, const std::string& source);

}  // namespace kvscope::tokenizer
