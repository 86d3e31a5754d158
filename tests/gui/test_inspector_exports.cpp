#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "gui_test_helpers.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"
#include "trace/document_json.h"

using namespace kvscope::gui;
using namespace kvscope::gui::testing;
using kvscope::test::read_file;

namespace {

bool has_line(const InspectorView& v, const std::string& line) {
  return std::find(v.lines.begin(), v.lines.end(), line) != v.lines.end();
}

}  // namespace

TEST_CASE("the inspector shows the selected tensor's shape, labels, inputs and consumers") {
  AppState app = make_app();
  run(app, "prefill; step; step; select pos_key_states");
  REQUIRE(app.inspector);
  const InspectorView& v = *app.inspector;
  CHECK(has_line(v, "name: pos_key_states"));
  CHECK(has_line(v, "shape: 4, 6, 64"));
  CHECK(has_line(v, "op: concat"));
  CHECK(has_line(v, "  axis 1: 6  all tokens / 全token序列"));
  std::vector<std::string> inputs;
  for (const auto& n : v.inputs) inputs.push_back(n.label);
  CHECK(inputs == std::vector<std::string>{"pos_key_states (L0, step 1)", "pos_more_key_states (L0, step 2)"});
  REQUIRE_FALSE(v.consumers.empty());
  CHECK(v.consumers[0].label == "unmasked_attn_weights (L0, step 2)");
  REQUIRE(v.stats);
  CHECK(v.stats->max > v.stats->min);
}

TEST_CASE("the prefill attention heatmap is the causal triangle; a decode step's is one row") {
  AppState app = make_app();
  const Heatmap& h = selected_heatmap(app, "prefill; select prefill_attn_weights");
  CHECK(h.slices == 4);  // one per head
  REQUIRE(h.rows == 4);
  REQUIRE(h.cols == 4);
  for (int r = 0; r < 4; ++r) {
    float sum = 0;
    for (int c = 0; c < 4; ++c) {
      const float w = h.cells[static_cast<size_t>(r) * 4 + c];
      if (c > r) CHECK(w == Approx(0.0f).margin(1e-30));  // masked: exp of a huge negative score
      else CHECK(w > 0.0f);
      sum += w;
    }
    CHECK(sum == Approx(1.0f).epsilon(1e-5));
  }
  run(app, "step; step; select attn_weights");
  REQUIRE(app.inspector->heatmap);
  CHECK(app.inspector->heatmap->rows == 1);
  CHECK(app.inspector->heatmap->cols == 6);
  REQUIRE(app.inspector->histogram);
  int counted = 0;
  for (int b : app.inspector->histogram->bins) counted += b;
  CHECK(counted == 4 * 6);
}

TEST_CASE("a meta run's inspector says there are no values") {
  AppState app = make_app();
  run(app, "meta on; prefill; select prefill_query_states");
  REQUIRE(app.inspector);
  CHECK_FALSE(app.inspector->heatmap);
  CHECK(app.inspector->values_note.find("meta") != std::string::npos);
}

TEST_CASE("exports write Mermaid, DOT and JSON files that hold the drawn graph") {
  const kvscope::test::TempDir dir("gui-export");
  AppState app = make_app();
  CHECK_THROWS_WITH(run(app, "export mermaid " + (dir.path / "early.mmd").string()),
                    Catch::Contains("prefill or step"));
  run(app, "prefill; step; labels zh");
  const auto mmd = dir.path / "g.mmd", dot = dir.path / "g.dot", json = dir.path / "g.json";
  run(app, "export mermaid " + mmd.string() + "; export dot " + dot.string() + "; export json " + json.string());
  CHECK(app.status.find("wrote json") != std::string::npos);
  const std::string m = read_file(mmd);
  CHECK(m.find("graph TD") != std::string::npos);
  CHECK(m.find("pos_key_states") != std::string::npos);
  CHECK(m.find("循环2次") != std::string::npos);  // folded: seed-tiny's two layers as the loop edge
  CHECK(m.find("subgraph") != std::string::npos);
  const std::string d = read_file(dot);
  CHECK(d.find("digraph") != std::string::npos);
  CHECK(d.find("pos_key_states") != std::string::npos);
  const auto doc = kvscope::trace::document_from_json(nlohmann::json::parse(read_file(json)));
  REQUIRE(doc.runs.size() == 2);  // side by side exports both runs
  CHECK(doc.runs[0].mode == kvscope::trace::CacheMode::Cached);
  CHECK(doc.runs[0].events.size() == run_of(app, Side::Cached).events.size());
}

TEST_CASE("a PNG export is handed to the renderer, and unknown formats are refused") {
  AppState app = make_app();
  run(app, "prefill; export png view.png");
  REQUIRE(app.png_request);
  CHECK(*app.png_request == "view.png");
  CHECK_THROWS_WITH(run(app, "export svg x.svg"), Catch::Contains("unknown format"));
}

TEST_CASE("select names a tensor the view does not draw: a clear error") {
  AppState app = make_app();
  run(app, "prefill");
  CHECK_THROWS_WITH(run(app, "select attn_weights"), Catch::Contains("no tensor named 'attn_weights'"));
}

TEST_CASE("the inspector names the weight a tensor is computed from and how the model's file stores it") {
  AppState app = make_app();
  run(app, "prefill; select prefill_query_states");
  REQUIRE(app.inspector);
  CHECK(has_line(*app.inspector, "weight: self_attn.q_proj, stored as F32"));
  run(app, "step; select attn_weights");  // no weight enters a softmax
  REQUIRE(app.inspector);
  for (const std::string& line : app.inspector->lines) CHECK(line.rfind("weight:", 0) == std::string::npos);

  // A quantized file: each weight as its file stores it, the head read through the embeddings when tied.
  const kvscope::trace::Run& cached = app.session->run(Side::Cached);
  const auto event_of = [&](const std::string& key, int layer) {
    for (const auto& e : cached.events)
      if (e.key == key && e.layer == layer) return e.id;
    FAIL("no event " << key << " in layer " << layer);
    return -1;
  };
  kvscope::trace::WeightsFile file = app.session->weights();
  REQUIRE(file.format == "preset");
  std::erase_if(file.stored_as, [](const auto& w) { return w.first == "lm_head.weight"; });
  for (auto& [name, as] : file.stored_as) {
    if (name == "model.layers.0.mlp.down_proj.weight") as = "Q6_K";
    if (name == "model.embed_tokens.weight") as = "Q4_K";
  }
  const auto lines = [&](int event) { return build_inspector(cached, event, 0, false, {}, file); };
  CHECK(has_line(lines(event_of("down_projected", 0)), "weight: mlp.down_proj, stored as Q6_K"));
  CHECK(has_line(lines(event_of("input_embeds", 0)), "weight: embed_tokens, stored as Q4_K"));
  CHECK(has_line(lines(event_of("logits", -1)), "weight: embed_tokens (tied), stored as Q4_K"));
  CHECK(has_line(lines(event_of("output_layernormed", -1)), "weight: norm, stored as F32"));
  // Layers past the first add the residual stream, not the embeddings.
  for (const std::string& line : lines(event_of("input_embeds", 1)).lines)
    CHECK(line.rfind("weight:", 0) == std::string::npos);
}
