#include <catch2/catch.hpp>

#include "hand_built_run.h"
#include "plain_mermaid.h"
#include "tests/support/mermaid_reader.h"
#include "text_lines.h"
#include "trace/export_mermaid.h"

using namespace kvscope;

namespace {

std::string plain(const std::string& text) { return test::plain_mermaid(text); }

// The nodes a test's graph draws: not the legend's samples nor the loop markers.
size_t tensor_nodes(const test::MermaidGraph& g) {
  size_t n = 0;
  for (const auto& [id, node] : g.nodes)
    n += id.rfind("legend", 0) != 0 && !(id.size() > 5 && id.compare(id.size() - 5, 5, "_loop") == 0);
  return n;
}

}  // namespace

TEST_CASE("Mermaid nodes use seed 000's label layout, in the chosen label set") {
  trace::Run run = test::cached_run(5, 2, 1);
  for (trace::Event& e : run.events)
    if (e.name == "query_states") {
      e.dims = {"heads", "predicted tokens", "head size"};
      e.dims_zh = {"头的个数", "预测的token序列", "每头 hidden size"};
    }
  const trace::Graph g = trace::build_graph(run, {});
  const std::string zh_raw = trace::export_mermaid(run, g, trace::Labels::Zh).text;
  const std::string zh = plain(zh_raw);
  const std::string en = plain(trace::export_mermaid(run, g, trace::Labels::En).text);
  CHECK(zh.rfind("graph TD\n", 0) == 0);
  CHECK(has_line(zh,
                 "    query_states[\"query_states<br/>2, 1, 4<br/>头的个数, 预测的token序列, 每头 hidden "
                 "size<br/>运算: linear\"]"));
  CHECK(has_line(
      en, "    query_states[\"query_states<br/>2, 1, 4<br/>heads, predicted tokens, head size<br/>op: linear\"]"));
  // Words stay whole: joined inside, free to break at the spaces.
  CHECK(zh_raw.find("<br/>头\u2060的\u2060个\u2060数\u2060, 预\u2060测\u2060的\u2060token\u2060序\u2060列\u2060, "
                    "每\u2060头 hidden "
                    "size<br/>") != std::string::npos);
  CHECK(has_line(zh, "  subgraph prefill [\"用前4个token prefill\"]"));
  CHECK(has_line(zh, "  subgraph decode1 [\"用第5个 token predict 第6个 token\"]"));
  CHECK(has_line(en, "  subgraph decode1 [\"use token 5 to predict token 6\"]"));
  // A line too short to wrap stays as typed, so a search finds it.
  CHECK(zh_raw.find("[\"↺ 循环2次<br/>") != std::string::npos);
  // The loop ends in a marker naming where the layer starts again; no edge points back.
  CHECK(has_line(zh, "    prefill_layer_output_loop[\"↺ 循环2次<br/>回到 prefill_input_embeds\"]"));
  CHECK(has_line(zh, "    prefill_layer_output --> prefill_layer_output_loop"));
  CHECK(has_line(en, "    layer_output_loop[\"↺ repeat 2x<br/>back to predict_input_embeds\"]"));
  CHECK(en.find("-->|\"repeat 2x\"|") == std::string::npos);
  CHECK(has_line(zh, "  prefill_pos_key_states --> pos_key_states"));
  CHECK(has_line(zh,
                 "  class legend_cache,prefill_value_states,prefill_pos_key_states,pos_key_states,value_states cache"));
  CHECK(has_line(en, "  class legend_loop,prefill_layer_output_loop,layer_output_loop loop"));
}

