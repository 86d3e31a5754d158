#pragma once
// Lists as text, the one way every printer and exporter writes shapes, ids and labels.
#include <string>
#include <string_view>
#include <vector>

namespace kvscope::trace {

std::string join(const std::vector<std::string>& items, std::string_view sep);

// "4, 2, 64" with sep ", "; "32x1x100" with sep "x".
template <typename Int>
std::string join_numbers(const std::vector<Int>& values, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += sep;
    out += std::to_string(values[i]);
  }
  return out;
}

}  // namespace kvscope::trace
