#pragma once
// Shared set-up for the GUI logic tests: the app's state on seed 004's prompt, or on kjv-char's text as the app
// opens.
#include <catch2/catch.hpp>

#include "app/gui/logic/app_state.h"

namespace kvscope::gui::testing {

inline app::RunSpec seed_tiny_spec(int tokens = 8) {
  app::RunSpec spec;
  spec.model = "seed-tiny";
  spec.prompts = {app::kSeed004Prompt};
  spec.new_tokens = tokens;
  return spec;
}

// The app as it opens: the shipped kjv-char model reading its default text prompt, "And God said".
inline app::RunSpec kjv_spec(int tokens = 8) {
  app::RunSpec spec;
  spec.new_tokens = tokens;
  return spec;
}

inline AppState make_app(app::RunSpec spec = seed_tiny_spec()) {
  return AppState(std::move(spec), estimated_text_metrics());
}

inline void run(AppState& app, const std::string& script) {
  for (const auto& c : parse_script(script)) run_command(app, c);
  refresh(app);
}

// Runs `script`, which selects a tensor with values, and returns the inspector's heatmap of it.
inline const Heatmap& selected_heatmap(AppState& app, const std::string& script) {
  run(app, script);
  REQUIRE(app.inspector);
  REQUIRE(app.inspector->heatmap);
  return *app.inspector->heatmap;
}

inline const NodeView* node(const AppState& app, Side side, const std::string& name, int layer = 0) {
  const PaneView& p = pane(app, side);
  const int i = find_node(p, run_of(app, side), name, layer);
  return i < 0 ? nullptr : &p.nodes[static_cast<size_t>(i)];
}

inline std::vector<int64_t> shape_of(const AppState& app, Side side, const std::string& name, int layer = 0) {
  const NodeView* n = node(app, side, name, layer);
  if (!n) return {};
  return run_of(app, side).events.at(n->event).shape;
}

}  // namespace kvscope::gui::testing
