// A GGUF file's embedded vocabulary (the tokenizer.ggml.* keys llama.cpp's converters write) as a Tokenizer:
// model "llama" fills an SpmVocab, model "gpt2" a BpeVocab with the byte-level pipeline and the pre-tokenizer
// regexes llama.cpp's llama-vocab.cpp picks for tokenizer.ggml.pre. The container is read and validated by
// core::GgufFile; this file only checks what a vocabulary needs on top (array lengths, ids in range, known
// types, model and pre-tokenizer names) and says which key is wrong.
#include <algorithm>
#include <unordered_set>

#include "core/gguf.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"

namespace kvscope::tokenizer {

namespace {

// tokenizer.ggml.pre: the regexes llama.cpp's llm_tokenizer_bpe applies (in turn, each on the pieces the one
// before left, keeping what does not match: a sequence of Hugging Face Split pre-tokenizers, behavior
// Isolated), and the flags its llama_vocab::load sets for that name. Where llama.cpp rewrote a tokenizer.json
// regex for its own engine (case-insensitive contractions spelt out, \p{Lu} emulated with lookaheads), the
// original regex is used: PCRE2 runs it as Hugging Face does.
struct PrePreset {
  std::vector<std::string> names;
  std::vector<std::string> patterns;
  bool ignore_merges = false;  // a pre-token that is itself a token is not merged from characters
  bool add_bos = false;        // llama.cpp's default when tokenizer.ggml.add_bos_token is absent
};

// llama.cpp's GPT-2 regex without its trailing \s+ alternative (what that would match is kept anyway).
const char* const kGpt2NoTail = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))";
const char* const kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* const kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* const kTekkenPattern =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* const kGpt4oPattern =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

const std::vector<PrePreset>& pre_presets() {
  static const std::vector<PrePreset> presets = {
      // "default" is what llama.cpp assumes when the key is absent. llama.cpp itself then splits with a
      // sequence of four regexes of its own that no released tokenizer uses; kvscope takes GPT-2's pattern,
      // the one every pre-"pre" byte-level converter meant.
      {{"default", "gpt2", "gpt-2", "phi-2", "mpt", "olmo", "jais", "exaone4", "gigachat", "mellum", "a.x-4.0",
        "trillion", "granite-docling", "jina-es", "jina-de", "jina-v2-es", "jina-v2-de"},
       {kGpt2Pattern}},
      {{"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2"},
       {kLlama3Pattern},
       true,
       true},
      {{"dbrx", "smaug-bpe"}, {kLlama3Pattern}},
      {{"qwen2", "deepseek-r1-qwen", "kormo", "megrez", "stablelm2", "hunyuan"}, {kQwen2Pattern}},
      {{"starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b"}, {R"(\p{N})", kGpt2NoTail}},
      {{"falcon"}, {R"([\p{P}\$\+<=>\^~\|`]+)", kGpt2NoTail, "[0-9][0-9][0-9]"}},
      {{"tekken"}, {kTekkenPattern}, true, true},
      {{"gpt-4o", "llama4"}, {kGpt4oPattern}},
  };
  return presets;
}

std::string known_pre_names() {
  std::string out;
  for (const auto& p : pre_presets()) {
    for (const auto& n : p.names) out += (out.empty() ? "" : ", ") + n;
  }
  return out;
}

constexpr const char* kModel = "tokenizer.ggml.model";
constexpr const char* kPre = "tokenizer.ggml.pre";
constexpr const char* kTokens = "tokenizer.ggml.tokens";
constexpr const char* kScores = "tokenizer.ggml.scores";
constexpr const char* kTypes = "tokenizer.ggml.token_type";
constexpr const char* kMerges = "tokenizer.ggml.merges";
constexpr const char* kBos = "tokenizer.ggml.bos_token_id";
constexpr const char* kEos = "tokenizer.ggml.eos_token_id";
constexpr const char* kUnk = "tokenizer.ggml.unknown_token_id";
constexpr const char* kAddBos = "tokenizer.ggml.add_bos_token";
constexpr const char* kAddSpacePrefix = "tokenizer.ggml.add_space_prefix";

// Reads one vocabulary; every complaint is one line, "FILE: key 'KEY': what".
class VocabReader {
 public:
  VocabReader(const core::GgufFile& gguf, std::string file) : g_(gguf), file_(std::move(file)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw TokenizerError(file_ + ": key '" + key + "': " + what);
  }

  std::vector<std::string> tokens() const {
    auto tokens = g_.get_string_array(kTokens);
    if (tokens.empty()) fail(kTokens, "empty vocabulary");
    return tokens;
  }

  // An array that must have one entry per token.
  template <typename T>
  void check_length(const char* key, const std::vector<T>& values, size_t n) const {
    if (values.size() != n) {
      fail(key, std::to_string(values.size()) + " entries for the " + std::to_string(n) + " tokens of " + kTokens);
    }
  }

