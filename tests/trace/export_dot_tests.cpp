#include <catch2/catch.hpp>
#include <cstdio>

#include "hand_built_run.h"
#include "tests/support/temp_dir.h"
#include "text_lines.h"
#include "trace/atomic_file.h"
#include "trace/export_dot.h"

using namespace kvscope;

namespace {

// Runs Graphviz on a file; returns its exit status and everything it printed.
std::pair<int, std::string> run_dot(const std::string& path) {
  const std::string command = "dot -Tsvg '" + path + "' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe);
  std::string out;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace

TEST_CASE("DOT has the Mermaid export's nodes and edges, quoted, with a cluster per step") {
  const trace::Run run = test::cached_run(5, 2, 1);
  const trace::Graph g = trace::build_graph(run, {});
  const std::string dot = trace::export_dot(run, g, trace::Labels::Zh);
  CHECK(dot.rfind("digraph kvscope {\n", 0) == 0);
  CHECK(has_line(dot, "  subgraph \"cluster_prefill\" {"));
  CHECK(has_line(dot, "    label=\"用前4个token prefill\";"));
  // The op on the label, the formula as the tooltip SVG shows on hover.
  CHECK(has_line(
      dot, "    \"query_states\" [label=\"query_states\\n2, 1, 4\\n轴, 轴, 轴\\n运算: linear\", tooltip=\"x W_qᵀ\"];"));
  CHECK(has_line(dot,
                 "  \"prefill_layer_output\" -> \"prefill_input_embeds\" [label=\"循环2次\", style=bold, "
                 "constraint=false];"));
  CHECK(has_line(dot,
                 "  \"input_ids\" [label=\"input_ids\\n5\\n轴\\n运算: input\", tooltip=\"tokenize(input_string)\"];"));
  // The legend: how to read a node, the orange cache and the bold loop edge (no step is left undrawn here).
  CHECK(has_line(dot, "  subgraph \"cluster_kvscope_legend\" {"));
  CHECK(dot.find("\"kvscope_legend_cache\" [label=\"橙色: KV cache") != std::string::npos);
  CHECK(dot.find("kvscope_legend_external") == std::string::npos);
  size_t arrows = 0;
  for (size_t at = dot.find(" -> "); at != std::string::npos; at = dot.find(" -> ", at + 1)) ++arrows;
  CHECK(arrows == g.edges.size() + 1);  // and the legend's sample loop edge
}

TEST_CASE("DOT strings escape quotes, backslashes and newlines") {
  CHECK(trace::dot_quote("plain") == "\"plain\"");
  CHECK(trace::dot_quote("a\"b\\c\nd") == "\"a\\\"b\\\\c\\nd\"");
}

TEST_CASE("Graphviz renders the DOT export, folded, unfolded and side by side") {
  const trace::Run cached = test::cached_run(5, 3, 2);
  const trace::Run uncached = test::uncached_run(5, 3, 2);
  trace::GraphOptions unfold;
  unfold.fold = false;
  const trace::Graph folded = trace::build_graph(cached, {});
  const trace::Graph unfolded = trace::build_graph(cached, unfold);
  const trace::Graph full = trace::build_graph(uncached, {});
  const std::vector<trace::GraphPart> parts{trace::mode_part(cached, folded), trace::mode_part(uncached, full)};
  const test::TempDir dir("dot");
  const std::vector<std::pair<std::string, std::string>> files{
      {"folded.dot", trace::export_dot(cached, folded, trace::Labels::Zh)},
      {"unfolded.dot", trace::export_dot(cached, unfolded, trace::Labels::En)},
      {"both.dot", trace::export_dot(parts, trace::Labels::En)}};
  for (const auto& [name, text] : files) {
    const std::string path = dir.file(name);
    trace::write_file_atomically(path, text);
    const auto [status, out] = run_dot(path);
    INFO(name << ": " << out.substr(0, 400));
    REQUIRE(status == 0);  // 127: Graphviz is missing (apt-get install graphviz)
    CHECK(out.find("<svg") != std::string::npos);
    CHECK(out.find("class=\"cluster\"") != std::string::npos);
    CHECK(out.find("Warning") == std::string::npos);
  }
}
