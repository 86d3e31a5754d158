#pragma once
// A Mermaid export as the tests read it (tests/support/mermaid_reader takes neither of these): without the
// word joiners that keep CJK words whole, and without the invisible `~~~` links that only place the parts and
// the legend.
#include <sstream>
#include <string>

namespace kvscope::test {

inline std::string plain_mermaid(const std::string& text) {
  std::string out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" ~~~ ") != std::string::npos) continue;
    for (size_t at; (at = line.find("\u2060")) != std::string::npos;) line.erase(at, 3);
    out += line + "\n";
  }
  return out;
}

}  // namespace kvscope::test