  std::vector<TokenType> types(size_t n) const {
    const auto raw = g_.get_i32_array(kTypes);
    check_length(kTypes, raw, n);
    std::vector<TokenType> types;
    types.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      if (raw[i] < 1 || raw[i] > 6) {
        fail(kTypes, "token " + std::to_string(i) + " has type " + std::to_string(raw[i]) +
                         " (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte)");
      }
      types.push_back(static_cast<TokenType>(raw[i]));
    }
    return types;
  }

  // A token id key: absent is -1; present, it must name a token.
  int id(const char* key, size_t n) const {
    if (!g_.has(key)) return -1;
    const uint32_t id = g_.get_u32(key);
    if (id >= n) {
      fail(key, "token id " + std::to_string(id) + " is outside the vocabulary (" + std::to_string(n) + " tokens)");
    }
    return static_cast<int>(id);
  }

  bool flag(const char* key, bool absent) const { return g_.has(key) ? g_.get_bool(key) : absent; }

  std::vector<std::pair<std::string, std::string>> merges(const std::vector<std::string>& tokens) const {
    const auto raw = g_.get_string_array(kMerges);
    const std::unordered_set<std::string> known(tokens.begin(), tokens.end());
    std::vector<std::pair<std::string, std::string>> merges;
    merges.reserve(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
      const std::string& m = raw[i];
      const std::string what = "merge " + std::to_string(i) + " \"" + m + "\"";
      // As llama.cpp splits: at the first space after the first byte.
      const size_t space = m.find(' ', 1);
      if (space == std::string::npos || space + 1 == m.size()) fail(kMerges, what + " is not \"a b\"");
      std::string a = m.substr(0, space), b = m.substr(space + 1);
      for (const std::string& t : {a, b, a + b}) {
        if (!known.contains(t)) fail(kMerges, what + ": \"" + t + "\" is not in " + kTokens);
      }
      merges.emplace_back(std::move(a), std::move(b));
    }
    return merges;
  }

  const PrePreset& pre_preset() const {
    const std::string name = g_.has(kPre) ? g_.get_string(kPre) : "default";
    for (const auto& p : pre_presets()) {
      if (std::find(p.names.begin(), p.names.end(), name) != p.names.end()) return p;
    }
    fail(kPre, "unknown pre-tokenizer \"" + name + "\" (kvscope knows " + known_pre_names() + ")");
  }

  std::unique_ptr<Tokenizer> llama() const {
    SpmVocab v;
    v.pieces = tokens();
    const size_t n = v.pieces.size();
    v.scores = g_.get_f32_array(kScores);
    check_length(kScores, v.scores, n);
    // Without types, SpmVocab tells byte pieces by their <0xXX> spelling and takes the rest as normal.
    if (g_.has(kTypes)) v.types = types(n);
    v.bos_id = id(kBos, n);
    v.eos_id = id(kEos, n);
    v.unk_id = id(kUnk, n);
    v.add_bos = flag(kAddBos, true);
    v.add_dummy_prefix = flag(kAddSpacePrefix, true);
    return make_spm_tokenizer(std::move(v), file_);
  }

  std::unique_ptr<Tokenizer> gpt2() const {
    BpeVocab v;
    v.tokens = tokens();
    const size_t n = v.tokens.size();
    v.merges = merges(v.tokens);
    const PrePreset& pre = pre_preset();
    if (g_.has(kTypes)) {
      const auto types = this->types(n);
      for (size_t i = 0; i < n; ++i) {
        // Control and user-defined tokens are split out of the text before the pipeline runs, as llama.cpp's
        // tokenizer_st_partition and Hugging Face's added_tokens do; control ones are left out by decode().
        if (types[i] == TokenType::control || types[i] == TokenType::user_defined) {
          if (v.tokens[i].empty()) fail(kTokens, "token " + std::to_string(i) + " is a special token but empty");
          AddedToken a;
          a.id = static_cast<int>(i);
          a.content = v.tokens[i];
          a.special = types[i] == TokenType::control;
          v.added.push_back(std::move(a));
        }
      }
    }
    v.bos_id = id(kBos, n);
    v.eos_id = id(kEos, n);
    v.unk_id = id(kUnk, n);
    v.add_bos = flag(kAddBos, pre.add_bos);
    use_byte_level_pipeline(v, pre.patterns.front());
    // The preset's further regexes run after the first, before the byte-level mapping.
    for (size_t i = 1; i < pre.patterns.size(); ++i) {
      PreTokenizer split{PreTokenizer::Kind::split};
      split.pattern = pre.patterns[i];
      v.pre_tokenizers.insert(v.pre_tokenizers.end() - 1, split);
    }
    v.ignore_merges = pre.ignore_merges;
    return make_bpe_tokenizer(std::move(v), file_);
  }

  std::unique_ptr<Tokenizer> load() const {
    if (!g_.has(kModel)) fail(kModel, "is missing: the file embeds no vocabulary");
    const std::string model = g_.get_string(kModel);
    if (model == "llama") return llama();
    if (model == "gpt2") return gpt2();
    fail(kModel, "tokenizer model \"" + model + "\" is not supported (kvscope reads \"llama\" and \"gpt2\")");
  }

 private:
  const core::GgufFile& g_;
  std::string file_;
};

}  // namespace

std::unique_ptr<Tokenizer> load_gguf_vocabulary(const std::filesystem::path& file) {
  try {
    const core::GgufFile gguf = core::GgufFile::open(file);
    return VocabReader(gguf, file.string()).load();
  } catch (const core::GgufError& e) {
    throw TokenizerError(e.what());
  }
}

}  // namespace kvscope::tokenizer
