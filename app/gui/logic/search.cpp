#include "app/gui/logic/search.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "app/gui/logic/app_state.h"

namespace kvscope::gui {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

std::vector<TensorMatch> find_tensors(const AppState& app, std::string_view query, size_t most) {
  const std::string q = lower(query);
  std::vector<TensorMatch> prefix, inside;
  std::set<std::string> seen;
  if (q.empty()) return {};
  for (Side s : shown_sides(app))
    for (const NodeView& n : pane(app, s).nodes) {
      const std::string name = lower(n.name);
      const size_t at = name.find(q);
      if (at == std::string::npos || !seen.insert(n.name).second) continue;
      (at == 0 ? prefix : inside).push_back({n.name, n.layer});
    }
  prefix.insert(prefix.end(), inside.begin(), inside.end());
  if (prefix.size() > most) prefix.resize(most);
  return prefix;
}

}  // namespace kvscope::gui
