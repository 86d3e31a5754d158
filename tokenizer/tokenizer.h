#pragma once
// Text to token ids and back, for every tokenizer format LLaMA-family models ship: SentencePiece's
// tokenizer.model, Hugging Face's tokenizer.json (SentencePiece-style BPE with byte fallback, byte-level BPE,
// character-level BPE), llama2.c's tokenizer.bin, a GGUF file's embedded vocabulary, and (through
// tokenizer/vocab.h) a vocabulary held in memory. Plain C++: no Eigen, no ImGui.
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kvscope::tokenizer {

// A tokenizer file that cannot be read or is malformed. what() is one line naming the file and what is wrong.
class TokenizerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // The ids of `text`, with BOS first when add_bos (the model's own choice is adds_bos()). Text that is not
  // valid UTF-8 is read with U+FFFD for each bad byte, except by llama2.c's tokenizer, which works on bytes.
  virtual std::vector<int> encode(std::string_view text, bool add_bos) const = 0;
  std::vector<int> encode(std::string_view text) const { return encode(text, adds_bos()); }
  // The text of `ids` as the format's reference decoder gives it: special tokens (BOS, EOS) left out, byte
  // tokens (<0x0A>) turned into bytes, the space the encoder put before the first word removed; bytes that do
  // not form UTF-8 become U+FFFD. Throws TokenizerError for an id outside the vocabulary.
  virtual std::string decode(std::span<const int> ids) const = 0;
  // The raw piece of an id as the vocabulary stores it ("▁the", "<0x0A>", "Ġthe", "<s>"). Throws
  // TokenizerError for an id outside the vocabulary.
  virtual std::string piece(int id) const = 0;

  virtual int vocab_size() const = 0;
  virtual int bos_id() const = 0;  // -1 when the vocabulary has none
  virtual int eos_id() const = 0;
  virtual int unk_id() const = 0;
  virtual bool adds_bos() const = 0;  // whether the model's reference puts BOS first
  // A short name for messages: "sentencepiece", "hf-bpe", "hf-byte-level-bpe", "llama2.c", "spm-vocab".
  virtual std::string kind() const = 0;
  // Whether decode() leaves the id out (BOS, EOS, other control and special tokens).
  virtual bool is_special(int id) const = 0;

 protected:
  void check_id(int id) const;  // throws TokenizerError naming the id and the vocabulary size
};

// Turns generated ids into text as they come: push() returns only the new text, and only whole UTF-8
// characters (an emoji made of four byte tokens appears once, with its fourth byte). The text of all pushes
// and finish() together equals tokenizer.decode(all ids).
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}
  std::string push(int id);
  // What push() held back: the end of an incomplete character, decoded as decode() does (U+FFFD).
  std::string finish();
  const std::vector<int>& ids() const { return ids_; }

 private:
  const Tokenizer& tokenizer_;
  std::vector<int> ids_;
  std::string emitted_;
};

// Options of load_tokenizer.
struct LoadOptions {
  // llama2.c's tokenizer.bin does not store its vocabulary size: the checkpoint's header does. Without it, the
  // size is inferred by reading records to the end of the file.
  std::optional<int> vocab_size;
};

// Loads a tokenizer, recognised by content. A directory: its tokenizer.json, else its tokenizer.model, else its
// tokenizer.bin (with tokenizer_config.json beside, when present, for add_bos_token and the special tokens). A
// file: GGUF's magic is a GGUF file's vocabulary, JSON a tokenizer.json, SentencePiece's protobuf a
// tokenizer.model, llama2.c's layout a tokenizer.bin.
// Throws TokenizerError (one line naming the file) when nothing is found or the file is malformed.
std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& path, const LoadOptions& options = {});

// The tokenizer file of a model directory, in load_tokenizer's order of preference: tokenizer.json, else
// tokenizer.model, else tokenizer.bin; nullopt when it holds none.
std::optional<std::filesystem::path> find_tokenizer_file(const std::filesystem::path& dir);

// The loaders load_tokenizer picks from, for a caller that knows the format.
std::unique_ptr<Tokenizer> load_sentencepiece(const std::filesystem::path& file);
std::unique_ptr<Tokenizer> load_hf_tokenizer_json(const std::filesystem::path& file);
std::unique_ptr<Tokenizer> load_llama2c(const std::filesystem::path& file, std::optional<int> vocab_size = {});
// The vocabulary a GGUF file embeds (tokenizer.ggml.*): model "llama" (SentencePiece BPE: tokens, scores,
// token_type, add_space_prefix; kind() "spm-vocab") or "gpt2" (byte-level BPE: tokens, merges, token_type,
// the pre-tokenizer named by tokenizer.ggml.pre; kind() "hf-byte-level-bpe"). Throws TokenizerError, one line
// starting with the file name and naming the key, for a container GgufFile refuses, another model ("bert",
// "t5", ...), an unknown pre-tokenizer, a key missing or of the wrong type, arrays of different lengths, a token
// type outside 1-6 or a token id outside the vocabulary.
std::unique_ptr<Tokenizer> load_gguf_vocabulary(const std::filesystem::path& file);

}  // namespace kvscope::tokenizer
