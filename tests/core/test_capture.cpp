// What a Recorder keeps: shapes always, stats and values when asked, logits' last row even when large.
#include <array>
#include <cmath>
#include <limits>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/generator.h"
#include "core/model_source.h"
#include "tests/core/test_helpers.h"
#include "trace/document_json.h"
#include "trace/event_values.h"
#include "trace/recorder.h"

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
      const auto values = trace::event_values(r.run, e);
      REQUIRE(values.has_value());
      CHECK(values->size() == static_cast<size_t>(e.numel()));
      CHECK(e.values_of == "all");
    } else if (e.name == "logits") {
      REQUIRE(e.values.has_value());
      CHECK(e.values_of == "last_row");
      CHECK(e.values->size() == 100);
      // the last row is exactly what the step reported
      const auto& step = r.results[static_cast<size_t>(e.step)];
      for (size_t i = 0; i < 100; ++i) CHECK((*e.values)[i] == step.last_logits[0][i]);
    } else {
      CHECK_FALSE(trace::has_values(e));
    }
  }
  // ids keep their integer values
  int found = 0;
  for (const auto& e : r.run.events) {
    if (e.name != "input_ids" || e.step != 0) continue;
    ++found;
    REQUIRE(e.values.has_value());
    CHECK(std::vector<float>(e.values->begin(), e.values->end()) == std::vector<float>{12, 81, 92, 52, 65});
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
      CHECK(std::vector<float>(e.values->begin(), e.values->end()) == std::vector<float>{5});
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

namespace {

// Records through a Recorder and keeps, beside it, a copy of every tensor's values read straight from the model's
// buffers: what the trace must give back, however it stores them.
class CopyingSink : public trace::Sink {
 public:
  CopyingSink(trace::Run& run, trace::CaptureOptions options) : recorder_(run, options) {}
  int record(const trace::EventSpec& spec) override {
    std::vector<float> values;
    for (int64_t i = 0; spec.view.has_values() && i < spec.view.numel(); ++i)
      values.push_back(static_cast<float>(spec.view.at(i)));
    truth.push_back(std::move(values));
    return recorder_.record(spec);
  }
  int next_id() const override { return recorder_.next_id(); }
  std::vector<std::vector<float>> truth;

 private:
  trace::Recorder recorder_;
};

}  // namespace

TEST_CASE("the cache's history and repeat_kv are rebuilt from their inputs, exactly", "[trace][capture]") {
  const core::LlamaConfig c = odd_sizes_config();  // 4 heads on 2 kv heads: repeat_kv shows
  core::LlamaModel model(c, core::random_weights(c, 3));
  trace::Run run;
  CopyingSink sink(run, {true, true, 1 << 20});
  core::Generator gen(model, {{5, 9, 2, 7}, {1, 3, 3, 8}},
                      {core::CacheMode::Cached, core::PrefillScheme::AllButLast, 6}, &sink);
  while (!gen.done()) gen.step();
  REQUIRE(sink.truth.size() == run.events.size());
  int concat = 0, repeat = 0;
  for (const trace::Event& e : run.events) {
    INFO(e.name << " step " << e.step << " layer " << e.layer);
    if (!trace::has_values(e)) {
      CHECK(sink.truth[static_cast<size_t>(e.id)].empty());
      continue;
    }
    const auto values = trace::event_values(run, e);
    REQUIRE(values.has_value());
    CHECK(*values == sink.truth[static_cast<size_t>(e.id)]);
    if (e.values_from_inputs) {
      CHECK_FALSE(e.values.has_value());  // not stored twice
      concat += e.op == trace::Op::Concat;
      repeat += e.op == trace::Op::RepeatKv;
    }
  }
  // keys and values, every layer, every decode step (the last prompt token's and five generated tokens')
  CHECK(concat == 2 * c.num_hidden_layers * 6);
  CHECK(repeat == 2 * c.num_hidden_layers * 7);
  // a file holds them whole
  trace::Document doc;
  doc.runs.push_back(run);
  const auto events = trace::document_to_json(doc)["runs"][0]["events"];
  for (size_t i = 0; i < events.size(); ++i) {
    if (sink.truth[i].empty()) continue;
    CHECK(events[i]["values"]["data"].get<std::vector<float>>() == sink.truth[i]);
  }
}

TEST_CASE("statistics skip NaNs and infinities, and vector lanes agree with one value at a time", "[trace][capture]") {
  std::vector<float> data(203);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i)) * 3.0);
  auto stats_of = [](const std::vector<float>& values) {
    trace::TensorView v;
    v.data = values.data();
    v.rank = 1;
    v.shape[0] = static_cast<int64_t>(values.size());
    v.strides[0] = 1;
    return trace::compute_stats(v);
  };
  // the reference: one value at a time, in double
  auto reference = [](const std::vector<float>& values) {
    double lo = 1e300, hi = -1e300, sum = 0, sq = 0;
    int64_t finite = 0;
    for (float x : values) {
      if (!std::isfinite(x)) continue;
      lo = std::min(lo, static_cast<double>(x));
      hi = std::max(hi, static_cast<double>(x));
      sum += x;
      sq += static_cast<double>(x) * x;
      ++finite;
    }
    const double mean = sum / static_cast<double>(finite);
    return std::array<double, 4>{lo, hi, mean, std::sqrt(sq / static_cast<double>(finite) - mean * mean)};
  };
  for (int bad : {-1, 0, 7, 100, 202}) {
    std::vector<float> values = data;
    if (bad >= 0)
      values[static_cast<size_t>(bad)] = bad % 2 ? std::numeric_limits<float>::quiet_NaN()
                                                 : -std::numeric_limits<float>::infinity();
    INFO("non-finite at " << bad);
    const trace::Stats s = stats_of(values);
    const auto want = reference(values);
    CHECK(s.nonfinite == (bad >= 0 ? 1 : 0));
    CHECK(s.min == want[0]);
    CHECK(s.max == want[1]);
    CHECK(s.mean == Approx(want[2]).epsilon(1e-12));
    CHECK(s.std == Approx(want[3]).epsilon(1e-12));
  }
}
