#include <algorithm>
#include <catch2/catch.hpp>

#include "hand_built_run.h"
#include "trace/graph.h"

using namespace kvscope;
using trace::Graph;
using trace::GraphOptions;

namespace {

const trace::GraphNode* node(const Graph& g, const std::string& id) {
  for (const auto& n : g.nodes)
    if (n.id == id) return &n;
  return nullptr;
}

const trace::GraphEdge* edge(const Graph& g, const std::string& from, const std::string& to) {
  for (const auto& e : g.edges)
    if (g.nodes[e.from].id == from && g.nodes[e.to].id == to) return &e;
  return nullptr;
}

}  // namespace

TEST_CASE("a folded cached graph draws the prefill and the first decode step, one layer each") {
  const trace::Run run = test::cached_run(5, 3, 2);
  const Graph g = trace::build_graph(run, {});
  CHECK(g.steps == std::vector<int>{0, 1});
  CHECK(g.layers == 3);
  REQUIRE(g.clusters.size() == 2);
  CHECK(g.clusters[0].id == "prefill");
  CHECK(g.clusters[0].title_zh == "用前4个token prefill");
  CHECK(g.clusters[0].title_en == "prefill with the first 4 tokens");
  CHECK(g.clusters[1].title_zh == "用第5个 token predict 第6个 token");
  CHECK(g.clusters[1].title_en == "use token 5 to predict token 6");

  // One node per name: the ids are the tensor names.
  for (const char* id : {"input_ids", "prefill_input_ids", "predict_input_ids", "prefill_query_states",
                         "prefill_layer_output", "query_states", "pos_key_states", "logits", "next_tokens"})
    CHECK(node(g, id) != nullptr);
  CHECK(std::none_of(g.nodes.begin(), g.nodes.end(), [](const auto& n) { return n.external; }));
  CHECK(g.nodes.size() == 3 + 17 + 17 + 3);

  const auto* loop = edge(g, "prefill_layer_output", "prefill_input_embeds");
  REQUIRE(loop);
  CHECK(loop->repeat == 3);
  CHECK(trace::edge_label(*loop, trace::Labels::Zh) == "循环3次");
  CHECK(trace::edge_label(*loop, trace::Labels::En) == "repeat 3x");
  REQUIRE(edge(g, "layer_output", "predict_input_embeds"));
  CHECK(edge(g, "layer_output", "predict_input_embeds")->repeat == 3);
  const auto* embed = edge(g, "prefill_input_ids", "prefill_input_embeds");
  REQUIRE(embed);
  CHECK(embed->repeat == 0);
  CHECK(trace::edge_label(*embed, trace::Labels::Zh).empty());
  // The cache edge of seed 000: the prefill's keys feed the decode step's grown cache.
  CHECK(edge(g, "prefill_pos_key_states", "pos_key_states"));

  CHECK(node(g, "input_ids")->cluster == -1);
  CHECK(node(g, "predict_input_ids")->cluster == -1);
  CHECK(node(g, "prefill_query_states")->cluster == 0);
  CHECK(node(g, "next_tokens")->cluster == 1);
  for (const char* id : {"prefill_pos_key_states", "prefill_value_states", "pos_key_states", "value_states"})
    CHECK(node(g, id)->cache);
  CHECK_FALSE(node(g, "more_key_states")->cache);
}

TEST_CASE("the representative layer's events stand for the folded nodes") {
  const trace::Run run = test::cached_run(5, 3, 1);
  GraphOptions options;
  options.layer = 2;
  const Graph g = trace::build_graph(run, options);
  for (const auto& n : g.nodes) {
    const auto& e = run.events[n.event];
    CHECK((e.layer == -1 || e.layer == 2));
  }
  options.layer = 3;
  CHECK_THROWS_WITH(trace::build_graph(run, options), "layer 3 is not in the run (it has layers 0-2)");
  options.layer = 0;
  options.steps = {4};
  CHECK_THROWS_WITH(trace::build_graph(run, options), "step 4 is not in the run (it has steps 0-1)");
}

TEST_CASE("an unfolded graph has every layer's nodes, named by layer, and no loop edge") {
  const trace::Run run = test::cached_run(5, 2, 1);
  GraphOptions options;
  options.fold = false;
  const Graph g = trace::build_graph(run, options);
  CHECK(node(g, "L0_query_states"));
  CHECK(node(g, "L1_query_states"));
  CHECK_FALSE(node(g, "query_states"));
  CHECK(node(g, "input_ids"));
  CHECK(g.nodes.size() == 3 + 2 * 17 + 2 * 17 + 3);
  const auto* between = edge(g, "L0_prefill_layer_output", "L1_prefill_input_embeds");
  REQUIRE(between);
  CHECK(between->repeat == 0);
  CHECK(std::none_of(g.edges.begin(), g.edges.end(), [](const auto& e) { return e.repeat > 0; }));
  CHECK(edge(g, "L1_prefill_pos_key_states", "L1_pos_key_states"));
}

