#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "app/common/recording.h"
#include "core/model_source.h"
#include "trace/document_json.h"
#include "trace/export_dot.h"
#include "trace/export_mermaid.h"

using namespace kvscope;

TEST_CASE("a trace written as JSON and read back draws the same graph") {
  const core::ModelSource source = core::resolve_model("seed-tiny");
  core::LlamaModel model = core::load_model(source, 7, false);
  trace::Document doc = app::new_document(model, app::weights_file(source, false));
  for (core::CacheMode mode : {core::CacheMode::Cached, core::CacheMode::Uncached}) {
    core::GenerationOptions options;
    options.mode = mode;
    options.new_tokens = 3;
    trace::CaptureOptions capture;
    capture.stats = true;
    app::RecordedGeneration gen(model, {{12, 81, 92, 52, 65}}, options, capture);
    gen.run_to_end();
    doc.runs.push_back(gen.take_run());
  }
  const std::string text = trace::document_to_json(doc).dump(1);
  const trace::Document back = trace::document_from_json(nlohmann::json::parse(text));
  REQUIRE(back.runs.size() == 2);
  // Same document; the model config's key order is not kept (document_from_json reads unordered JSON).
  CHECK(nlohmann::json(trace::document_to_json(back)) == nlohmann::json::parse(text));

  for (size_t r = 0; r < 2; ++r) {
    for (bool fold : {true, false}) {
      trace::GraphOptions options;
      options.fold = fold;
      options.steps = {0, 1, 2};
      const trace::Graph a = trace::build_graph(doc.runs[r], options);
      const trace::Graph b = trace::build_graph(back.runs[r], options);
      REQUIRE(a.nodes.size() == b.nodes.size());
      REQUIRE(a.edges.size() == b.edges.size());
      for (size_t i = 0; i < a.nodes.size(); ++i) {
        CHECK(a.nodes[i].id == b.nodes[i].id);
        CHECK(a.nodes[i].event == b.nodes[i].event);
        CHECK(a.nodes[i].cluster == b.nodes[i].cluster);
        CHECK(a.nodes[i].cache == b.nodes[i].cache);
      }
      for (size_t i = 0; i < a.edges.size(); ++i) {
        CHECK(a.edges[i].from == b.edges[i].from);
        CHECK(a.edges[i].to == b.edges[i].to);
        CHECK(a.edges[i].repeat == b.edges[i].repeat);
      }
      CHECK(trace::export_mermaid(doc.runs[r], a, trace::Labels::Zh).text ==
            trace::export_mermaid(back.runs[r], b, trace::Labels::Zh).text);
      CHECK(trace::export_dot(doc.runs[r], a, trace::Labels::En) ==
            trace::export_dot(back.runs[r], b, trace::Labels::En));
    }
  }
}
