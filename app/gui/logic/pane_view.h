#pragma once
// What one graph pane draws for one step: nodes with their label lines and rectangles, edge routes,
// phase frames. Built once per step from the trace events (never from the model), so frames only draw.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "app/gui/logic/geometry.h"
#include "app/gui/logic/graph_layout.h"
#include "trace/event.h"
#include "trace/graph.h"

namespace kvscope::gui {

// How wide a label is in the graph font at zoom 1 (ImGui's font in the app, an estimate in tests).
struct TextMetrics {
  std::function<float(std::string_view)> width;
  float line_height = 16;
};
TextMetrics estimated_text_metrics();  // 7 px per character, CJK characters twice as wide

struct ViewOptions {
  bool fold = true;
  int layer = 0;  // the folded view's representative layer
  trace::Labels labels = trace::Labels::En;
  bool with_prefill = false;  // a cached decode step drawn with the prefill step, seed 000's two frames
};

struct NodeView {
  int event = -1;
  std::string name, shape, dims;  // the label's three lines
  trace::Op op = trace::Op::Input;
  int layer = -1;
  bool cache = false;     // a layer's key or value history
  bool external = false;  // computed in an earlier step, feeding this one
  bool changed = false;   // new, or its shape differs from the previous step's view
  bool differs = false;   // side by side: absent on the other side, or of another shape there
  Rect rect;
};
struct EdgeView {
  int from = -1, to = -1;
  std::vector<Vec2> path;  // cubic Bezier points p0 (c1 c2 p)*
  std::string label;       // the folded layer loop: "repeat 26x"
  Vec2 label_pos;
};
struct ClusterView {
  std::string title;
  Rect box;
};

struct PaneView {
  int step = -1;  // -1: the run has no step to show yet
  std::vector<NodeView> nodes;
  std::vector<EdgeView> edges;
  std::vector<ClusterView> clusters;
  std::vector<trace::Op> ops;  // ops present, for the legend
  Rect bounds;
  std::string layout_key;  // changes only when the layout does
  int layers = 0;
};

// Throws std::invalid_argument (from the graph builder) when the step or layer is not in the run.
PaneView build_pane_view(const trace::Run& run, int step, const ViewOptions& options, LayoutCache& cache,
                         const TextMetrics& metrics);

// Flags nodes that are new or changed shape since `previous` (the view of the step before).
void mark_changes(PaneView& now, const PaneView& previous);
// Flags nodes present on one side only, or with different shapes, matching by name and layer.
void mark_differences(PaneView& a, PaneView& b);

int hit_test(const PaneView& view, Vec2 graph_point);                                          // node index or -1
int find_node(const PaneView& view, const trace::Run& run, std::string_view name, int layer);  // -1 if absent

}  // namespace kvscope::gui
