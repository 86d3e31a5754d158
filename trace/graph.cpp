#include "trace/graph.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <set>
#include <stdexcept>
#include <tuple>

#include "trace/text_format.h"

namespace kvscope::trace {

namespace {

// Words Mermaid's flowchart parser reads as keywords or link targets wherever they appear as an id
// (measured with mermaid 12.3; the issue lists them). DOT quotes every id, so these are all that matter.
constexpr std::array<std::string_view, 13> kReservedIds{"end",    "graph",    "flowchart", "subgraph",    "style",
                                                        "class",  "classdef", "linkstyle", "interpolate", "_self",
                                                        "_blank", "_parent",  "_top"};

bool is_reserved(const std::string& id) {
  std::string lower(id.size(), ' ');
  std::transform(id.begin(), id.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::find(kReservedIds.begin(), kReservedIds.end(), lower) != kReservedIds.end();
}

// Letters, digits and '_' only, never a keyword, never starting with a digit.
std::string safe_id(const std::string& raw) {
  std::string id;
  for (unsigned char c : raw) id += std::isalnum(c) ? static_cast<char>(c) : '_';
  if (id.empty() || std::isdigit(static_cast<unsigned char>(id[0])) || is_reserved(id)) id = "t_" + id;
  return id;
}

// Makes `id` unique against `taken` by a numeric suffix, and takes it.
std::string claim(std::string id, std::set<std::string>& taken) {
  if (taken.insert(id).second) return id;
  for (int n = 2;; ++n) {
    std::string candidate = id + "_" + std::to_string(n);
    if (taken.insert(candidate).second) return candidate;
  }
}

const StepRecord* find_step(const Run& run, int step) {
  for (const StepRecord& s : run.steps)
    if (s.step == step) return &s;
  return nullptr;
}

GraphCluster make_cluster(const StepRecord& s) {
  GraphCluster c;
  c.step = s.step;
  c.phase = s.phase;
  const std::string t = std::to_string(s.tokens_in);
  const std::string next = std::to_string(s.cache_len + s.tokens_in + 1);
  switch (s.phase) {
    case Phase::Prefill:
      c.id = "prefill";
      c.title_en = "prefill with the first " + t + " tokens";
      c.title_zh = "用前" + t + "个token prefill";
      if (s.generated_index >= 0) {
        c.title_en += ", predict token " + next;
        c.title_zh += ", predict 第" + next + "个 token";
      }
      break;
    case Phase::Decode: {
      const std::string fed = std::to_string(s.cache_len + 1);
      c.id = "decode" + std::to_string(s.step);
      c.title_en = "use token " + fed + " to predict token " + next;
      c.title_zh = "用第" + fed + "个 token predict 第" + next + "个 token";
      break;
    }
    case Phase::Full:
      c.id = "full" + std::to_string(s.step);
      c.title_en = "use all " + t + " tokens to predict token " + next;
      c.title_zh = "用全部" + t + "个token predict 第" + next + "个 token";
      break;
  }
  return c;
}

}  // namespace

std::optional<Labels> labels_from_name(std::string_view name) {
  if (name == "en") return Labels::En;
  if (name == "zh") return Labels::Zh;
  return std::nullopt;
}

std::vector<int> default_steps(const Run& run) {
  if (run.steps.empty()) return {};
  std::vector<int> steps{run.steps[0].step};
  if (run.steps[0].phase == Phase::Prefill && run.steps.size() > 1) steps.push_back(run.steps[1].step);
  return steps;
}

int matching_step(const Run& from, int step, const Run& to) {
  const StepRecord* s = find_step(from, step);
  if (!s) return -1;
  const int token = std::max(0, s->generated_index);
  for (const StepRecord& t : to.steps)
    if (t.generated_index == token) return t.step;
  return -1;
}

namespace {

// The steps to draw, sorted, and the run's layer count; throws naming a step or layer the run lacks.
void select(const Run& run, const GraphOptions& options, Graph& g) {
  g.folded = options.fold;
  g.layer = options.layer;
  g.steps = options.steps.empty() ? default_steps(run) : options.steps;
  std::sort(g.steps.begin(), g.steps.end());
  g.steps.erase(std::unique(g.steps.begin(), g.steps.end()), g.steps.end());
  if (g.steps.empty()) throw std::invalid_argument("the run has no steps to draw");
  for (int s : g.steps)
    if (!find_step(run, s))
      throw std::invalid_argument("step " + std::to_string(s) + " is not in the run (it has steps 0-" +
                                  std::to_string(static_cast<int>(run.steps.size()) - 1) + ")");
  for (const Event& e : run.events) g.layers = std::max(g.layers, e.layer + 1);
  if (options.fold && g.layers > 0 && (options.layer < 0 || options.layer >= g.layers))
    throw std::invalid_argument("layer " + std::to_string(options.layer) + " is not in the run (it has layers 0-" +
                                std::to_string(g.layers - 1) + ")");
}

// One node per tensor of the selected steps (and per outside tensor feeding them), one edge per input.
// Folded, all layers of a name share a node; unfolded, each layer has its own. Returns, per node, the
// earliest event mapped to it.
std::vector<int> add_nodes_and_edges(const Run& run, const GraphOptions& options, Graph& g) {
  const std::set<int> selected(g.steps.begin(), g.steps.end());
  using Key = std::tuple<int, int, std::string>;  // step, layer (-1 outside, 0 for every layer when folded), name
  std::map<Key, int> node_of_key;
  std::vector<int> first_event;
  auto node_for = [&](const Event& e) {
    const int layer_key = e.layer < 0 ? -1 : (options.fold ? 0 : e.layer);
    auto [it, fresh] = node_of_key.try_emplace(Key{e.step, layer_key, e.name}, static_cast<int>(g.nodes.size()));
    if (fresh) {
      GraphNode n;
      n.event = e.id;
      n.external = !selected.count(e.step);
      n.cache = e.role == Role::CacheHistory;
      g.nodes.push_back(n);
      first_event.push_back(e.id);
    } else if (options.fold && e.layer == options.layer) {
      g.nodes[it->second].event = e.id;
    }
    return it->second;
  };

  std::set<std::tuple<int, int, int>> seen_edges;
  for (const Event& e : run.events) {
    if (!selected.count(e.step)) continue;
    if (e.id < 0 || e.id >= static_cast<int>(run.events.size()) || &run.events[e.id] != &e)
      throw std::invalid_argument("event '" + std::string(e.name) + "' has id " + std::to_string(e.id) +
                                  ", not its index");
    const int to = node_for(e);
    for (int input : e.inputs) {
      if (input < 0 || input >= e.id)
        throw std::invalid_argument("event " + std::to_string(e.id) + " ('" + std::string(e.name) + "') has input " +
                                    std::to_string(input) + ", which is not an earlier event");
      const Event& in = run.events[input];
      const int from = node_for(in);
      // Folded, an edge between two layers is the loop that runs the representative layer again.
      const int repeat = options.fold && in.layer >= 0 && e.layer >= 0 && in.layer != e.layer ? g.layers : 0;
      if (seen_edges.insert({from, to, repeat}).second) g.edges.push_back({from, to, repeat});
    }
  }
  return first_event;
}

// Nodes in the order their tensors were first computed, so output reads top to bottom like the pass.
void order_nodes(const std::vector<int>& first_event, Graph& g) {
  std::vector<int> order(g.nodes.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return first_event[a] < first_event[b]; });
  std::vector<int> new_index(g.nodes.size());
  std::vector<GraphNode> nodes;
  for (int old : order) {
    new_index[old] = static_cast<int>(nodes.size());
    nodes.push_back(std::move(g.nodes[old]));
  }
  g.nodes = std::move(nodes);
  for (GraphEdge& edge : g.edges) {
    edge.from = new_index[edge.from];
    edge.to = new_index[edge.to];
  }
}

// One subgraph per selected step. A step's token ids, computed before its first layer, stay outside it,
// as seed 000 draws input_ids and the prompt split above the two subgraphs.
void add_clusters(const Run& run, Graph& g) {
  std::map<int, int> cluster_of_step;
  for (int s : g.steps) {
    cluster_of_step[s] = static_cast<int>(g.clusters.size());
    g.clusters.push_back(make_cluster(*find_step(run, s)));
  }
  std::map<int, int> first_layer_event;
  for (const Event& e : run.events)
    if (e.layer >= 0 && !first_layer_event.count(e.step)) first_layer_event[e.step] = e.id;
  for (GraphNode& n : g.nodes) {
    const Event& e = run.events[n.event];
    const auto first = first_layer_event.find(e.step);
    const bool step_input = e.layer < 0 && (first == first_layer_event.end() || e.id < first->second);
    n.cluster = n.external || step_input ? -1 : cluster_of_step.at(e.step);
  }
}

// Ids: the tensor name, with the layer when unfolded; a step prefix only where two selected or external
// steps hold the same name (decode steps, or a step and the previous one's cache).
void assign_ids(const Run& run, bool fold, Graph& g) {
  std::vector<std::string> base(g.nodes.size());
  std::map<std::string, int> uses;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Event& e = run.events[g.nodes[i].event];
    base[i] = (!fold && e.layer >= 0 ? "L" + std::to_string(e.layer) + "_" : "") + std::string(e.name);
    ++uses[base[i]];
  }
  std::set<std::string> taken;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Event& e = run.events[g.nodes[i].event];
    const std::string prefixed = uses[base[i]] > 1 ? "s" + std::to_string(e.step) + "_" + base[i] : base[i];
    g.nodes[i].id = claim(safe_id(prefixed), taken);
  }
  for (GraphCluster& c : g.clusters) c.id = claim(safe_id(c.id), taken);
}

}  // namespace

