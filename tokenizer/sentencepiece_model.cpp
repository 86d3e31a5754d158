// SentencePiece's tokenizer.model through Debian's libsentencepiece: the library encodes and decodes, so the
// model's own normalizer settings (add_dummy_prefix, remove_extra_whitespaces, NFKC rules) apply as they do in
// the reference.
#include <sentencepiece_processor.h>

#include <cctype>

#include "tokenizer/internal.h"
#include "tokenizer/tokenizer.h"

namespace kvscope::tokenizer {

namespace {

class SentencePieceTokenizer : public Tokenizer {
 public:
  SentencePieceTokenizer(const std::filesystem::path& file) {
    const std::string bytes = detail::read_file(file);
    if (bytes.empty()) throw TokenizerError(file.string() + ": empty file, not a SentencePiece model");
    // libsentencepiece throws its own exceptions for some malformed models (an empty piece: Darts'
    // "zero-length key"): they are this file's fault, so they are reported as such.
    const auto status = [&] {
      try {
        return sp_.LoadFromSerializedProto(bytes);
      } catch (const std::exception& e) {
        throw TokenizerError(file.string() + ": not a valid SentencePiece model (" + e.what() + ")");
      }
    }();
    if (!status.ok()) {
      std::string why = status.ToString();
      if (why.find("ParseFromArray") != std::string::npos)
        why = "its protobuf does not parse: truncated or not a tokenizer.model";
      while (!why.empty() && std::isspace(static_cast<unsigned char>(why.back()))) why.pop_back();
      for (char& c : why) {
        if (c == '\n') c = ' ';
      }
      throw TokenizerError(file.string() + ": not a valid SentencePiece model (" + why + ")");
    }
    if (sp_.GetPieceSize() <= 0) throw TokenizerError(file.string() + ": SentencePiece model without pieces");
    const auto config = detail::read_tokenizer_config(file.parent_path());
    bos_ = sp_.bos_id();
    eos_ = sp_.eos_id();
    unk_ = sp_.unk_id();
    // LLaMA's reference (Hugging Face's LlamaTokenizer) puts BOS first unless tokenizer_config.json says not.
    adds_bos_ = config.add_bos_token.value_or(true) && bos_ >= 0;
  }

  std::vector<int> encode(std::string_view text, bool add_bos) const override {
    std::vector<int> ids;
    const auto status = sp_.Encode(text, &ids);
    if (!status.ok()) throw TokenizerError("SentencePiece could not encode the text: " + status.ToString());
    if (add_bos && bos_ >= 0) ids.insert(ids.begin(), bos_);
    return ids;
  }

  std::string decode(std::span<const int> ids) const override {
    for (int id : ids) check_id(id);
    std::string text;
    const auto status = sp_.Decode(std::vector<int>(ids.begin(), ids.end()), &text);
    if (!status.ok()) throw TokenizerError("SentencePiece could not decode the ids: " + status.ToString());
    return text;
  }

  std::string piece(int id) const override {
    check_id(id);
    return sp_.IdToPiece(id);
  }

  int vocab_size() const override { return sp_.GetPieceSize(); }
  int bos_id() const override { return bos_; }
  int eos_id() const override { return eos_; }
  int unk_id() const override { return unk_; }
  bool adds_bos() const override { return adds_bos_; }
  std::string kind() const override { return "sentencepiece"; }
  bool is_special(int id) const override { return id >= 0 && id < vocab_size() && sp_.IsControl(id); }

 private:
  sentencepiece::SentencePieceProcessor sp_;
  int bos_ = -1, eos_ = -1, unk_ = -1;
  bool adds_bos_ = true;
};

}  // namespace

std::unique_ptr<Tokenizer> load_sentencepiece(const std::filesystem::path& file) {
  return std::make_unique<SentencePieceTokenizer>(file);
}

}  // namespace kvscope::tokenizer
