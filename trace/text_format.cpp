#include "trace/text_format.h"

#include <algorithm>
#include <cstdio>

namespace kvscope::trace {

char32_t next_code_point(std::string_view utf8, size_t& i) {
  const auto lead = static_cast<unsigned char>(utf8[i]);
  if (lead < 0x80) {
    ++i;
    return lead;
  }
  const size_t len = lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
  char32_t cp = lead & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
  const size_t end = std::min(i + len, utf8.size());
  for (++i; i < end; ++i) cp = (cp << 6) | (static_cast<unsigned char>(utf8[i]) & 0x3F);
  return cp;
}

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

namespace {

std::string control_char(char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "<0x%02X>", static_cast<unsigned char>(c));
  return buf;
}

// Newline, tab and other control characters made visible; `space` stands for a space.
std::string visible(std::string_view text, std::string_view space) {
  std::string out;
  for (char c : text) {
    if (c == ' ') {
      out += space;
    } else if (c == '\n') {
      out += "\u21b5";
    } else if (c == '\t') {
      out += "\u2192";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      out += control_char(c);
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string visible_piece(std::string_view piece) { return visible(piece, "\u2423"); }

std::string visible_text(std::string_view text) { return visible(text, " "); }

}  // namespace kvscope::trace