Graph build_graph(const Run& run, const GraphOptions& options) {
  Graph g;
  select(run, options, g);
  order_nodes(add_nodes_and_edges(run, options, g), g);
  add_clusters(run, g);
  assign_ids(run, options.fold, g);
  return g;
}

std::string dims_text(const Event& e, Labels labels) { return join(labels == Labels::Zh ? e.dims_zh : e.dims, ", "); }

std::vector<std::string> node_lines(const Event& e, Labels labels) {
  if (e.role != Role::Text) return {std::string(e.name), comma_list(e.shape), dims_text(e, labels)};
  constexpr size_t kMaxChars = 40;
  size_t end = 0, chars = 0;
  while (end < e.text.size() && chars < kMaxChars) next_code_point(e.text, end), ++chars;
  return {std::string(e.name),
          "\u201c" + visible_text(e.text.substr(0, end)) + (end < e.text.size() ? "…" : "") + "\u201d"};
}

std::vector<std::string> export_node_lines(const Event& e, Labels labels) {
  std::vector<std::string> lines = node_lines(e, labels);
  if (e.role != Role::Text) lines.push_back((labels == Labels::Zh ? "运算: " : "op: ") + std::string(op_name(e.op)));
  return lines;
}

std::string edge_label(const GraphEdge& edge, Labels labels) {
  if (edge.repeat <= 0) return {};
  const std::string n = std::to_string(edge.repeat);
  return labels == Labels::Zh ? "循环" + n + "次" : "repeat " + n + "x";
}

const std::string& cluster_title(const GraphCluster& cluster, Labels labels) {
  return labels == Labels::Zh ? cluster.title_zh : cluster.title_en;
}

}  // namespace kvscope::trace
