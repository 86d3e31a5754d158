#include "tokenizer/utf8.h"

#include <array>
#include <cstdio>
#include <unordered_map>

namespace kvscope::tokenizer::utf8 {

const char* const kReplacement = "\xEF\xBF\xBD";

namespace {

// How many bytes of a character starting at s[0] are valid (the lead and its continuations, as far as they go),
// and how long the character should be; {0, 0} for a byte that cannot start a character.
std::pair<size_t, size_t> valid_prefix(std::string_view s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) return {1, 1};
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return {0, 0};
  }
  size_t have = 1;
  while (have < need && have < s.size()) {
    const auto b = static_cast<unsigned char>(s[have]);
    const bool ok = have == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
    if (!ok) break;
    ++have;
  }
  return {have, need};
}

}  // namespace

size_t char_length(std::string_view s) {
  if (s.empty()) return 0;
  const auto [have, need] = valid_prefix(s);
  return have == need ? need : 0;
}

std::string replace_invalid_per_byte(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  while (!s.empty()) {
    const size_t n = char_length(s);
    if (n == 0) {
      out += kReplacement;
      s.remove_prefix(1);
    } else {
      out.append(s.substr(0, n));
      s.remove_prefix(n);
    }
  }
  return out;
}

std::string lossy(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  while (!s.empty()) {
    const auto [have, need] = valid_prefix(s);
    if (have != 0 && have == need) {
      out.append(s.substr(0, have));
      s.remove_prefix(have);
    } else {
      out += kReplacement;
      s.remove_prefix(have == 0 ? 1 : have);
    }
  }
  return out;
}

std::vector<std::string_view> chars(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    size_t n = char_length(s);
    if (n == 0) n = 1;
    out.push_back(s.substr(0, n));
    s.remove_prefix(n);
  }
  return out;
}

int byte_piece_value(std::string_view piece) {
  if (piece.size() != 6 || piece.substr(0, 3) != "<0x" || piece[5] != '>') return -1;
  int value = 0;
  for (char c : piece.substr(3, 2)) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      return -1;
    }
    value = value * 16 + digit;
  }
  return value;
}

std::string byte_piece(unsigned char byte) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "<0x%02X>", byte);
  return buf;
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  std::string out;
  size_t pos = 0;
  for (size_t hit; (hit = s.find(from, pos)) != std::string::npos; pos = hit + from.size()) {
    out.append(s, pos, hit - pos);
    out.append(to);
  }
  out.append(s, pos);
  s = std::move(out);
}

std::string encode_codepoint(unsigned cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

namespace {

struct ByteTable {
  std::array<std::string, 256> to_unicode;
  std::unordered_map<std::string, unsigned char> to_byte;
  ByteTable() {
    // GPT-2's bytes_to_unicode(): printable Latin-1 bytes map to themselves, the others to U+0100 onwards.
    int n = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      const unsigned cp = printable ? static_cast<unsigned>(b) : 256u + static_cast<unsigned>(n++);
      to_unicode[b] = encode_codepoint(cp);
      to_byte[to_unicode[b]] = static_cast<unsigned char>(b);
    }
  }
};

const ByteTable& byte_table() {
  static const ByteTable table;
  return table;
}

}  // namespace

const std::string& byte_to_unicode(unsigned char byte) { return byte_table().to_unicode[byte]; }

std::string unicode_to_bytes(std::string_view s) {
  const auto& table = byte_table().to_byte;
  std::string out;
  for (std::string_view c : chars(s)) {
    const auto it = table.find(std::string(c));
    if (it != table.end()) {
      out += static_cast<char>(it->second);
    } else {
      out.append(c);
    }
  }
  return out;
}

}  // namespace kvscope::tokenizer::utf8
