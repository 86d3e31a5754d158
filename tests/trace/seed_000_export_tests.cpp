// The seed 000 scenario through the exporter: openllama-3b shapes, meta mode, a 7-token text prompt, cached, one
// decode step. The seed's Mermaid graph is read from the seed note at test time, never retyped.
#include <catch2/catch.hpp>
#include <functional>
#include <set>

#include "app/common/recording.h"
#include "core/model_source.h"
#include "plain_mermaid.h"
#include "tests/support/seed_notes.h"
#include "tokenizer/tokenizer.h"
#include "trace/export_mermaid.h"

using namespace kvscope;

namespace {

trace::Run seed_scenario_run() {
  core::LlamaModel model = core::load_model(core::resolve_model("openllama-3b"), 0, true);
  core::GenerationOptions options;
  options.mode = core::CacheMode::Cached;
  options.prefill = core::PrefillScheme::AllButLast;
  options.new_tokens = 1;
  // Seven tokens from text, as the seed's graph starts: kjv-char's tokenizer reads "In the" as <s> and six
  // characters, ids that fit any vocabulary of at least 100.
  const auto tok = tokenizer::load_tokenizer(core::assets_dir() / "models" / "kjv-char");
  options.prompt_text = "In the";
  const std::vector<int> ids = tok->encode(*options.prompt_text);
  REQUIRE(ids.size() == 7);
  app::RecordedGeneration gen(model, {std::vector<int32_t>(ids.begin(), ids.end())}, options, {});
  gen.run_to_end();
  return gen.take_run();
}

// Is there a path from `from` to `to` whose inner nodes are all ones the seed does not draw?
bool path_through_skipped(const test::MermaidGraph& g, const std::string& from, const std::string& to,
                          const std::set<std::string>& seed_nodes) {
  std::set<std::string> seen;
  std::function<bool(const std::string&)> reach = [&](const std::string& at) {
    for (const auto& e : g.edges) {
      if (e.from != at) continue;
      if (e.to == to) return true;
      if (seed_nodes.count(e.to) || !seen.insert(e.to).second) continue;
      if (reach(e.to)) return true;
    }
    return false;
  };
  return reach(from);
}

}  // namespace

TEST_CASE("the folded zh export of the seed scenario draws seed 000's nodes, shapes, edges and subgraphs") {
  const test::MermaidGraph seed = test::seed_000_graph();
  REQUIRE(seed.nodes.size() == 42);  // what the sketch draws: the reader missed none
  REQUIRE(seed.unread.empty());

  const trace::Run run = seed_scenario_run();
  const trace::Graph graph = trace::build_graph(run, {});
  // --seed-loop: the seed's own loop edges; the default's marker nodes are checked below.
  const trace::MermaidText m = trace::export_mermaid(run, graph, trace::Labels::Zh, {.seed_loop_edge = true});
  CHECK(m.within_limits());
  const test::MermaidGraph ours = test::read_mermaid(test::plain_mermaid(m.text));
  REQUIRE(ours.unread.empty());

  // The seed's two subgraphs, then the legend.
  REQUIRE(ours.subgraphs.size() == seed.subgraphs.size() + 1);
  CHECK(std::vector(ours.subgraphs.begin(), ours.subgraphs.end() - 1) == seed.subgraphs);
  CHECK(ours.subgraphs.back() == "图例");
  std::set<std::string> seed_nodes;
  for (const auto& [id, node] : seed.nodes) {
    seed_nodes.insert(id);
    INFO("seed node " << id);
    REQUIRE(ours.nodes.count(id) == 1);
    CHECK(ours.nodes.at(id).name == node.name);
    CHECK(ours.nodes.at(id).shape == node.shape);
    CHECK(ours.nodes.at(id).subgraph == node.subgraph);
  }

  // input_string is the one node the seed names without a label: the prompt text. kvscope draws the text.
  std::set<std::string> unlabelled;
  for (const auto& e : seed.edges)
    for (const std::string& end : {e.from, e.to})
      if (!seed.nodes.count(end)) unlabelled.insert(end);
  CHECK(unlabelled == std::set<std::string>{"input_string"});
  REQUIRE(ours.nodes.count("input_string") == 1);
  CHECK(ours.nodes.at("input_string").text == "\u201cIn the\u201d");
  seed_nodes.insert("input_string");

  REQUIRE(seed.edges.size() == 57);
  int direct = 0, through = 0, loops = 0;
  for (const auto& e : seed.edges) {
    INFO("seed edge " << e.from << " --" << e.label << "--> " << e.to);
    bool same = false;
    for (const auto& o : ours.edges)
      if (o.from == e.from && o.to == e.to && o.label == e.label) same = true;
    if (!e.label.empty()) {
      CHECK(e.label == "循环26次");
      CHECK(same);
      ++loops;
    } else if (same) {
      ++direct;
    } else {
      CHECK(path_through_skipped(ours, e.from, e.to, seed_nodes));
      ++through;
    }
  }
  CHECK(loops == 2);
  CHECK(direct > 40);
  CHECK(direct + through + loops == 57);
  // o_proj, the MLP's down projection, the prefill MLP, position ids and the decode step's raw scores.
  CHECK(through >= 8);
}

TEST_CASE("by default the seed scenario's layer loop ends in a marker naming the layer's input, no edge back") {
  const trace::Run run = seed_scenario_run();
  const trace::Graph graph = trace::build_graph(run, {});
  const std::string text = test::plain_mermaid(trace::export_mermaid(run, graph, trace::Labels::Zh).text);
  const test::MermaidGraph ours = test::read_mermaid(text);
  REQUIRE(ours.unread.empty());
  // Seed 000's loop edges, prefill_layer_output --循环26次--> prefill_input_embeds and its decode twin.
  for (const auto& [from, to] :
       {std::pair{"prefill_layer_output", "prefill_input_embeds"}, std::pair{"layer_output", "predict_input_embeds"}}) {
    INFO(from);
    const std::string marker = std::string(from) + "_loop";
    REQUIRE(ours.nodes.count(marker) == 1);
    CHECK(ours.nodes.at(marker).name == "↺ 循环26次");
    CHECK(ours.nodes.at(marker).text == "回到 " + std::string(to));
    CHECK(ours.nodes.at(marker).subgraph == ours.nodes.at(from).subgraph);
    int into_marker = 0;
    for (const auto& e : ours.edges) {
      CHECK_FALSE((e.from == from && e.to == to));
      into_marker += e.from == from && e.to == marker;
    }
    CHECK(into_marker == 1);
  }
}
