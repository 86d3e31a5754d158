#include "trace/export_mermaid.h"

#include "trace/text_format.h"

namespace kvscope::trace {

namespace {

int64_t utf16_length(const std::string& s) {
  int64_t n = 0;
  // Code points beyond the BMP take a surrogate pair.
  for (size_t i = 0; i < s.size();) n += next_code_point(s, i) > 0xFFFF ? 2 : 1;
  return n;
}

std::string node_line(const Event& e, const std::string& id, Labels labels) {
  std::vector<std::string> lines;
  for (const std::string& line : node_lines(e, labels)) lines.push_back(mermaid_escape(line));
  return id + "[\"" + join(lines, "<br/>") + "\"]";
}

std::string edge_line(const GraphEdge& edge, const PartIds& ids, Labels labels) {
  const std::string label = edge_label(edge, labels);
  const std::string arrow = label.empty() ? " --> " : " -->|\"" + mermaid_escape(label) + "\"| ";
  return ids.nodes[edge.from] + arrow + ids.nodes[edge.to];
}

struct Writer {
  std::string out;
  int edges = 0;
  void line(int depth, const std::string& text) { out += std::string(2 * depth, ' ') + text + "\n"; }
};

// One part: nodes outside the step subgraphs, each step's subgraph with the edges inside it, then the
// edges between subgraphs, which Mermaid draws wherever they are written.
void write_part(Writer& w, const GraphPart& part, const PartIds& ids, Labels labels, int depth,
                std::vector<std::string>& cross_edges) {
  const Graph& g = *part.graph;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (g.nodes[i].cluster < 0) w.line(depth, node_line(part.run->events[g.nodes[i].event], ids.nodes[i], labels));
  for (const GraphEdge& e : g.edges)
    if (g.nodes[e.from].cluster < 0 && g.nodes[e.to].cluster < 0) w.line(depth, edge_line(e, ids, labels));
  for (size_t c = 0; c < g.clusters.size(); ++c) {
    w.line(depth,
           "subgraph " + ids.clusters[c] + " [\"" + mermaid_escape(cluster_title(g.clusters[c], labels)) + "\"]");
    for (size_t i = 0; i < g.nodes.size(); ++i)
      if (g.nodes[i].cluster == static_cast<int>(c))
        w.line(depth + 1, node_line(part.run->events[g.nodes[i].event], ids.nodes[i], labels));
    for (const GraphEdge& e : g.edges)
      if (g.nodes[e.from].cluster == static_cast<int>(c) && g.nodes[e.to].cluster == static_cast<int>(c))
        w.line(depth + 1, edge_line(e, ids, labels));
    w.line(depth, "end");
  }
  for (const GraphEdge& e : g.edges)
    if (g.nodes[e.from].cluster != g.nodes[e.to].cluster) cross_edges.push_back(edge_line(e, ids, labels));
  w.edges += static_cast<int>(g.edges.size());
}

void write_classes(Writer& w, std::span<const GraphPart> parts, const std::vector<PartIds>& ids) {
  std::string cache, external;
  for (size_t p = 0; p < parts.size(); ++p)
    for (size_t i = 0; i < parts[p].graph->nodes.size(); ++i) {
      const GraphNode& n = parts[p].graph->nodes[i];
      if (n.cache) cache += (cache.empty() ? "" : ",") + ids[p].nodes[i];
      if (n.external) external += (external.empty() ? "" : ",") + ids[p].nodes[i];
    }
  // The key/value history is what the cache saves; inputs from outside the drawn steps are dashed.
  if (!cache.empty()) {
    w.line(1, "classDef cache fill:#fde7c8,stroke:#b45309,stroke-width:2px");
    w.line(1, "class " + cache + " cache");
  }
  if (!external.empty()) {
    w.line(1, "classDef external stroke-dasharray:5 5");
    w.line(1, "class " + external + " external");
  }
}

}  // namespace

std::string mermaid_escape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    switch (const char c = text[i]) {
      case '"': out += "#quot;"; break;
      case '#': out += "#35;"; break;
      case '<': out += "#lt;"; break;
      case '>': out += "#gt;"; break;
      case '&': out += "#amp;"; break;
      case '`': out += "#96;"; break;  // a label in backticks is Markdown to Mermaid
      case '\n': out += "<br/>"; break;
      // Mermaid breaks the line at a literal "\n", even written as an entity: a zero-width space keeps the
      // backslash and the n apart.
      case '\\': out += i + 1 < text.size() && text[i + 1] == 'n' ? "\\\u200b" : "\\"; break;
      default: out += c;
    }
  }
  return out;
}

MermaidText export_mermaid(const Run& run, const Graph& graph, Labels labels) {
  const GraphPart part{&run, &graph, std::string(cache_mode_name(run.mode)), "", ""};
  return export_mermaid(std::span<const GraphPart>(&part, 1), labels);
}

MermaidText export_mermaid(std::span<const GraphPart> parts, Labels labels) {
  const std::vector<PartIds> ids = unique_part_ids(parts);
  Writer w;
  w.line(0, "graph TD");
  std::vector<std::string> cross_edges;
  const bool nested = parts.size() > 1;
  for (size_t p = 0; p < parts.size(); ++p) {
    if (nested) {
      const std::string& title = labels == Labels::Zh ? parts[p].title_zh : parts[p].title_en;
      w.line(1, "subgraph " + ids[p].part + " [\"" + mermaid_escape(title) + "\"]");
    }
    write_part(w, parts[p], ids[p], labels, nested ? 2 : 1, cross_edges);
    if (nested) w.line(1, "end");
  }
  for (const std::string& e : cross_edges) w.line(1, e);
  write_classes(w, parts, ids);
  MermaidText m;
  m.text = std::move(w.out);
  m.size = utf16_length(m.text);
  m.edges = w.edges;
  return m;
}

std::string mermaid_limits_warning(const MermaidText& m, bool folded) {
  if (m.within_limits()) return {};
  std::string msg = "warning: the Mermaid graph has " + std::to_string(m.edges) + " edges and " +
                    std::to_string(m.size) + " characters, beyond Mermaid's default limits (maxEdges " +
                    std::to_string(kMermaidMaxEdges) + ", maxTextSize " + std::to_string(kMermaidMaxTextSize) +
                    "), so GitHub and mermaid.live will not render it; ";
  msg += folded ? "draw fewer steps with --step" : "--fold draws one representative layer";
  return msg;
}

}  // namespace kvscope::trace
