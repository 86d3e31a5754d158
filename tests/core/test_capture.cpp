// What a Recorder keeps: shapes always, stats and values when asked, logits' last row even when large.
#include <catch2/catch.hpp>

#include "core/model_source.h"
#include "tests/core/test_helpers.h"
#include "trace/document_json.h"

using namespace kvscope;

TEST_CASE("values are kept up to values_max, logits keep their last row", "[trace][capture]") {
  const core::LlamaConfig c = core::preset_config("seed-tiny");
  core::LlamaModel model(c, core::random_weights(c, 0));
  const Recorded r = record(model, {{12, 81, 92, 52, 65}}, {core::CacheMode::Uncached, core::PrefillScheme::All, 2},
                            {true, true, 300});
  for (const auto& e : r.run.events) {
    INFO(e.name);
    REQUIRE(e.stats.has_value());
    if (e.numel() <= 300) {
      REQUIRE(e.values.has_value());
      CHECK(e.values->size() == static_cast<size_t>(e.numel()));
      CHECK(e.values_of == "all");
    } else if (e.name == "logits") {
      REQUIRE(e.values.has_value());
      CHECK(e.values_of == "last_row");
      CHECK(e.values->size() == 100);
      // the last row is exactly what the step reported
      const auto& step = r.results[static_cast<size_t>(e.step)];
      for (size_t i = 0; i < 100; ++i) CHECK((*e.values)[i] == step.last_logits[0][i]);
    } else {
      CHECK_FALSE(e.values.has_value());
    }
  }
  // ids keep their integer values
  int found = 0;
  for (const auto& e : r.run.events) {
    if (e.name != "input_ids" || e.step != 0) continue;
    ++found;
    REQUIRE(e.values.has_value());
    CHECK(*e.values == std::vector<float>{12, 81, 92, 52, 65});
  }
  REQUIRE(found == 1);
}

TEST_CASE("attention weights at prefill are causal and rows sum to one", "[trace][capture]") {
  const core::LlamaConfig c = core::preset_config("seed-tiny");
  core::LlamaModel model(c, core::random_weights(c, 0));
  const Recorded r = record(model, {{1, 2, 3, 4, 5}}, {core::CacheMode::Cached, core::PrefillScheme::AllButLast, 2},
                            {true, true, 1 << 16});
  int attn_found = 0, position_found = 0;
  for (const auto& e : r.run.events) {
    if (e.name == "prefill_attn_weights") {
      ++attn_found;
      REQUIRE(e.shape == std::vector<int64_t>{4, 4, 4});
      REQUIRE(e.values.has_value());
      const auto& v = *e.values;
      for (int h = 0; h < 4; ++h)
        for (int t = 0; t < 4; ++t) {
          double sum = 0;
          for (int s = 0; s < 4; ++s) {
            const float p = v[static_cast<size_t>((h * 4 + t) * 4 + s)];
            if (s > t) CHECK(p == 0.0f);
            sum += p;
          }
          CHECK(std::abs(sum - 1.0) < 1e-5);
        }
    }
    if (e.name == "position_ids" && e.step == 2) {
      ++position_found;
      REQUIRE(e.values.has_value());
      CHECK(*e.values == std::vector<float>{5});
    }
  }
  REQUIRE(attn_found == c.num_hidden_layers);  // one per layer
  REQUIRE(position_found == c.num_hidden_layers);
}

TEST_CASE("a trace document survives JSON and reads back the same", "[trace][json]") {
  const core::LlamaConfig c = core::preset_config("seed-tiny");
  core::LlamaModel model(c, core::random_weights(c, 0));
  trace::Document doc = app::new_document(model, app::weights_file(core::resolve_model("seed-tiny"), false));
  doc.runs.push_back(
      record(model, {{1, 2, 3}}, {core::CacheMode::Cached, core::PrefillScheme::AllButLast, 2}, {true, true, 64}).run);
  const auto text = trace::document_to_json(doc).dump();
  const trace::Document back = trace::document_from_json(nlohmann::json::parse(text));
  REQUIRE(back.runs.size() == 1);
  // Equal as JSON values (the model's keys come back sorted, which JSON does not distinguish).
  CHECK(nlohmann::json::parse(trace::document_to_json(back).dump()) == nlohmann::json::parse(text));
  CHECK(back.runs[0].steps.size() == 3);
  // where the weights came from: the format and every weight's storage
  CHECK(back.weights.format == "preset");
  CHECK(back.weights.stored_as.size() == doc.weights.stored_as.size());
  CHECK(back.weights.storage_of("model.layers.1.mlp.down_proj.weight") == "F32");
  CHECK(back.weights.storage_of("lm_head.weight") == "F32");  // its own, or the embeddings' when tied
  // text form: one line per event, with name and shape
  const std::string printed = trace::document_to_text(doc);
  CHECK_THAT(printed, Catch::Contains("prefill_query_states  [4, 2, 64]  (heads, prefill tokens, head size)"));
  // a broken document names where it is broken
  auto bad = nlohmann::json::parse(text);
  bad["runs"][0]["events"][3]["op"] = "teleport";
  CHECK_THROWS_WITH(trace::document_from_json(bad), Catch::Contains("runs[0].events[3]") && Catch::Contains("op"));
}
