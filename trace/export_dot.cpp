#include "trace/export_dot.h"

#include "trace/tensor_names.h"
#include "trace/text_format.h"

namespace kvscope::trace {

namespace {

struct DotWriter {
  std::string out;
  void line(int depth, const std::string& text) { out += std::string(2 * depth, ' ') + text + "\n"; }
};

std::string node_line(const Event& e, const GraphNode& n, const std::string& id, Labels labels) {
  std::string attrs = "label=" + dot_quote(join(export_node_lines(e, labels), "\n"));
  // SVG shows it when the pointer rests on the node.
  if (const std::string_view f = formula_of(e.key); !f.empty()) attrs += ", tooltip=" + dot_quote(f);
  // The key/value history is what the cache saves; inputs from outside the drawn steps are dashed.
  std::string style;
  if (n.cache) {
    style = "filled,bold";
    attrs += ", fillcolor=\"#fde7c8\", color=\"#b45309\"";
  }
  if (n.external) style += style.empty() ? "dashed" : ",dashed";
  if (!style.empty()) attrs += ", style=" + dot_quote(style);
  return dot_quote(id) + " [" + attrs + "];";
}

std::string edge_line(const GraphEdge& edge, const PartIds& ids, Labels labels) {
  const std::string label = edge_label(edge, labels);
  // The loop closes a cycle; left out of the ranking, it lets the layer read top to bottom.
  return dot_quote(ids.nodes[edge.from]) + " -> " + dot_quote(ids.nodes[edge.to]) +
         (label.empty() ? "" : " [label=" + dot_quote(label) + ", style=bold, constraint=false]") + ";";
}

void write_part(DotWriter& w, const GraphPart& part, const PartIds& ids, Labels labels, int depth) {
  const Graph& g = *part.graph;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (g.nodes[i].cluster < 0)
      w.line(depth, node_line(part.run->events[g.nodes[i].event], g.nodes[i], ids.nodes[i], labels));
  for (size_t c = 0; c < g.clusters.size(); ++c) {
    w.line(depth, "subgraph " + dot_quote("cluster_" + ids.clusters[c]) + " {");
    w.line(depth + 1, "label=" + dot_quote(cluster_title(g.clusters[c], labels)) + ";");
    for (size_t i = 0; i < g.nodes.size(); ++i)
      if (g.nodes[i].cluster == static_cast<int>(c))
        w.line(depth + 1, node_line(part.run->events[g.nodes[i].event], g.nodes[i], ids.nodes[i], labels));
    w.line(depth, "}");
  }
}

// What the colours, borders and the bold edge mean, drawn only for the styles the graph uses, plus how to
// read a node. Its own cluster, so Graphviz sets it apart from the steps.
void write_legend(DotWriter& w, std::span<const GraphPart> parts, Labels labels) {
  bool cache = false, external = false, loop = false;
  for (const GraphPart& p : parts) {
    for (const GraphNode& n : p.graph->nodes) cache |= n.cache, external |= n.external;
    for (const GraphEdge& e : p.graph->edges) loop |= e.repeat > 0;
  }
  const bool zh = labels == Labels::Zh;
  w.line(1, "subgraph \"cluster_kvscope_legend\" {");
  w.line(2, "label=" + dot_quote(zh ? "图例" : "legend") + ";");
  w.line(2, "style=dashed;");
  w.line(2, "\"kvscope_legend_node\" [label=" +
                dot_quote(zh ? "张量名\n形状\n各维含义\n运算: op"
                             : "tensor name\nshape\naxis labels\nop: what computed it") +
                "];");
  if (cache)
    w.line(2, "\"kvscope_legend_cache\" [label=" +
                  dot_quote(zh ? "橙色: KV cache\n缓存保存的 key/value 历史"
                               : "orange: KV cache\nthe keys/values the cache holds") +
                  ", style=\"filled,bold\", fillcolor=\"#fde7c8\", color=\"#b45309\"];");
  if (external)
    w.line(2, "\"kvscope_legend_external\" [label=" +
                  dot_quote(zh ? "虚线框\n来自未画出的 step" : "dashed border\nfrom a step not drawn") +
                  ", style=dashed];");
  if (loop) {
    w.line(2, "\"kvscope_legend_loop_a\" [label=\"layer_output\"];");
    w.line(2, "\"kvscope_legend_loop_b\" [label=\"input_embeds\"];");
    w.line(2, "\"kvscope_legend_loop_a\" -> \"kvscope_legend_loop_b\" [label=" +
                  dot_quote(zh ? "循环N次: 层再算一遍" : "repeat Nx: the layer runs again") + ", style=bold];");
  }
  w.line(1, "}");
}

}  // namespace

std::string dot_quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out + "\"";
}

std::string export_dot(const Run& run, const Graph& graph, Labels labels) {
  const GraphPart part{&run, &graph, std::string(cache_mode_name(run.mode)), "", ""};
  return export_dot(std::span<const GraphPart>(&part, 1), labels);
}

std::string export_dot(std::span<const GraphPart> parts, Labels labels) {
  const std::vector<PartIds> ids = unique_part_ids(parts);
  DotWriter w;
  w.line(0, "digraph kvscope {");
  w.line(1, "rankdir=TB;");
  w.line(1, "node [shape=box];");
  const bool nested = parts.size() > 1;
  for (size_t p = 0; p < parts.size(); ++p) {
    if (nested) {
      w.line(1, "subgraph " + dot_quote("cluster_" + ids[p].part) + " {");
      w.line(2, "label=" + dot_quote(labels == Labels::Zh ? parts[p].title_zh : parts[p].title_en) + ";");
    }
    write_part(w, parts[p], ids[p], labels, nested ? 2 : 1);
    if (nested) w.line(1, "}");
  }
  for (size_t p = 0; p < parts.size(); ++p)
    for (const GraphEdge& e : parts[p].graph->edges) w.line(1, edge_line(e, ids[p], labels));
  write_legend(w, parts, labels);
  w.line(0, "}");
  return w.out;
}

}  // namespace kvscope::trace
