#pragma once
// What hovering explains: a node's tensor (name, op, shape with its axes, the op's formula, what changed, what
// differs on the other side) and an edge's flow. Read from the pane view and the trace.
#include <string>

#include "app/gui/logic/pane_view.h"
#include "trace/event.h"

namespace kvscope::gui {

std::string node_tooltip(const trace::Run& run, const NodeView& node, trace::Labels labels, const char* other_side);
std::string edge_tooltip(const trace::Run& run, const PaneView& view, const EdgeView& edge);

// A pane's heading names the generated token its step predicts, the same words on both sides:
// "cached: predicts token 3 "n" · step 3 (decode), 30 tensors".
std::string pane_heading(const trace::Run& run, const PaneView& view, bool meta, const char* side, bool folded);

}  // namespace kvscope::gui
