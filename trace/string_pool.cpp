#include "trace/string_pool.h"

namespace kvscope::trace {

std::string_view StringPool::intern(std::string_view text) {
  if (auto it = strings_.find(text); it != strings_.end()) return *it;
  return *strings_.emplace(text).first;
}

}  // namespace kvscope::trace
