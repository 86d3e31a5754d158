#pragma once
// A graph export, the same for the CLI's --format mermaid|dot and the app's Export panel and script: each
// decides which steps to draw, this draws them.
#include <span>
#include <string>
#include <vector>

#include "trace/event.h"
#include "trace/graph.h"

namespace kvscope::app {

struct DrawnRun {
  const trace::Run* run = nullptr;
  std::vector<int> steps;  // empty: trace::default_steps
};

struct GraphStyle {
  bool fold = true;
  int layer = 0;  // the representative layer of a folded graph
  trace::Labels labels = trace::Labels::En;
  bool seed_loop_edge = false;  // Mermaid: seed 000's back edge for the layer loop instead of a marker node
};

struct GraphDrawing {
  std::string text;
  std::string warning;  // a Mermaid diagram beyond Mermaid's default limits: which, and how to draw less
};

// The runs as one diagram, side by side when there are several; format is "mermaid" or "dot".
// Throws std::invalid_argument "the cached run: step 9 is not in the run ..." when a run lacks a step or the
// layer.
GraphDrawing draw_graph(std::span<const DrawnRun> runs, const std::string& format, const GraphStyle& style);

}  // namespace kvscope::app
