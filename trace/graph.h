#pragma once
// The dependency graph of a run's tensors, as the exporters and the GUI draw it: a pure function of the
// run's events and of what the user chose to see (which steps, one representative layer or all of them).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trace/event.h"

namespace kvscope::trace {

enum class Labels { En, Zh };
std::optional<Labels> labels_from_name(std::string_view name);

struct GraphOptions {
  bool fold = true;        // one representative layer stands for all of them
  int layer = 0;           // the representative layer when folded
  std::vector<int> steps;  // steps to include; empty = default_steps(run)
};

struct GraphNode {
  int event = -1;         // index in run.events of the node's (representative) event
  std::string id;         // unique, Mermaid- and DOT-safe; the tensor name wherever that is safe
  bool external = false;  // from a step outside the selection, feeding a selected tensor
  bool cache = false;     // holds a layer's key or value history in a cached run
  int cluster = -1;       // index into Graph::clusters, -1 outside every cluster
};

struct GraphEdge {
  int from = -1, to = -1;  // indexes into Graph::nodes
  int repeat = 0;          // > 0: the folded layer loop, drawn once for this many layers
};

struct GraphCluster {
  std::string id;  // unique among cluster and node ids
  std::string title_en, title_zh;
  int step = 0;
  Phase phase = Phase::Prefill;
};

struct Graph {
  std::vector<GraphNode> nodes;  // in the order their tensors were first computed
  std::vector<GraphEdge> edges;  // deduplicated, in the order of the events that consume them
  std::vector<GraphCluster> clusters;
  std::vector<int> steps;  // the selection actually drawn, ascending
  bool folded = true;
  int layer = 0;   // the representative layer of a folded graph
  int layers = 0;  // decoder layers seen in the selection
};

// The steps drawn when the user names none. A cached run: the prefill step and the first decode step,
// the two subgraphs of seed 000 (a run with only a prefill step draws just that). An uncached run: its
// first step, the full pass that produces the first generated token, so a cached and an uncached default
// graph show the same token.
std::vector<int> default_steps(const Run& run);

// The step of `to` that produced the same generated token as step `step` of `from`; a step that produced
// none (the prefill of the all-but-last scheme) is matched to the step of the first generated token.
// -1 when `to` has no such step.
int matching_step(const Run& from, int step, const Run& to);

// Throws std::invalid_argument naming the step or layer that the run does not have.
Graph build_graph(const Run& run, const GraphOptions& options);

// Label pieces shared by the exporters and the GUI: the axis labels in one label set.
std::string dims_text(const Event& e, Labels labels);
// The lines of a node's label: its name, shape and axis labels; for input_string, its name and the text
// between “ and ”, on one line (visible_text), cut to 40 characters with "…".
std::vector<std::string> node_lines(const Event& e, Labels labels);
// An export's node label: node_lines plus a last line naming the op ("op: linear"), except for the prompt's
// text, whose op says nothing. The GUI sizes its nodes from node_lines and shows the op elsewhere.
std::vector<std::string> export_node_lines(const Event& e, Labels labels);
std::string edge_label(const GraphEdge& edge, Labels labels);  // empty unless the edge is the layer loop
const std::string& cluster_title(const GraphCluster& cluster, Labels labels);

}  // namespace kvscope::trace
