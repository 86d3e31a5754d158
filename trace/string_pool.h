#pragma once
// Owns the text of events that did not come from the naming table (read from a file, or built by hand), so an
// event can hold its name and labels as string_views and recording one allocates nothing.
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

namespace kvscope::trace {

class StringPool {
 public:
  // A view of the pool's copy of `text`, valid as long as the pool; the same text is stored once.
  std::string_view intern(std::string_view text);

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_set<std::string, Hash, std::equal_to<>> strings_;
};

}  // namespace kvscope::trace
