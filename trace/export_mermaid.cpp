#include "trace/export_mermaid.h"

#include <set>

#include "trace/text_format.h"

namespace kvscope::trace {

namespace {

int64_t utf16_length(const std::string& s) {
  int64_t n = 0;
  // Code points beyond the BMP take a surrogate pair.
  for (size_t i = 0; i < s.size();) n += next_code_point(s, i) > 0xFFFF ? 2 : 1;
  return n;
}

// Ideographs and the scripts written without spaces, where a browser may break between any two characters.
bool is_cjk(char32_t c) {
  return (c >= 0x2E80 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7AF) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0xFF00 && c <= 0xFFEF) || (c >= 0x20000 && c <= 0x3FFFF);
}

// Mermaid wraps a label line only when it is wider than its wrapping width (120 px and more); a line of at
// most 12 columns (6 CJK characters) fits, so it stays as typed and a search for "循环26次" finds it.
constexpr size_t kNeverWraps = 12;

size_t width_in_columns(std::string_view text) {
  size_t n = 0;
  for (size_t i = 0; i < text.size();) n += is_cjk(next_code_point(text, i)) ? 2 : 1;
  return n;
}

std::string label_text(std::string_view text) {
  return mermaid_escape(width_in_columns(text) <= kNeverWraps ? std::string(text) : keep_words_whole(text));
}

std::string quoted_label(const std::vector<std::string>& lines) {
  std::vector<std::string> escaped;
  for (const std::string& line : lines) escaped.push_back(label_text(line));
  return "[\"" + join(escaped, "<br/>") + "\"]";
}

struct MermaidWriter {
  std::string out;
  int edges = 0;
  std::set<std::string> taken;  // every id in the diagram, so added nodes never reuse one
  std::vector<std::string> loop_markers;
  void line(int depth, const std::string& text) { out += std::string(2 * depth, ' ') + text + "\n"; }
  std::string claim(const std::string& id) {
    std::string candidate = id;
    for (int n = 2; !taken.insert(candidate).second; ++n) candidate = id + "_" + std::to_string(n);
    return candidate;
  }
};

std::string node_line(const Event& e, const std::string& id, Labels labels) {
  return id + quoted_label(export_node_lines(e, labels));
}

std::string edge_line(const std::string& from, const std::string& to, const std::string& label) {
  const std::string arrow = label.empty() ? " --> " : " -->|\"" + label_text(label) + "\"| ";
  return from + arrow + to;
}

// Where the folded layer runs again: a node after layer_output naming the layer's input, so every edge of
// the diagram points forward and Mermaid's layout reads top to bottom.
struct LoopMarker {
  std::string id, line, edge;
};

LoopMarker loop_marker(MermaidWriter& w, const GraphPart& part, const PartIds& ids, const GraphEdge& edge,
                       Labels labels) {
  LoopMarker m;
  m.id = w.claim(ids.nodes[edge.from] + "_loop");
  const std::string back_to(part.run->events[part.graph->nodes[edge.to].event].name);
  m.line = m.id +
           quoted_label({"↺ " + edge_label(edge, labels), (labels == Labels::Zh ? "回到 " : "back to ") + back_to});
  m.edge = edge_line(ids.nodes[edge.from], m.id, "");
  w.loop_markers.push_back(m.id);
  return m;
}

// One part: nodes outside the step subgraphs, each step's subgraph with the edges inside it, then the
// edges between subgraphs, which Mermaid draws wherever they are written.
void write_part(MermaidWriter& w, const GraphPart& part, const PartIds& ids, Labels labels,
                const MermaidOptions& options, int depth, std::vector<std::string>& cross_edges) {
  const Graph& g = *part.graph;
  auto edge_of = [&](const GraphEdge& e) {
    return edge_line(ids.nodes[e.from], ids.nodes[e.to], edge_label(e, labels));
  };
  // The edges and marker nodes of one cluster (-1: outside every cluster).
  auto write_edges = [&](int cluster, int at) {
    for (const GraphEdge& e : g.edges) {
      if (g.nodes[e.from].cluster != cluster) continue;
      if (e.repeat > 0 && !options.seed_loop_edge) {
        const LoopMarker m = loop_marker(w, part, ids, e, labels);
        w.line(at, m.line);
        w.line(at, m.edge);
      } else if (g.nodes[e.to].cluster == cluster) {
        w.line(at, edge_of(e));
      }
    }
  };
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (g.nodes[i].cluster < 0) w.line(depth, node_line(part.run->events[g.nodes[i].event], ids.nodes[i], labels));
  write_edges(-1, depth);
  for (size_t c = 0; c < g.clusters.size(); ++c) {
    w.line(depth, "subgraph " + ids.clusters[c] + " [\"" + label_text(cluster_title(g.clusters[c], labels)) + "\"]");
    for (size_t i = 0; i < g.nodes.size(); ++i)
      if (g.nodes[i].cluster == static_cast<int>(c))
        w.line(depth + 1, node_line(part.run->events[g.nodes[i].event], ids.nodes[i], labels));
    write_edges(static_cast<int>(c), depth + 1);
    w.line(depth, "end");
  }
  for (const GraphEdge& e : g.edges)
    if (g.nodes[e.from].cluster != g.nodes[e.to].cluster && (e.repeat == 0 || options.seed_loop_edge))
      cross_edges.push_back(edge_of(e));
  w.edges += static_cast<int>(g.edges.size());
}

struct Legend {
  std::string cache, external, loop;  // the legend's sample node of each style, empty when not drawn
};

// What the colours and borders mean, drawn only for the styles the diagram uses, plus how to read a node.
// `above`: the diagram's first top-level node or subgraph, which an invisible link puts below the legend
// (Mermaid would otherwise set the legend beside the graph, widening it).
Legend write_legend(MermaidWriter& w, bool cache, bool external, Labels labels, const std::string& above) {
  const bool zh = labels == Labels::Zh;
  Legend l;
  const std::string id = w.claim("legend");
  w.line(1, "subgraph " + id + " [\"" + label_text(zh ? "图例" : "legend") + "\"]");
  w.line(2,
         w.claim("legend_node") + quoted_label(zh ? std::vector<std::string>{"张量名", "形状", "各维含义", "运算: op"}
                                                  : std::vector<std::string>{"tensor name", "shape", "axis labels",
                                                                             "op: what computed it"}));
  if (cache) {
    l.cache = w.claim("legend_cache");
    w.line(2, l.cache + quoted_label({zh ? "橙色: KV cache" : "orange: KV cache",
                                      zh ? "缓存保存的 key/value 历史" : "the keys/values the cache holds"}));
  }
  if (external) {
    l.external = w.claim("legend_external");
    w.line(2, l.external +
                  quoted_label({zh ? "虚线框" : "dashed border", zh ? "来自未画出的 step" : "from a step not drawn"}));
  }
  if (!w.loop_markers.empty()) {
    l.loop = w.claim("legend_loop");
    w.line(2, l.loop + quoted_label({zh ? "↺ 循环N次" : "↺ repeat Nx",
                                     zh ? "层的输出回到所指张量, 共 N 层" : "the layer runs again, N layers in all"}));
  }
  w.line(1, "end");
  if (!above.empty()) w.line(1, id + " ~~~ " + above);
  return l;
}

void write_classes(MermaidWriter& w, std::span<const GraphPart> parts, const std::vector<PartIds>& ids,
                   const Legend& legend) {
  std::string cache = legend.cache, external = legend.external;
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
  if (!w.loop_markers.empty()) {
    std::string loop = legend.loop;
    for (const std::string& id : w.loop_markers) loop += (loop.empty() ? "" : ",") + id;
    w.line(1, "classDef loop fill:#e0e7ff,stroke:#4338ca,stroke-width:2px");
    w.line(1, "class " + loop + " loop");
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

std::string keep_words_whole(std::string_view text) {
  std::string out;
  char32_t prev = ' ';
  for (size_t i = 0; i < text.size();) {
    const size_t start = i;
    const char32_t c = next_code_point(text, i);
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == 0x3000;
    const bool prev_space = prev == ' ' || prev == '\n' || prev == '\t' || prev == 0x3000;
    if (!space && !prev_space && (is_cjk(c) || is_cjk(prev))) out += "\u2060";
    out.append(text.substr(start, i - start));
    prev = c;
  }
  return out;
}

MermaidText export_mermaid(const Run& run, const Graph& graph, Labels labels, const MermaidOptions& options) {
  const GraphPart part{&run, &graph, std::string(cache_mode_name(run.mode)), "", ""};
  return export_mermaid(std::span<const GraphPart>(&part, 1), labels, options);
}

MermaidText export_mermaid(std::span<const GraphPart> parts, Labels labels, const MermaidOptions& options) {
  const std::vector<PartIds> ids = unique_part_ids(parts);
  MermaidWriter w;
  bool cache = false, external = false;
  for (size_t p = 0; p < parts.size(); ++p) {
    w.taken.insert(ids[p].part);
    w.taken.insert(ids[p].nodes.begin(), ids[p].nodes.end());
    w.taken.insert(ids[p].clusters.begin(), ids[p].clusters.end());
    for (const GraphNode& n : parts[p].graph->nodes) cache |= n.cache, external |= n.external;
  }
  w.line(0, "graph TD");
  std::vector<std::string> cross_edges;
  const bool nested = parts.size() > 1;
  for (size_t p = 0; p < parts.size(); ++p) {
    if (nested) {
      const std::string& title = labels == Labels::Zh ? parts[p].title_zh : parts[p].title_en;
      w.line(1, "subgraph " + ids[p].part + " [\"" + label_text(title) + "\"]");
    }
    write_part(w, parts[p], ids[p], labels, options, nested ? 2 : 1, cross_edges);
    if (nested) w.line(1, "end");
  }
  for (const std::string& e : cross_edges) w.line(1, e);
  // Side by side, two runs of a real model are wider than any page (13,409 px in Mermaid's classic look): an invisible
  // link puts each part below the one before.
  for (size_t p = 1; p < parts.size(); ++p) w.line(1, ids[p - 1].part + " ~~~ " + ids[p].part);
  std::string first;
  if (nested) {
    first = ids[0].part;
  } else if (!parts.empty()) {
    const Graph& g = *parts[0].graph;
    for (size_t i = 0; i < g.nodes.size() && first.empty(); ++i)
      if (g.nodes[i].cluster < 0) first = ids[0].nodes[i];
    if (first.empty() && !g.clusters.empty()) first = ids[0].clusters[0];
  }
  const Legend legend = write_legend(w, cache, external, labels, first);
  write_classes(w, parts, ids, legend);
  MermaidText m;
  m.text = std::move(w.out);
  m.size = utf16_length(m.text);
  // Mermaid counts the invisible links against maxEdges too.
  m.edges = w.edges + static_cast<int>(parts.size()) - 1 + (first.empty() ? 0 : 1);
  return m;
}

std::string mermaid_limits_warning(const MermaidText& m, bool folded) {
  if (m.within_limits()) return {};
  std::string msg = "warning: the Mermaid graph has " + std::to_string(m.edges) + " edges and " +
                    std::to_string(m.size) + " characters, beyond Mermaid's default limits (maxEdges " +
                    std::to_string(kMermaidMaxEdges) + ", maxTextSize " + std::to_string(kMermaidMaxTextSize) +
                    "), so GitHub and mermaid.live will not render it; ";
  msg += folded ? "draw fewer steps with --step" : "--fold draws one representative layer";
  // Graphviz has no such limits.
  msg += ", and --format svg, png or dot draws it whole";
  return msg;
}

}  // namespace kvscope::trace
