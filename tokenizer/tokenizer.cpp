#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/gguf.h"
#include "tokenizer/internal.h"
#include "tokenizer/utf8.h"

namespace kvscope::tokenizer {

void Tokenizer::check_id(int id) const {
  if (id < 0 || id >= vocab_size()) {
    throw TokenizerError("token id " + std::to_string(id) + " is outside the " + kind() + " vocabulary (0.." +
                         std::to_string(vocab_size() - 1) + ")");
  }
}

namespace {

bool ends_with_replacement(std::string_view s) {
  const std::string_view r = utf8::kReplacement;
  return s.size() >= r.size() && s.substr(s.size() - r.size()) == r;
}

}  // namespace

std::string StreamDecoder::push(int id) {
  ids_.push_back(id);
  std::string text = tokenizer_.decode(ids_);
  // decode() turns the bytes of a character not yet complete into U+FFFD at the end: hold those back until
  // the character completes (or finish() is called). Every decoder kvscope has only changes the end of its
  // text when ids are appended, so what was emitted stays a prefix.
  if (text.compare(0, emitted_.size(), emitted_) != 0) return "";
  while (ends_with_replacement(text) && text.size() > emitted_.size()) text.resize(text.size() - 3);
  std::string fresh = text.substr(emitted_.size());
  emitted_ = std::move(text);
  return fresh;
}

std::string StreamDecoder::finish() {
  std::string text = tokenizer_.decode(ids_);
  if (text.compare(0, emitted_.size(), emitted_) != 0) return "";
  std::string fresh = text.substr(emitted_.size());
  emitted_ = std::move(text);
  return fresh;
}

namespace detail {

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw TokenizerError(file.string() + ": cannot be read");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw TokenizerError(file.string() + ": cannot be read");
  return buffer.str();
}

TokenizerConfig read_tokenizer_config(const std::filesystem::path& dir) {
  TokenizerConfig config;
  const auto file = dir / "tokenizer_config.json";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) return config;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(file));
  } catch (const nlohmann::json::exception& e) {
    throw TokenizerError(file.string() + ": not valid JSON (" + e.what() + ")");
  }
  if (!j.is_object()) throw TokenizerError(file.string() + ": not a JSON object");
  if (j.contains("add_bos_token") && j["add_bos_token"].is_boolean())
    config.add_bos_token = j["add_bos_token"].get<bool>();
  auto token = [&](const char* key) -> std::optional<std::string> {
    if (!j.contains(key)) return std::nullopt;
    const auto& v = j[key];
    if (v.is_string()) return v.get<std::string>();
    if (v.is_object() && v.contains("content") && v["content"].is_string()) return v["content"].get<std::string>();
    if (v.is_null()) return std::nullopt;
    throw TokenizerError(file.string() + ": \"" + key + "\" is neither a string nor {\"content\": ...}");
  };
  config.bos_token = token("bos_token");
  config.eos_token = token("eos_token");
  config.unk_token = token("unk_token");
  return config;
}

}  // namespace detail

namespace {

enum class Format { json, sentencepiece, llama2c, unknown };

// llama2.c's layout: int32 max_token_length, then (float score, int32 len, len bytes) records to the end of the
// file, no record longer than max_token_length, the longest exactly that long.
bool looks_like_llama2c(const std::string& bytes) {
  if (bytes.size() < 4) return false;
  auto read_i32 = [&](size_t at) {
    int32_t v;
    std::memcpy(&v, bytes.data() + at, 4);
    return v;
  };
  const int32_t max_len = read_i32(0);
  if (max_len <= 0 || max_len > 1 << 16) return false;
  size_t at = 4;
  int32_t longest = 0;
  int records = 0;
  while (at < bytes.size()) {
    if (bytes.size() - at < 8) return false;
    const int32_t len = read_i32(at + 4);
    if (len < 0 || len > max_len || bytes.size() - at - 8 < static_cast<size_t>(len)) return false;
    longest = std::max(longest, len);
    at += 8 + static_cast<size_t>(len);
    ++records;
  }
  return records > 0 && longest == max_len;
}

Format sniff(const std::filesystem::path& file, const std::string& bytes) {
  const size_t first = bytes.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && bytes[first] == '{') return Format::json;
  const std::string ext = file.extension().string();
  if (ext == ".json") return Format::json;
  if (ext == ".bin") return Format::llama2c;
  if (ext == ".model") return Format::sentencepiece;
  if (looks_like_llama2c(bytes)) return Format::llama2c;
  // A SentencePiece ModelProto starts with field 1 (pieces), length-delimited: tag byte 0x0A.
  if (bytes[0] == '\x0A') return Format::sentencepiece;
  return Format::unknown;
}

}  // namespace

std::optional<std::filesystem::path> find_tokenizer_file(const std::filesystem::path& dir) {
  std::error_code ec;
  for (const char* name : {"tokenizer.json", "tokenizer.model", "tokenizer.bin"})
    if (std::filesystem::is_regular_file(dir / name, ec)) return dir / name;
  return std::nullopt;
}

std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& path, const LoadOptions& options) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    if (const auto file = find_tokenizer_file(path)) return load_tokenizer(*file, options);
    throw TokenizerError(path.string() + ": no tokenizer.json, tokenizer.model or tokenizer.bin in this directory");
  }
  if (!std::filesystem::exists(path, ec)) throw TokenizerError(path.string() + ": no such file or directory");
  // Before reading the file whole: a GGUF file is usually a model of gigabytes, and GgufFile maps it.
  if (core::looks_like_gguf(path)) return load_gguf_vocabulary(path);
  const std::string bytes = detail::read_file(path);
  if (bytes.empty()) throw TokenizerError(path.string() + ": empty file, not a tokenizer");
  switch (sniff(path, bytes)) {
    case Format::json: return load_hf_tokenizer_json(path);
    case Format::sentencepiece: return load_sentencepiece(path);
    case Format::llama2c: return load_llama2c(path, options.vocab_size);
    case Format::unknown: break;
  }
  throw TokenizerError(path.string() +
                       ": not a tokenizer (neither tokenizer.json, SentencePiece's tokenizer.model, llama2.c's "
                       "tokenizer.bin nor a GGUF file)");
}

}  // namespace kvscope::tokenizer
