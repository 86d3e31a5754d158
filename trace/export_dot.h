#pragma once
// A graph in Graphviz DOT: the same nodes and edges as the Mermaid export, a cluster per step.
#include <span>
#include <string>
#include <string_view>

#include "trace/graph_parts.h"

namespace kvscope::trace {

std::string export_dot(const Run& run, const Graph& graph, Labels labels);
// Parts side by side, each a cluster holding its steps' clusters.
std::string export_dot(std::span<const GraphPart> parts, Labels labels);

// A DOT quoted string, quotes included.
std::string dot_quote(std::string_view text);

}  // namespace kvscope::trace
