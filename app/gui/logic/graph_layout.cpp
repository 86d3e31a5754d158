#include "app/gui/logic/graph_layout.h"

#include <gvc.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>

namespace kvscope::gui {

namespace {

// Graphviz works in points and inches, y up; the view works in pixels at zoom 1, y down.
constexpr double kPointsPerInch = 72.0;

std::string inches(float pixels) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", pixels / kPointsPerInch);
  return buf;
}

void set(void* obj, const char* key, const std::string& value) {
  agsafeset(obj, const_cast<char*>(key), const_cast<char*>(value.c_str()), const_cast<char*>(""));
}

// One Graphviz context for the process, never freed: Graphviz 2.42 keeps its font cache in a global that
// gvFreeContext frees but a later context still reads (a use-after-free AddressSanitizer reports as soon
// as a second layout measures a label).
GVC_t* graphviz() {
  static GVC_t* const gvc = gvContext();
  if (!gvc) throw std::runtime_error("Graphviz: cannot create a context");
  return gvc;
}

struct GraphDeleter {
  GVC_t* gvc;
  void operator()(Agraph_t* g) const {
    gvFreeLayout(gvc, g);
    agclose(g);
  }
};

}  // namespace

std::string LayoutInput::structure_key() const {
  std::string key;
  char buf[64];
  for (const auto& c : clusters) key += "C" + c.key + "\n";
  for (const auto& n : nodes) {
    std::snprintf(buf, sizeof buf, " %.0fx%.0f c%d\n", n.size.x, n.size.y, n.cluster);
    key += "N" + n.key + buf;
  }
  for (const auto& e : edges)
    key += "E" + std::to_string(e.from) + ">" + std::to_string(e.to) + (e.ranks ? " " : " loose ") + e.label + "\n";
  return key;
}

Layout layout_with_dot(const LayoutInput& input) {
  GVC_t* gvc = graphviz();
  std::unique_ptr<Agraph_t, GraphDeleter> g(agopen(const_cast<char*>("kvscope"), Agdirected, nullptr),
                                            GraphDeleter{gvc});
  set(g.get(), "rankdir", "TB");
  set(g.get(), "nodesep", "0.25");
  set(g.get(), "ranksep", "0.3");
  set(g.get(), "fontsize", "14");

  std::vector<Agraph_t*> subgraphs;
  for (size_t i = 0; i < input.clusters.size(); ++i) {
    std::string name = "cluster_" + std::to_string(i);
    Agraph_t* sub = agsubg(g.get(), const_cast<char*>(name.c_str()), 1);
    set(sub, "label", input.clusters[i].title);
    set(sub, "fontsize", "16");
    subgraphs.push_back(sub);
  }
  std::vector<Agnode_t*> nodes;
  for (size_t i = 0; i < input.nodes.size(); ++i) {
    const auto& n = input.nodes[i];
    Agraph_t* parent = n.cluster >= 0 ? subgraphs.at(n.cluster) : g.get();
    std::string name = "n" + std::to_string(i);
    Agnode_t* node = agnode(parent, const_cast<char*>(name.c_str()), 1);
    set(node, "shape", "box");
    set(node, "fixedsize", "true");
    set(node, "label", "");
    set(node, "width", inches(n.size.x));
    set(node, "height", inches(n.size.y));
    nodes.push_back(node);
  }
  std::vector<Agedge_t*> edges;
  for (size_t i = 0; i < input.edges.size(); ++i) {
    const auto& e = input.edges[i];
    std::string name = "e" + std::to_string(i);
    Agedge_t* edge = agedge(g.get(), nodes.at(e.from), nodes.at(e.to), const_cast<char*>(name.c_str()), 1);
    if (!e.label.empty()) set(edge, "label", e.label);
    if (!e.ranks) set(edge, "constraint", "false");
    edges.push_back(edge);
  }
  if (gvLayout(gvc, g.get(), "dot") != 0) throw std::runtime_error("Graphviz: the dot layout failed");

  const boxf bb = GD_bb(g.get());
  auto to_view = [&](pointf p) { return Vec2{static_cast<float>(p.x - bb.LL.x), static_cast<float>(bb.UR.y - p.y)}; };

  Layout out;
  out.bounds = {{0, 0}, {static_cast<float>(bb.UR.x - bb.LL.x), static_cast<float>(bb.UR.y - bb.LL.y)}};
  for (Agnode_t* n : nodes) out.centers.push_back(to_view(ND_coord(n)));
  for (size_t ei = 0; ei < edges.size(); ++ei) {
    Agedge_t* e = edges[ei];
    std::vector<Vec2> path;
    Vec2 label_pos = (out.centers[input.edges[ei].from] + out.centers[input.edges[ei].to]) * 0.5f;
    if (const splines* spl = ED_spl(e); spl && spl->size > 0) {
      const bezier& bz = spl->list[0];
      if (bz.sflag) path.push_back(to_view(bz.sp));
      for (int i = 0; i < bz.size; ++i) {
        // A start arrow point is joined to the curve by a straight cubic so the path stays p0 (c1 c2 p)*.
        if (bz.sflag && i == 0) {
          Vec2 p = to_view(bz.list[0]);
          path.push_back(path.back());
          path.push_back(p);
        }
        path.push_back(to_view(bz.list[i]));
      }
      if (bz.eflag) {
        Vec2 last = path.back(), tip = to_view(bz.ep);
        path.push_back(last);
        path.push_back(tip);
        path.push_back(tip);
      }
    }
    if (const textlabel_t* l = ED_label(e)) label_pos = to_view(l->pos);
    out.edge_paths.push_back(std::move(path));
    out.edge_label_pos.push_back(label_pos);
  }
  for (Agraph_t* sub : subgraphs) {
    const boxf b = GD_bb(sub);
    Vec2 a = to_view(b.LL), c = to_view(b.UR);
    out.cluster_boxes.push_back({{a.x, c.y}, {c.x, a.y}});
  }
  return out;
}

const Layout& LayoutCache::get(const LayoutInput& input) {
  std::string key = input.structure_key();
  if (auto it = layouts_.find(key); it != layouts_.end()) return it->second;
  auto t0 = std::chrono::steady_clock::now();
  Layout layout = layout_with_dot(input);
  last_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ++computed_;
  return layouts_.emplace(std::move(key), std::move(layout)).first->second;
}

std::set<std::string> LayoutCache::keys() const {
  std::set<std::string> out;
  for (const auto& entry : layouts_) out.insert(entry.first);
  return out;
}

void LayoutCache::put(std::string structure_key, Layout layout, double ms) {
  if (!layouts_.emplace(std::move(structure_key), std::move(layout)).second) return;
  last_ms_ = ms;
  ++computed_;
}

}  // namespace kvscope::gui