TEST_CASE("seed_loop_edge keeps seed 000's back edge, and the default graph has no edge pointing back") {
  const trace::Run run = test::cached_run(5, 2, 1);
  const trace::Graph g = trace::build_graph(run, {});
  const std::string seed = plain(trace::export_mermaid(run, g, trace::Labels::Zh, {.seed_loop_edge = true}).text);
  CHECK(has_line(seed, "    prefill_layer_output -->|\"循环2次\"| prefill_input_embeds"));
  CHECK(has_line(seed, "    layer_output -->|\"循环2次\"| predict_input_embeds"));
  CHECK(seed.find("_loop[") == std::string::npos);
  // Nodes are written in the order the pass computes them: an edge to a node written earlier closes a cycle.
  for (const bool seed_edge : {false, true}) {
    const std::string text = plain(trace::export_mermaid(run, g, trace::Labels::En, {seed_edge}).text);
    const test::MermaidGraph read = test::read_mermaid(text);
    int backward = 0;
    for (const auto& e : read.edges) {
      const size_t from = text.find(" " + e.from + "[\""), to = text.find(" " + e.to + "[\"");
      REQUIRE(from != std::string::npos);
      REQUIRE(to != std::string::npos);
      backward += to < from;
    }
    CHECK(backward == (seed_edge ? 2 : 0));
  }
}

TEST_CASE("every Mermaid export has a legend of the styles it uses") {
  const trace::Run run = test::cached_run(5, 2, 2);
  const trace::Graph both_steps = trace::build_graph(run, {});
  const test::MermaidGraph a = test::read_mermaid(
      plain(trace::export_mermaid(run, both_steps, trace::Labels::En).text));
  CHECK(a.subgraphs.back() == "legend");
  CHECK(a.nodes.at("legend_node").name == "tensor name");
  CHECK(a.nodes.at("legend_cache").name == "orange: KV cache");
  CHECK(a.nodes.at("legend_loop").name == "↺ repeat Nx");
  CHECK(a.nodes.count("legend_external") == 0);  // both steps drawn: nothing comes from outside
  trace::GraphOptions second;
  second.steps = {2};
  const std::string text = trace::export_mermaid(run, trace::build_graph(run, second), trace::Labels::Zh).text;
  const test::MermaidGraph b = test::read_mermaid(plain(text));
  CHECK(b.nodes.at("legend_external").name == "虚线框");
  CHECK(b.subgraphs.back() == "图例");
  // Placed above the graph, not beside it.
  CHECK(text.find("\n  legend ~~~ ") != std::string::npos);
  // An uncached run has no cache to explain.
  const trace::Run uncached = test::uncached_run(5, 2, 1);
  const std::string u = trace::export_mermaid(uncached, trace::build_graph(uncached, {}), trace::Labels::En).text;
  CHECK(test::read_mermaid(plain(u)).nodes.count("legend_cache") == 0);
}

TEST_CASE("keep_words_whole joins the characters of CJK words and leaves everything else alone") {
  CHECK(trace::keep_words_whole("heads, head size") == "heads, head size");
  CHECK(trace::keep_words_whole("每头 hidden size") == "每\u2060头 hidden size");
  CHECK(trace::keep_words_whole("用前6个token prefill") == "用\u2060前\u20606\u2060个\u2060token prefill");
  CHECK(trace::keep_words_whole("") == "");
}

TEST_CASE("every Mermaid node is defined once, in its step's subgraph, and every edge joins defined nodes") {
  const trace::Run run = test::cached_run(6, 3, 2);
  trace::GraphOptions options;
  options.steps = {1, 2};
  const trace::Graph g = trace::build_graph(run, options);
  const trace::MermaidText m = trace::export_mermaid(run, g, trace::Labels::En);
  const test::MermaidGraph read = test::read_mermaid(plain(m.text));
  CHECK(read.unread.empty());
  CHECK(tensor_nodes(read) == g.nodes.size());
  CHECK(read.edges.size() == g.edges.size());              // each loop edge became the edge to its marker
  CHECK(m.edges == static_cast<int>(g.edges.size()) + 1);  // and the legend's invisible link
  for (const auto& e : read.edges) {
    INFO(e.from << " -> " << e.to);
    CHECK(read.nodes.count(e.from) == 1);
    CHECK(read.nodes.count(e.to) == 1);
  }
  CHECK(read.nodes.at("s1_query_states").subgraph == "use token 6 to predict token 7");
  CHECK(read.nodes.at("s2_query_states").subgraph == "use token 7 to predict token 8");
  CHECK(read.nodes.at("prefill_pos_key_states").subgraph.empty());
  CHECK(read.nodes.at("s2_pos_key_states").shape == "2, 7, 4");
  CHECK(has_line(m.text,
                 "  class legend_external,s0_predict_input_ids,prefill_value_states,prefill_pos_key_states external"));
}

