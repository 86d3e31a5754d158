#include <catch2/catch.hpp>

#include "hand_built_run.h"
#include "tests/support/mermaid_reader.h"
#include "trace/export_mermaid.h"

using namespace kvscope;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
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
  const std::string zh = trace::export_mermaid(run, g, trace::Labels::Zh).text;
  const std::string en = trace::export_mermaid(run, g, trace::Labels::En).text;
  CHECK(zh.rfind("graph TD\n", 0) == 0);
  CHECK(has_line(zh, "    query_states[\"query_states<br/>2, 1, 4<br/>头的个数, 预测的token序列, 每头 hidden size\"]"));
  CHECK(has_line(en, "    query_states[\"query_states<br/>2, 1, 4<br/>heads, predicted tokens, head size\"]"));
  CHECK(has_line(zh, "  subgraph prefill [\"用前4个token prefill\"]"));
  CHECK(has_line(zh, "  subgraph decode1 [\"用第5个 token predict 第6个 token\"]"));
  CHECK(has_line(en, "  subgraph decode1 [\"use token 5 to predict token 6\"]"));
  CHECK(has_line(zh, "    prefill_layer_output -->|\"循环2次\"| prefill_input_embeds"));
  CHECK(has_line(en, "    layer_output -->|\"repeat 2x\"| predict_input_embeds"));
  CHECK(has_line(zh, "  prefill_pos_key_states --> pos_key_states"));
  CHECK(has_line(zh, "  class prefill_value_states,prefill_pos_key_states,pos_key_states,value_states cache"));
}

TEST_CASE("every Mermaid node is defined once, in its step's subgraph, and every edge joins defined nodes") {
  const trace::Run run = test::cached_run(6, 3, 2);
  trace::GraphOptions options;
  options.steps = {1, 2};
  const trace::Graph g = trace::build_graph(run, options);
  const trace::MermaidText m = trace::export_mermaid(run, g, trace::Labels::En);
  const test::MermaidGraph read = test::read_mermaid(m.text);
  CHECK(read.unread.empty());
  CHECK(read.nodes.size() == g.nodes.size());
  CHECK(read.edges.size() == g.edges.size());
  CHECK(m.edges == static_cast<int>(g.edges.size()));
  for (const auto& e : read.edges) {
    INFO(e.from << " -> " << e.to);
    CHECK(read.nodes.count(e.from) == 1);
    CHECK(read.nodes.count(e.to) == 1);
  }
  CHECK(read.nodes.at("s1_query_states").subgraph == "use token 6 to predict token 7");
  CHECK(read.nodes.at("s2_query_states").subgraph == "use token 7 to predict token 8");
  CHECK(read.nodes.at("prefill_pos_key_states").subgraph.empty());
  CHECK(read.nodes.at("s2_pos_key_states").shape == "2, 7, 4");
  CHECK(has_line(m.text, "  class s0_predict_input_ids,prefill_value_states,prefill_pos_key_states external"));
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
  const auto read = test::read_mermaid(text);
  REQUIRE(read.nodes.size() == 1);
  CHECK(read.nodes.begin()->first == "a__b___");
  CHECK(read.nodes.begin()->second.name == "a\"<b>#&");
}

TEST_CASE("both modes are drawn side by side with ids unique across them") {
  const trace::Run cached = test::cached_run(5, 2, 2);
  const trace::Run uncached = test::uncached_run(5, 2, 2);
  const trace::Graph gc = trace::build_graph(cached, {});
  trace::GraphOptions options;
  options.steps = {trace::matching_step(cached, 1, uncached)};
  const trace::Graph gu = trace::build_graph(uncached, options);
  const std::vector<trace::GraphPart> parts{trace::mode_part(cached, gc), trace::mode_part(uncached, gu)};
  const std::string text = trace::export_mermaid(parts, trace::Labels::En).text;
  const auto read = test::read_mermaid(text);
  CHECK(read.unread.empty());
  CHECK(read.nodes.size() == gc.nodes.size() + gu.nodes.size());
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
  CHECK(warning.find("maxEdges 500") != std::string::npos);
  const trace::MermaidText folded = trace::export_mermaid(run, trace::build_graph(run, {}), trace::Labels::Zh);
  CHECK(folded.within_limits());
  CHECK(trace::mermaid_limits_warning(folded, true).empty());
  // Mermaid counts JavaScript string length: one unit per Chinese character, not three bytes.
  CHECK(folded.size < static_cast<int64_t>(folded.text.size()));
}
