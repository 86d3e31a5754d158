#pragma once
// Line checks on the text of an export.
#include <string>

// Whether `text` holds `line` as a whole line (between two newlines).
inline bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}