TEST_CASE("Mermaid text is escaped so that any name reads back unchanged") {
  CHECK(trace::mermaid_escape("plain 名字, 3200") == "plain 名字, 3200");
  CHECK(trace::mermaid_escape("say \"hi\"") == "say #quot;hi#quot;");
  CHECK(trace::mermaid_escape("#35;") == "#35;35;");
  CHECK(trace::mermaid_escape("<b>&") == "#lt;b#gt;#amp;");
  test::RunBuilder b;
  b.run.mode = trace::CacheMode::Cached;
  b.begin_step(0, trace::Phase::Prefill, 1, 0, -1);
  b.add("a\"<b>#&", {1}, -1, 0, trace::Phase::Prefill, trace::Op::Input, {});
  b.end_step(-1, 0, 0);
  const std::string text = trace::export_mermaid(b.run, trace::build_graph(b.run, {}), trace::Labels::En).text;
  const auto read = test::read_mermaid(plain(text));
  REQUIRE(tensor_nodes(read) == 1);
  REQUIRE(read.nodes.count("a__b___") == 1);
  CHECK(read.nodes.at("a__b___").name == "a\"<b>#&");
}

TEST_CASE("both modes are drawn one above the other with ids unique across them") {
  const trace::Run cached = test::cached_run(5, 2, 2);
  const trace::Run uncached = test::uncached_run(5, 2, 2);
  const trace::Graph gc = trace::build_graph(cached, {});
  trace::GraphOptions options;
  options.steps = {trace::matching_step(cached, 1, uncached)};
  const trace::Graph gu = trace::build_graph(uncached, options);
  const std::vector<trace::GraphPart> parts{trace::mode_part(cached, gc), trace::mode_part(uncached, gu)};
  const std::string raw = trace::export_mermaid(parts, trace::Labels::En).text;
  const std::string text = plain(raw);
  const auto read = test::read_mermaid(text);
  CHECK(read.unread.empty());
  CHECK(tensor_nodes(read) == gc.nodes.size() + gu.nodes.size());
  // Side by side, a real model's two runs are wider than a page.
  CHECK(raw.find("\n  cached ~~~ uncached\n") != std::string::npos);
  CHECK(read.nodes.at("cached_query_states").shape == "2, 1, 4");
  CHECK(read.nodes.at("uncached_query_states").shape == "2, 5, 4");
  CHECK(read.nodes.at("uncached_query_states").name == "query_states");
  CHECK(read.nodes.count("more_key_states") == 1);  // only the cached run has it: the name stays the id
  CHECK(read.nodes.count("causal_mask") == 1);
  CHECK(has_line(text, "  subgraph cached [\"cached: the KV cache keeps past keys and values\"]"));
  CHECK(has_line(text, "  subgraph uncached [\"uncached: the whole sequence runs again\"]"));
  CHECK(has_line(text, "    subgraph full0 [\"use all 5 tokens to predict token 6\"]"));
  for (const auto& node : read.nodes) CHECK(node.first != "cached");
}

TEST_CASE("an unfolded graph beyond Mermaid's limits says so and names --fold") {
  const trace::Run run = test::cached_run(8, 24, 1);
  trace::GraphOptions options;
  options.fold = false;
  const trace::MermaidText unfolded = trace::export_mermaid(run, trace::build_graph(run, options), trace::Labels::Zh);
  CHECK(unfolded.edges > trace::kMermaidMaxEdges);
  CHECK_FALSE(unfolded.within_limits());
  const std::string warning = trace::mermaid_limits_warning(unfolded, false);
  CHECK(warning.find("--fold") != std::string::npos);
  CHECK(warning.find("--format svg, png or dot") != std::string::npos);
  CHECK(warning.find("maxEdges 500") != std::string::npos);
  const trace::MermaidText folded = trace::export_mermaid(run, trace::build_graph(run, {}), trace::Labels::Zh);
  CHECK(folded.within_limits());
  CHECK(trace::mermaid_limits_warning(folded, true).empty());
  // Mermaid counts JavaScript string length: one unit per Chinese character, not three bytes.
  CHECK(folded.size < static_cast<int64_t>(folded.text.size()));
}
