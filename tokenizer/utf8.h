#pragma once
// UTF-8 helpers the tokenizers share.
#include <string>
#include <string_view>
#include <vector>

namespace kvscope::tokenizer::utf8 {

// The length of the valid UTF-8 character at the start of `s`, or 0 when it does not start with one.
size_t char_length(std::string_view s);
// `s` with each byte that is not part of a valid character replaced by U+FFFD (SentencePiece's rule).
std::string replace_invalid_per_byte(std::string_view s);
// Rust's String::from_utf8_lossy (Hugging Face): each maximal invalid subsequence becomes one U+FFFD.
std::string lossy(std::string_view s);
// The characters of a valid UTF-8 string.
std::vector<std::string_view> chars(std::string_view s);
// "<0x0A>" -> 10; -1 when `piece` is not a byte piece.
int byte_piece_value(std::string_view piece);
std::string byte_piece(unsigned char byte);  // 10 -> "<0x0A>"
void replace_all(std::string& s, std::string_view from, std::string_view to);
std::string encode_codepoint(unsigned cp);

// GPT-2's byte <-> unicode table: every byte maps to one printable character (" " -> "Ġ", "\n" -> "Ċ").
const std::string& byte_to_unicode(unsigned char byte);
// The bytes of a string of those characters; characters outside the table are kept as they are.
std::string unicode_to_bytes(std::string_view s);

extern const char* const kReplacement;  // U+FFFD

}  // namespace kvscope::tokenizer::utf8
