#include "app/common/graph_drawing.h"

#include <stdexcept>

#include "trace/export_dot.h"
#include "trace/export_mermaid.h"
#include "trace/graph_parts.h"

namespace kvscope::app {

GraphDrawing draw_graph(std::span<const DrawnRun> runs, const std::string& format, const GraphStyle& style) {
  std::vector<trace::Graph> graphs;
  graphs.reserve(runs.size());  // the parts point into it
  std::vector<trace::GraphPart> parts;
  for (const DrawnRun& r : runs) {
    try {
      graphs.push_back(trace::build_graph(*r.run, {.fold = style.fold, .layer = style.layer, .steps = r.steps}));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("the " + std::string(trace::cache_mode_name(r.run->mode)) + " run: " + e.what());
    }
    parts.push_back(trace::mode_part(*r.run, graphs.back()));
  }
  if (format == "dot") return {trace::export_dot(parts, style.labels), ""};
  trace::MermaidText m = trace::export_mermaid(parts, style.labels, {.seed_loop_edge = style.seed_loop_edge});
  return {std::move(m.text), trace::mermaid_limits_warning(m, style.fold)};
}

}  // namespace kvscope::app
