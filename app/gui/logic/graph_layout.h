#pragma once
// Node positions and edge routes from Graphviz's `dot` engine, computed once per graph structure.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "app/gui/logic/geometry.h"

namespace kvscope::gui {

struct LayoutNode {
  std::string key;  // unique within the graph
  Vec2 size;
  int cluster = -1;  // index into LayoutInput::clusters, -1 for none
};
struct LayoutEdge {
  int from = 0, to = 0;
  std::string label;
  bool ranks = true;  // false: drawn, but does not push its head below its tail (the folded layer loop)
};
struct LayoutCluster {
  std::string key;    // what identifies it across steps (its title may name the step)
  std::string title;  // Graphviz leaves room for it
};
struct LayoutInput {
  std::vector<LayoutNode> nodes;
  std::vector<LayoutEdge> edges;
  std::vector<LayoutCluster> clusters;

  // Everything the layout depends on: node keys and sizes, edges, cluster keys (never per-step labels).
  std::string structure_key() const;
};

struct Layout {
  std::vector<Vec2> centers;                  // per node
  std::vector<std::vector<Vec2>> edge_paths;  // per edge: cubic Bezier points p0 (c1 c2 p)*, from -> to
  std::vector<Vec2> edge_label_pos;           // per edge, meaningful when it has a label
  std::vector<Rect> cluster_boxes;            // per cluster
  Rect bounds;
};

// Throws std::runtime_error when Graphviz fails.
Layout layout_with_dot(const LayoutInput& input);

// Keeps layouts by structure so that stepping through a generation never lays out again.
class LayoutCache {
 public:
  const Layout& get(const LayoutInput& input);
  std::set<std::string> keys() const;
  // Keeps a layout computed elsewhere (ahead of time, on the model's thread) as if get had computed it.
  void put(std::string structure_key, Layout layout, double ms);
  int layouts_computed() const { return computed_; }
  double last_layout_ms() const { return last_ms_; }

 private:
  std::map<std::string, Layout> layouts_;
  int computed_ = 0;
  double last_ms_ = 0;
};

}  // namespace kvscope::gui
