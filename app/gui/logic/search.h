#pragma once
// Finding a tensor by name: the completions offered while the user types.
#include <string>
#include <string_view>
#include <vector>

namespace kvscope::gui {

struct AppState;

struct TensorMatch {
  std::string name;  // as the panes draw it
  int layer = -1;    // the folded view's layer, or -1 outside the layers
};

// Names drawn in the shown panes that contain `query` (case-insensitive), names that start with it first, then
// in graph order; each name once. At most `most`.
std::vector<TensorMatch> find_tensors(const AppState& app, std::string_view query, size_t most = 12);

}  // namespace kvscope::gui
