#pragma once
// What the loaders share; not part of the module's interface.
#include <filesystem>
#include <optional>
#include <string>

namespace kvscope::tokenizer::detail {

// The whole file; throws TokenizerError naming it when it cannot be read.
std::string read_file(const std::filesystem::path& file);

// tokenizer_config.json beside a tokenizer file (Hugging Face's), the fields kvscope uses.
struct TokenizerConfig {
  std::optional<bool> add_bos_token;
  std::optional<std::string> bos_token, eos_token, unk_token;  // a string, or {"content": ...}
};
// Reads DIR/tokenizer_config.json when it exists; throws TokenizerError naming it when it is malformed.
TokenizerConfig read_tokenizer_config(const std::filesystem::path& dir);

}  // namespace kvscope::tokenizer::detail
