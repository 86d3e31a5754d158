#pragma once
// Several graphs drawn in one diagram (`--mode both`): each becomes a part with its own title, and ids
// that two parts share get the part's id as a prefix, so every id stays unique and readable.
#include <span>
#include <string>
#include <vector>

#include "trace/graph.h"

namespace kvscope::trace {

struct GraphPart {
  const Run* run = nullptr;
  const Graph* graph = nullptr;
  std::string id;  // "cached" or "uncached"
  std::string title_en, title_zh;
};

// A part titled after its run's mode.
GraphPart mode_part(const Run& run, const Graph& graph);

struct PartIds {
  std::string part;                   // the enclosing subgraph's id; unused for a single part
  std::vector<std::string> nodes;     // per Graph::nodes
  std::vector<std::string> clusters;  // per Graph::clusters
};

// A single part keeps the graph's own ids.
std::vector<PartIds> unique_part_ids(std::span<const GraphPart> parts);

}  // namespace kvscope::trace
