#pragma once
// A graph as a Mermaid flowchart in seed 000's layout: `id["name<br/>shape<br/>dims"]`, one subgraph per
// step, the folded layer loop as a labelled edge.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "trace/graph_parts.h"

namespace kvscope::trace {

// Mermaid's defaults (mermaid.initialize); GitHub renders with them, so a diagram beyond them shows an error.
inline constexpr int64_t kMermaidMaxTextSize = 50000;  // JavaScript string length: UTF-16 code units
inline constexpr int kMermaidMaxEdges = 500;

struct MermaidText {
  std::string text;
  int64_t size = 0;  // in UTF-16 code units, as Mermaid counts
  int edges = 0;
  bool within_limits() const { return size <= kMermaidMaxTextSize && edges <= kMermaidMaxEdges; }
};

MermaidText export_mermaid(const Run& run, const Graph& graph, Labels labels);
// Parts side by side, each in its own subgraph holding its steps' subgraphs.
MermaidText export_mermaid(std::span<const GraphPart> parts, Labels labels);

// Text inside a quoted label: `"` `#` `<` `>` `&` as Mermaid entity codes.
std::string mermaid_escape(std::string_view text);

// Empty when the diagram renders with Mermaid's defaults; otherwise one line saying which limit it passes
// and how to draw less (--fold for an unfolded graph, fewer steps for a folded one).
std::string mermaid_limits_warning(const MermaidText& m, bool folded);

}  // namespace kvscope::trace
