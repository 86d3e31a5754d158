#pragma once
// A graph as a Mermaid flowchart in seed 000's layout: `id["name<br/>shape<br/>dims<br/>op: ..."]`, one
// subgraph per step, a legend. The folded layer loop ends in a marker node naming where the layer starts
// again; seed 000's own back edge (MermaidOptions::seed_loop_edge) makes Mermaid draw the graph upside down.
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

struct MermaidOptions {
  // The layer loop as seed 000 draws it, `layer_output -->|"repeat 26x"| input_embeds`, instead of a marker
  // node. The cycle it closes makes Mermaid's layout put part of each step above its input.
  bool seed_loop_edge = false;
};

MermaidText export_mermaid(const Run& run, const Graph& graph, Labels labels, const MermaidOptions& options = {});
// Parts one above the other, each in its own subgraph holding its steps' subgraphs.
MermaidText export_mermaid(std::span<const GraphPart> parts, Labels labels, const MermaidOptions& options = {});

// Text inside a quoted label: `"` `#` `<` `>` `&` as Mermaid entity codes.
std::string mermaid_escape(std::string_view text);

// The text with a word joiner (U+2060) between two characters of a word where either is CJK: a browser may
// break a line between any two ideographs, so Mermaid's wrapping would split 预测|的 mid-word; this leaves it
// the spaces (and `<br/>`s) to break at.
std::string keep_words_whole(std::string_view text);

// Empty when the diagram renders with Mermaid's defaults; otherwise one line saying which limit it passes
// and how to draw less (--fold for an unfolded graph, fewer steps for a folded one).
std::string mermaid_limits_warning(const MermaidText& m, bool folded);

}  // namespace kvscope::trace
