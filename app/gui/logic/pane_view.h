#pragma once
// What one graph pane draws for one step: nodes with their label lines and rectangles, edge routes,
// phase frames. Built once per step from the trace events (never from the model), so frames only draw.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "app/gui/logic/geometry.h"
#include "app/gui/logic/graph_layout.h"
#include "trace/compare.h"
#include "trace/event.h"
#include "trace/graph.h"

namespace kvscope::gui {

// How wide a label is in the graph font at zoom 1 (ImGui's font in the app, an estimate in tests).
struct TextMetrics {
  std::function<float(std::string_view)> width;
  float line_height = 16;
  float font_px = 14;  // the graph font's size at zoom 1: a label's on-screen size is font_px x zoom
};
// The smallest on-screen label size a learner can read; the views a user lands on never go below it.
inline constexpr float kReadableLabelPixels = 11;
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
  std::string key;                // the tensor's key, the same in every phase (trace/tensor_names.h)
  trace::Op op = trace::Op::Input;
  int layer = -1;
  bool cache = false;               // a layer's key or value history
  bool external = false;            // computed in an earlier step, feeding this one
  bool changed = false;             // new, or its shape differs from the previous step's view
  std::string change;               // the change in words: "[4, 6, 64] → [4, 7, 64]", "new this step"
  bool differs = false;             // side by side: the same tensor has another shape on the other side
  std::string difference;           // in words: "all tokens 1 vs 7" (this side's size first)
  std::vector<int> differing_axes;  // the axes whose sizes differ, drawn in red in the shape line
  Rect rect;
};
struct EdgeView {
  int from = -1, to = -1;
  std::vector<Vec2> path;  // cubic Bezier points p0 (c1 c2 p)*
  std::string label;       // the folded layer loop: "repeat 26x"
  Vec2 label_pos;
  bool loop = false;       // the folded layer loop's back edge
  std::string cache_role;  // what an edge into or out of the KV cache does: "append row 7", "read rows 0–7"
};
struct ClusterView {
  std::string title;
  Rect box;
};

struct PaneView {
  int step = -1;            // -1: the run has no step to show yet
  std::string heading;      // the pane's title line (app_state's refresh sets it)
  trace::ModeWork work;     // what the step did: tokens in, multiply-accumulates, KV cache bytes (when step >= 0)
  std::string change_note;  // why no node is marked as changed, when the previous step was another phase
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

// What build_pane_view lays out for the view (its LayoutCache key is the input's structure_key): for laying it
// out ahead of time.
LayoutInput pane_layout_input(const trace::Run& run, int step, const ViewOptions& options, const TextMetrics& metrics);

// Flags nodes that are new or changed shape since `previous` (the view of the step before), with the change in
// words. A step of another phase than the one before (the first decode step after the prefill) is a different
// graph: no node is flagged and `change_note` says why.
void mark_changes(PaneView& now, const PaneView& previous, const trace::Run& run);
// Flags tensors whose shapes differ between the two sides (matched by key and layer), with the difference in
// words; a tensor on one side only is not flagged.
void mark_differences(PaneView& a, const trace::Run& run_a, PaneView& b, const trace::Run& run_b);

int hit_test(const PaneView& view, Vec2 graph_point);                                          // node index or -1
int find_node(const PaneView& view, const trace::Run& run, std::string_view name, int layer);  // -1 if absent
// The node of tensor `key` in `layer` (-1: any), computed in the shown step unless only an external one exists.
int find_node_by_key(const PaneView& view, std::string_view key, int layer, bool external);

}  // namespace kvscope::gui
