#include "app/gui/logic/pane_view.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "app/gui/logic/kv_cache_view.h"
#include "trace/text_format.h"

namespace kvscope::gui {

namespace {

constexpr float kPadX = 8, kPadY = 5;
constexpr float kLayerGap = 40;  // between repeated layer blocks of the unfolded view
constexpr float kBend = 40;      // how far an unrouted edge leaves its node before turning

// The shape line's width must not depend on the step, or stepping would change node sizes and the
// layout: measure as if every axis had six digits.
std::string widest_shape_text(const trace::Event& e) {
  std::string out;
  for (size_t i = 0; i < e.shape.size(); ++i) out += i ? ", 000000" : "000000";
  return out;
}

Vec2 node_size(const trace::Event& e, trace::Labels labels, const TextMetrics& m) {
  float w = m.width(widest_shape_text(e));
  for (const std::string& line : trace::node_lines(e, labels)) w = std::max(w, m.width(line));
  return {std::ceil(w + 2 * kPadX), 3 * m.line_height + 2 * kPadY};
}

// Identifies a node across steps: its name and how many steps before the shown one it was computed
// (the prefill, when drawn with a later step, is always the same step 0).
std::string node_key(const trace::Event& e, int step) {
  return std::string(e.name) + "@" +
         (e.phase == trace::Phase::Prefill ? std::string("prefill") : std::to_string(step - e.step));
}

std::vector<int> steps_drawn(const trace::Run& run, int step, bool with_prefill) {
  const bool add_prefill = with_prefill && step > 0 && !run.steps.empty() &&
                           run.steps[0].phase == trace::Phase::Prefill;
  return add_prefill ? std::vector<int>{run.steps[0].step, step} : std::vector<int>{step};
}

std::vector<Vec2> shifted(const std::vector<Vec2>& path, Vec2 d) {
  std::vector<Vec2> out;
  out.reserve(path.size());
  for (Vec2 p : path) out.push_back(p + d);
  return out;
}

std::vector<Vec2> plain_route(const Rect& from, const Rect& to) {
  Vec2 p0{from.center().x, from.max.y}, p3{to.center().x, to.min.y};
  return {p0, p0 + Vec2{0, kBend}, p3 - Vec2{0, kBend}, p3};
}

NodeView make_node(const trace::Run& run, const trace::GraphNode& n, trace::Labels labels) {
  const trace::Event& e = run.events.at(n.event);
  NodeView v;
  v.event = n.event;
  // Name, shape and axis labels; the prompt's text node shows its text where a tensor shows its shape.
  std::vector<std::string> lines = trace::node_lines(e, labels);
  lines.resize(3);
  v.name = std::move(lines[0]);
  v.shape = std::move(lines[1]);
  v.dims = std::move(lines[2]);
  v.key = e.key;
  v.op = e.op;
  v.layer = e.layer;
  v.cache = n.cache;
  v.external = n.external;
  return v;
}

using NodeId = std::tuple<std::string, int, bool>;  // key, layer, external
NodeId node_id(const NodeView& n) { return {n.key, n.layer, n.external}; }

// "all tokens 1 vs 7": each axis whose size differs, named by this side's label; a different rank in full.
std::string difference_text(const trace::Event& mine, const trace::Event& theirs) {
  if (mine.shape.size() != theirs.shape.size())
    return trace::bracketed_list(mine.shape) + " vs " + trace::bracketed_list(theirs.shape);
  std::vector<std::string> parts;
  for (size_t i = 0; i < mine.shape.size(); ++i) {
    if (mine.shape[i] == theirs.shape[i]) continue;
    const std::string axis = i < mine.dims.size() ? std::string(mine.dims[i]) : "axis " + std::to_string(i);
    parts.push_back(axis + " " + std::to_string(mine.shape[i]) + " vs " + std::to_string(theirs.shape[i]));
  }
  return trace::join(parts, ", ");
}

std::string cache_role(const trace::Run& run, const PaneView& view, int from, int to) {
  return cache_edge_label(run, run.events.at(static_cast<size_t>(view.nodes.at(static_cast<size_t>(from)).event)),
                          run.events.at(static_cast<size_t>(view.nodes.at(static_cast<size_t>(to)).event)));
}

}  // namespace

TextMetrics estimated_text_metrics() {
  TextMetrics m;
  m.width = [](std::string_view s) {
    float w = 0;
    // CJK (three UTF-8 bytes and more) is about twice as wide as Latin.
    for (size_t i = 0; i < s.size();) w += trace::next_code_point(s, i) >= 0x800 ? 14.0f : 7.0f;
    return w;
  };
  return m;
}

namespace {

// What Graphviz lays out: the folded graph's nodes (keyed across steps), edges and subgraphs.
LayoutInput layout_input(const trace::Run& run, const trace::Graph& folded, int step, const ViewOptions& options,
                         const TextMetrics& metrics) {
  LayoutInput input;
  for (const auto& n : folded.nodes) {
    const trace::Event& e = run.events.at(n.event);
    input.nodes.push_back({node_key(e, step), node_size(e, options.labels, metrics), n.cluster});
  }
  // The loop edge runs from the layer's end back to its start; letting it rank would turn the layer upside down.
  for (const auto& e : folded.edges)
    input.edges.push_back({e.from, e.to, trace::edge_label(e, options.labels), e.repeat == 0});
  for (const auto& c : folded.clusters)
    input.clusters.push_back({std::string(trace::phase_name(c.phase)) +
                                  (c.phase == trace::Phase::Prefill ? "" : std::to_string(c.step - step)),
                              trace::cluster_title(c, options.labels)});
  return input;
}

void place_folded(const trace::Run& run, const trace::Graph& folded, const LayoutInput& input, const Layout& layout,
                  trace::Labels labels, PaneView& view) {
  for (size_t i = 0; i < folded.nodes.size(); ++i) {
    NodeView v = make_node(run, folded.nodes[i], labels);
    v.rect = Rect::around(layout.centers[i], input.nodes[i].size);
    view.nodes.push_back(std::move(v));
  }
  for (size_t i = 0; i < folded.edges.size(); ++i)
    view.edges.push_back({folded.edges[i].from, folded.edges[i].to, layout.edge_paths[i], input.edges[i].label,
                          layout.edge_label_pos[i], folded.edges[i].repeat != 0,
                          cache_role(run, view, folded.edges[i].from, folded.edges[i].to)});
  for (size_t i = 0; i < folded.clusters.size(); ++i)
    view.clusters.push_back({input.clusters[i].title, layout.cluster_boxes[i]});
  view.bounds = layout.bounds;
}

// Unfolded: every layer has the folded layer's structure, so its block is laid out once and repeated
// below itself; what follows the layers moves down by the extra blocks.
void place_unfolded(const trace::Run& run, const std::vector<int>& steps, int step, const trace::Graph& folded,
                    const LayoutInput& input, const Layout& layout, trace::Labels labels, PaneView& view) {
  std::map<std::string, int> folded_of_key;
  std::optional<Rect> block;
  for (size_t i = 0; i < folded.nodes.size(); ++i) {
    const trace::Event& e = run.events.at(folded.nodes[i].event);
    folded_of_key[input.nodes[i].key] = static_cast<int>(i);
    if (e.layer >= 0) {
      Rect r = Rect::around(layout.centers[i], input.nodes[i].size);
      block = block ? block->united(r) : r;
    }
  }
  const float pitch = block ? block->height() + kLayerGap : 0;
  const float tail_shift = pitch * std::max(0, folded.layers - 1);
  auto shift_of = [&](const trace::Event& e, Vec2 folded_center) {
    if (!block) return 0.0f;
    if (e.layer >= 0) return pitch * e.layer;
    return folded_center.y > block->min.y ? tail_shift : 0.0f;
  };

  const trace::Graph unfolded = trace::build_graph(run, {.fold = false, .layer = 0, .steps = steps});
  std::vector<int> folded_index;
  std::vector<float> shift;
  for (const auto& n : unfolded.nodes) {
    const trace::Event& e = run.events.at(n.event);
    const int fi = folded_of_key.at(node_key(e, step));
    NodeView v = make_node(run, n, labels);
    shift.push_back(shift_of(e, layout.centers[fi]));
    v.rect = Rect::around(layout.centers[fi] + Vec2{0, shift.back()}, input.nodes[fi].size);
    folded_index.push_back(fi);
    view.nodes.push_back(std::move(v));
  }
  std::map<std::pair<int, int>, int> folded_edge;
  for (size_t i = 0; i < folded.edges.size(); ++i)
    if (folded.edges[i].repeat == 0) folded_edge[{folded.edges[i].from, folded.edges[i].to}] = static_cast<int>(i);
  for (const auto& e : unfolded.edges) {
    EdgeView ev{e.from, e.to, {}, {}, {}, false, cache_role(run, view, e.from, e.to)};
    auto it = folded_edge.find({folded_index[e.from], folded_index[e.to]});
    if (it != folded_edge.end() && shift[e.from] == shift[e.to])
      ev.path = shifted(layout.edge_paths[it->second], {0, shift[e.to]});
    else ev.path = plain_route(view.nodes[e.from].rect, view.nodes[e.to].rect);
    view.edges.push_back(std::move(ev));
  }
  for (size_t i = 0; i < folded.clusters.size(); ++i) {
    Rect box = layout.cluster_boxes[i];
    if (block && box.max.y > block->min.y) box.max.y += tail_shift;
    view.clusters.push_back({input.clusters[i].title, box});
  }
  view.bounds = layout.bounds;
  view.bounds.max.y += tail_shift;
}

}  // namespace

namespace {

// What a view of `step` draws: the steps shown, the folded graph and what it lays out.
struct PanePlan {
  std::vector<int> steps;
  trace::Graph folded;
  LayoutInput input;
};

PanePlan plan_pane(const trace::Run& run, int step, const ViewOptions& options, const TextMetrics& metrics) {
  PanePlan plan;
  plan.steps = steps_drawn(run, step, options.with_prefill);
  plan.folded = trace::build_graph(run, {.fold = true, .layer = options.fold ? options.layer : 0, .steps = plan.steps});
  plan.input = layout_input(run, plan.folded, step, options, metrics);
  return plan;
}

}  // namespace

LayoutInput pane_layout_input(const trace::Run& run, int step, const ViewOptions& options, const TextMetrics& metrics) {
  return plan_pane(run, step, options, metrics).input;
}

PaneView build_pane_view(const trace::Run& run, int step, const ViewOptions& options, LayoutCache& cache,
                         const TextMetrics& metrics) {
  PaneView view;
  if (step < 0) return view;
  view.step = step;
  const PanePlan plan = plan_pane(run, step, options, metrics);
  const std::vector<int>& steps = plan.steps;
  const trace::Graph& folded = plan.folded;
  const LayoutInput& input = plan.input;
  view.layers = folded.layers;
  const Layout& layout = cache.get(input);
  view.layout_key = std::to_string(std::hash<std::string>{}(input.structure_key())) + (options.fold ? "f" : "u");
  if (options.fold) place_folded(run, folded, input, layout, options.labels, view);
  else place_unfolded(run, steps, step, folded, input, layout, options.labels, view);
  std::set<trace::Op> ops;
  for (const NodeView& n : view.nodes) ops.insert(n.op);
  view.ops.assign(ops.begin(), ops.end());
  return view;
}

void mark_changes(PaneView& now, const PaneView& previous, const trace::Run& run) {
  if (previous.step < 0 || now.step < 0) return;
  const trace::Phase was = run.steps.at(static_cast<size_t>(previous.step)).phase;
  const trace::Phase is = run.steps.at(static_cast<size_t>(now.step)).phase;
  if (was != is) {
    now.change_note = "the first " + std::string(trace::phase_name(is)) + " step: a new graph after the " +
                      std::string(trace::phase_name(was));
    return;
  }
  std::map<NodeId, const trace::Shape*> before;
  for (const auto& n : previous.nodes) before[node_id(n)] = &run.events.at(n.event).shape;
  for (auto& n : now.nodes) {
    if (n.external) continue;  // computed in an earlier step: not this step's change
    const auto& shape = run.events.at(n.event).shape;
    auto it = before.find(node_id(n));
    if (it == before.end()) {
      n.changed = true;
      n.change = "new this step";
    } else if (*it->second != shape) {
      n.changed = true;
      n.change = trace::bracketed_list(*it->second) + " → " + trace::bracketed_list(shape);
    }
  }
}

void mark_differences(PaneView& a, const trace::Run& run_a, PaneView& b, const trace::Run& run_b) {
  std::map<NodeId, NodeView*> of_b;
  for (auto& n : b.nodes) of_b[node_id(n)] = &n;
  for (auto& n : a.nodes) {
    auto it = of_b.find(node_id(n));
    if (it == of_b.end()) continue;
    const trace::Event& ea = run_a.events.at(n.event);
    const trace::Event& eb = run_b.events.at(it->second->event);
    if (ea.shape == eb.shape) continue;
    n.differs = it->second->differs = true;
    n.difference = difference_text(ea, eb);
    it->second->difference = difference_text(eb, ea);
    if (ea.shape.size() == eb.shape.size())
      for (size_t i = 0; i < ea.shape.size(); ++i)
        if (ea.shape[i] != eb.shape[i]) {
          n.differing_axes.push_back(static_cast<int>(i));
          it->second->differing_axes.push_back(static_cast<int>(i));
        }
  }
}

int hit_test(const PaneView& view, Vec2 p) {
  for (int i = static_cast<int>(view.nodes.size()) - 1; i >= 0; --i)
    if (view.nodes[i].rect.contains(p)) return i;
  return -1;
}

int find_node(const PaneView& view, const trace::Run& run, std::string_view name, int layer) {
  int external_match = -1;
  for (size_t i = 0; i < view.nodes.size(); ++i) {
    const auto& n = view.nodes[i];
    if (n.name != name || (layer >= 0 && run.events.at(n.event).layer != layer)) continue;
    if (!n.external) return static_cast<int>(i);
    if (external_match < 0) external_match = static_cast<int>(i);
  }
  return external_match;
}

int find_node_by_key(const PaneView& view, std::string_view key, int layer, bool external) {
  int fallback = -1;
  for (size_t i = 0; i < view.nodes.size(); ++i) {
    const auto& n = view.nodes[i];
    if (n.key != key || (layer >= 0 && n.layer != layer)) continue;
    if (n.external == external) return static_cast<int>(i);
    if (fallback < 0) fallback = static_cast<int>(i);
  }
  return fallback;
}

}  // namespace kvscope::gui
