#pragma once
// The flags that choose what a graph export draws, shared by every command that writes Mermaid or DOT:
// --labels --fold --unfold --layer --step --seed-loop.
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "trace/event.h"

namespace kvscope::cli {

struct GraphFlags {
  std::string labels = "en";
  bool unfold = false;
  int layer = 0;
  std::vector<int> steps;  // empty: trace::default_steps
  bool seed_loop = false;  // Mermaid: seed 000's back edge for the layer loop
};

void add_graph_flags(CLI::App& cmd, GraphFlags& flags);

// Throws naming the flag when a graph flag was given for a format that draws no graph.
void reject_graph_flags(const CLI::App& cmd, const std::string& format);

// The document's runs as one Mermaid or DOT diagram ("mermaid" or "dot"), side by side when there are two;
// the second draws the steps that produced the tokens of the first one's drawn steps. A Mermaid diagram
// beyond Mermaid's default limits is still returned, with a warning on standard error.
// Throws std::runtime_error naming --step or --layer when the runs lack them, or --seed-loop with "dot".
std::string draw_graph(const trace::Document& doc, const std::string& format, const GraphFlags& flags);

}  // namespace kvscope::cli