TEST_CASE("a later decode step draws the previous step's cache as external nodes") {
  const trace::Run run = test::cached_run(5, 2, 3);
  GraphOptions options;
  options.steps = {2};
  const Graph g = trace::build_graph(run, options);
  REQUIRE(g.clusters.size() == 1);
  CHECK(g.clusters[0].title_en == "use token 6 to predict token 7");
  // The same name in two steps: both get a step prefix.
  const auto* past = node(g, "s1_pos_key_states");
  REQUIRE(past);
  CHECK(past->external);
  CHECK(past->cache);
  CHECK(past->cluster == -1);
  REQUIRE(node(g, "s2_pos_key_states"));
  CHECK_FALSE(node(g, "s2_pos_key_states")->external);
  CHECK(edge(g, "s1_pos_key_states", "s2_pos_key_states"));
  // The token fed back comes from the previous step's argmax.
  REQUIRE(node(g, "s1_next_tokens"));
  CHECK(node(g, "s1_next_tokens")->external);
  CHECK(edge(g, "s1_next_tokens", "predict_input_ids"));
  CHECK(node(g, "predict_input_ids")->cluster == -1);
}

TEST_CASE("an uncached run draws its first full pass by default") {
  const trace::Run run = test::uncached_run(5, 2, 3);
  const Graph g = trace::build_graph(run, {});
  CHECK(g.steps == std::vector<int>{0});
  REQUIRE(g.clusters.size() == 1);
  CHECK(g.clusters[0].id == "full0");
  CHECK(g.clusters[0].title_en == "use all 5 tokens to predict token 6");
  CHECK(g.clusters[0].title_zh == "用全部5个token predict 第6个 token");
  CHECK_FALSE(node(g, "pos_key_states")->cache);
  CHECK(edge(g, "layer_output", "input_embeds")->repeat == 2);
}

TEST_CASE("steps of the two modes are matched by the token they generate") {
  const trace::Run cached = test::cached_run(5, 1, 3);
  const trace::Run uncached = test::uncached_run(5, 1, 3);
  CHECK(trace::matching_step(cached, 0, uncached) == 0);
  CHECK(trace::matching_step(cached, 1, uncached) == 0);
  CHECK(trace::matching_step(cached, 3, uncached) == 2);
  CHECK(trace::matching_step(uncached, 2, cached) == 3);
  CHECK(trace::matching_step(cached, 9, uncached) == -1);
}

TEST_CASE("ids avoid Mermaid's keywords and never collide with subgraph ids") {
  test::RunBuilder b;
  b.run.mode = trace::CacheMode::Cached;
  b.begin_step(0, trace::Phase::Prefill, 2, 0, -1);
  const int a = b.add("end", {2}, -1, 0, trace::Phase::Prefill, trace::Op::Input, {});
  const int c = b.add("Graph", {2}, 0, 0, trace::Phase::Prefill, trace::Op::Identity, {a});
  const int d = b.add("a@b.c-d", {2}, 0, 0, trace::Phase::Prefill, trace::Op::Identity, {c});
  const int e = b.add("3rd", {2}, 0, 0, trace::Phase::Prefill, trace::Op::Identity, {d});
  b.add("prefill", {2}, 0, 0, trace::Phase::Prefill, trace::Op::Identity, {e});
  b.end_step(-1, 0, 0);
  const Graph g = trace::build_graph(b.run, {});
  std::vector<std::string> ids;
  for (const auto& n : g.nodes) ids.push_back(n.id);
  CHECK(ids == std::vector<std::string>{"t_end", "t_Graph", "a_b_c_d", "t_3rd", "prefill"});
  REQUIRE(g.clusters.size() == 1);
  CHECK(g.clusters[0].id == "prefill_2");
}

TEST_CASE("the graph is a pure function of the run and the options") {
  const trace::Run run = test::cached_run(6, 2, 2);
  GraphOptions options;
  options.steps = {1, 2, 0};
  const Graph a = trace::build_graph(run, options);
  const Graph b = trace::build_graph(run, options);
  REQUIRE(a.nodes.size() == b.nodes.size());
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    CHECK(a.nodes[i].id == b.nodes[i].id);
    CHECK(a.nodes[i].event == b.nodes[i].event);
  }
  REQUIRE(a.edges.size() == b.edges.size());
  for (size_t i = 0; i < a.edges.size(); ++i)
    CHECK((a.edges[i].from == b.edges[i].from && a.edges[i].to == b.edges[i].to));
  CHECK(a.steps == std::vector<int>{0, 1, 2});
  // Nodes follow the order of computation (layer 0 is the representative, and computed first).
  for (size_t i = 1; i < a.nodes.size(); ++i) CHECK(a.nodes[i - 1].event < a.nodes[i].event);
}
