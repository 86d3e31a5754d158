// The heatmap's colour scale and head selector, the Work tab's axes and series, and time only as a median of
// repeated runs (never in a meta run): all decided in app/gui/logic, checked here without a window.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

#include <nlohmann/json.hpp>

#include "gui_test_helpers.h"

using namespace kvscope::gui;
using namespace kvscope::gui::testing;
using nlohmann::json;

namespace {

// A run of one step holding one tensor, for heatmaps of values chosen by the test.
kvscope::trace::Run one_tensor(kvscope::trace::Op op, std::vector<int64_t> shape, std::vector<std::string> dims,
                               std::vector<float> values) {
  kvscope::trace::Run run;
  kvscope::trace::Event e;
  e.id = 0;
  e.name = e.key = "x";
  e.op = op;
  e.shape = std::move(shape);
  for (const std::string& d : dims) e.dims.push_back(run.store->strings.intern(d));
  e.values = run.store->values.copy(values);
  e.values_of = "all";
  run.events.push_back(e);
  kvscope::trace::StepRecord step;
  step.tokens_in = 1;
  step.end_event = 1;
  run.steps.push_back(step);
  return run;
}

Heatmap heatmap_of(const kvscope::trace::Run& run, int slice = 0) {
  const InspectorView v = build_inspector(run, 0, slice, false, {}, {});
  REQUIRE(v.heatmap);
  return *v.heatmap;
}

int channel_gap(Rgb a, Rgb b) { return std::max({std::abs(a.r - b.r), std::abs(a.g - b.g), std::abs(a.b - b.b)}); }

struct Language {
  explicit Language(UiLanguage l) { set_ui_language(l); }
  ~Language() { set_ui_language(UiLanguage::En); }
};

// Every key anywhere in `j`.
void keys_of(const json& j, std::vector<std::string>& out) {
  if (j.is_object())
    for (const auto& [k, v] : j.items()) {
      out.push_back(k);
      keys_of(v, out);
    }
  if (j.is_array())
    for (const auto& v : j) keys_of(v, out);
}

}  // namespace

TEST_CASE("attention weights (a softmax) use the fixed 0..1 scale: a row spread over 0.12..0.16 looks flat") {
  AppState app = make_app();
  const Heatmap& h = selected_heatmap(app, "prefill; select prefill_attn_weights");
  CHECK(h.scale == HeatScale::Probability);
  CHECK(h.fixed_scale);
  CHECK(h.scale_min == 0.0f);
  CHECK(h.scale_max == 1.0f);
  CHECK(h.scale_label == "probability (softmax output), fixed scale 0 to 1");
  CHECK(colour_bar_ticks(h) == std::vector<float>{0.0f, 0.5f, 1.0f});
  CHECK(h.masked == 0);  // after the softmax the masked keys are weights of 0, not -inf
  const Rgb white = heat_colour(h, 0), full = heat_colour(h, 1);
  CHECK((white.r == 255 && white.g == 255 && white.b == 255));
  CHECK(channel_gap(white, full) > 150);
  // Per-slice normalisation drew 0.12 white and 0.16 dark blue; on the fixed scale they are close.
  CHECK(channel_gap(heat_colour(h, 0.12f), heat_colour(h, 0.16f)) < 15);

  // The same softmax op on values chosen here: the scale does not follow the data.
  const Heatmap flat = heatmap_of(
      one_tensor(kvscope::trace::Op::Softmax, {2, 3}, {"rows", "cols"}, {0.12f, 0.16f, 0.72f, 0.3f, 0.3f, 0.4f}));
  CHECK(flat.scale_min == 0.0f);
  CHECK(flat.scale_max == 1.0f);
}

TEST_CASE("other heatmaps use the tensor's range, diverging around 0 when they straddle it") {
  AppState app = make_app();
  const Heatmap& h = selected_heatmap(app, "prefill; select prefill_query_states");
  const auto& values = *run_of(app, Side::Cached).events.at(app.inspector->event).values;
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  REQUIRE(*lo < 0);
  REQUIRE(*hi > 0);
  CHECK(h.scale == HeatScale::Diverging);
  CHECK_FALSE(h.fixed_scale);
  CHECK(h.scale_min == -h.scale_max);
  CHECK(h.scale_max == std::max(-*lo, *hi));  // every head's values, so heads compare on one scale
  CHECK(h.scale_label == "value, diverging around 0 (scale: this tensor's range)");
  const Rgb zero = heat_colour(h, 0), below = heat_colour(h, h.scale_min), above = heat_colour(h, h.scale_max);
  CHECK((zero.r == 255 && zero.g == 255 && zero.b == 255));
  CHECK((below.b == 255 && below.r < 50));
  CHECK((above.r == 255 && above.b < 50));
  const std::vector<float> ticks = colour_bar_ticks(h);
  CHECK(ticks.front() == h.scale_min);
  CHECK(ticks.back() == h.scale_max);
  CHECK(std::find(ticks.begin(), ticks.end(), 0.0f) != ticks.end());

  // One-signed data: white at its lowest, dark blue at its highest, whatever slice is shown.
  const auto seq = one_tensor(kvscope::trace::Op::Add, {2, 1, 3}, {"heads", "rows", "cols"},
                              {2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 10.0f});
  for (int slice : {0, 1}) {
    const Heatmap s = heatmap_of(seq, slice);
    CHECK(s.scale == HeatScale::Sequential);
    CHECK(s.scale_min == 2.0f);
    CHECK(s.scale_max == 10.0f);
    CHECK(s.scale_label == "value (scale: this tensor's range)");
  }
  const Heatmap s = heatmap_of(seq, 1);
  CHECK(channel_gap(heat_colour(s, 2.0f), Rgb{255, 255, 255}) == 0);
  CHECK(channel_gap(heat_colour(s, 10.0f), heat_colour(s, 1e6f)) == 0);  // beyond the end: the end colour
  CHECK(colour_bar_ticks(s) == std::vector<float>{2.0f, 4.0f, 6.0f, 8.0f, 10.0f});
}

TEST_CASE("masked scores are grey and left out of the range and the histogram") {
  const float masked = std::numeric_limits<float>::lowest();
  const auto scores = one_tensor(kvscope::trace::Op::Mask, {2, 2}, {"rows", "cols"}, {0.5f, masked, -0.25f, 1.0f});
  const InspectorView v = build_inspector(scores, 0, 0, false, {}, {});
  REQUIRE(v.heatmap);
  CHECK(v.heatmap->masked == 1);
  CHECK(v.heatmap->scale_min == -1.0f);
  CHECK(v.heatmap->scale_max == 1.0f);
  CHECK(channel_gap(heat_colour(*v.heatmap, masked), Rgb{190, 190, 190}) == 0);
  REQUIRE(v.histogram);
  CHECK(v.histogram->lo == -0.25f);
  CHECK(v.histogram->hi == 1.0f);
  int counted = 0;
  for (int b : v.histogram->bins) counted += b;
  CHECK(counted == 3);
}

TEST_CASE("the slice selector says which head, and for a batch which sequence too") {
  AppState app = make_app();
  run(app, "prefill; select prefill_attn_weights");
  REQUIRE(app.inspector->heatmap);
  CHECK(app.inspector->heatmap->slices == 4);
  CHECK(slice_text(*app.inspector->heatmap) == "head 1 of 4");  // the batch axis of 1 is not mentioned
  app.heatmap_slice = 2;
  app.inspector_dirty = true;
  refresh(app);
  CHECK(slice_text(*app.inspector->heatmap) == "head 3 of 4");
  {
    const Language zh(UiLanguage::Zh);
    CHECK(slice_text(*app.inspector->heatmap) == "第 3 个头,共 4 个");
  }

  kvscope::app::RunSpec two = seed_tiny_spec();
  two.batch = 2;
  AppState batch = make_app(two);
  run(batch, "prefill; select prefill_attn_weights");
  REQUIRE(batch.inspector->heatmap);
  CHECK(batch.inspector->heatmap->slices == 8);
  CHECK(batch.inspector->heatmap->slice_axes == "batch x heads");
  batch.heatmap_slice = 5;
  batch.inspector_dirty = true;
  refresh(batch);
  CHECK(slice_text(*batch.inspector->heatmap) == "sequence 2 of 2, head 2 of 4");
  batch.heatmap_slice = 99;  // clamped to the last
  batch.inspector_dirty = true;
  refresh(batch);
  CHECK(slice_text(*batch.inspector->heatmap) == "sequence 2 of 2, head 4 of 4");

  const auto kv = one_tensor(kvscope::trace::Op::Concat, {2, 3, 1, 1}, {"kv heads", "all tokens", "rows", "cols"},
                             {1, 2, 3, 4, 5, 6});
  CHECK(slice_text(heatmap_of(kv, 4)) == "kv head 2 of 2, all tokens 2 of 3");
}

TEST_CASE("axis ticks are round numbers, labelled with SI prefixes and units") {
  CHECK(nice_ticks(0, 1, 3) == std::vector<double>{0, 0.5, 1});
  CHECK(nice_ticks(-2.37, 2.37, 5) == std::vector<double>{-2, -1, 0, 1, 2});
  CHECK(nice_ticks(3, 3, 4) == std::vector<double>{3});

  ZeroBasedAxis y = zero_based_axis(8.4e6, 4);
  CHECK(y.ticks == std::vector<double>{0, 5e6, 1e7});
  CHECK(y.top == 1e7);
  y = zero_based_axis(0.3, 4);  // 0.3 / 0.1 is 2.9999...: still three steps, not four
  REQUIRE(y.ticks.size() == 4);
  CHECK(y.top == Approx(0.3));
  y = zero_based_axis(1234, 2);
  CHECK(y.ticks == std::vector<double>{0, 2000});
  CHECK(zero_based_axis(0, 4).ticks == std::vector<double>{0, 1});

  CHECK(integer_ticks(1, 8, 10) == std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8});
  CHECK(integer_ticks(1, 8, 5) == std::vector<int>{2, 4, 6, 8});
  CHECK(integer_ticks(1, 23, 5) == std::vector<int>{1, 5, 10, 15, 20});
  CHECK(integer_ticks(1, 1, 3) == std::vector<int>{1});
  CHECK(integer_ticks(1, 0, 3).empty());

  CHECK(si_number(0) == "0");
  CHECK(si_number(12) == "12");
  CHECK(si_number(0.5) == "0.5");
  CHECK(si_number(1200) == "1.2 k");
  CHECK(si_number(8.4e6) == "8.4 M");
  CHECK(si_number(999700) == "1 M");
  CHECK(si_number(1.5e9) == "1.5 G");
  CHECK(si_number(-2500) == "-2.5 k");
  CHECK(si_quantity(1.2e6, Unit::Macs) == "1.2 M MACs");
  CHECK(si_quantity(48000, Unit::Bytes) == "48 kB");
  CHECK(si_quantity(512, Unit::Bytes) == "512 B");
}

TEST_CASE("the Work charts count MACs and bytes per generated token, with tooltips naming both modes") {
  AppState app = make_app();
  run(app, "prefill; step 4");  // the prefill predicts nothing: four tokens
  const WorkSeries& w = app.series;
  REQUIRE(w.cached_macs.size() == 4);
  REQUIRE(w.uncached_macs.size() == 4);
  CHECK(w.uncached_macs.back() > w.cached_macs.back());
  for (size_t i = 1; i < 4; ++i) CHECK(w.cached_macs[i] > w.cached_macs[i - 1]);

  // Bytes read: every weight matrix once per pass, the looked-up embedding rows, and the cache attention read.
  const kvscope::core::LlamaConfig& c = app.session->model().config();
  const int64_t q = int64_t{c.num_attention_heads} * c.head_size(), kv = int64_t{c.num_key_value_heads} * c.head_size();
  const int64_t linear = (int64_t{c.num_hidden_layers} *
                              (c.hidden_size * (2 * q + 2 * kv) + 3 * int64_t{c.hidden_size} * c.intermediate_size) +
                          int64_t{c.hidden_size} * c.vocab_size) *
                         4;
  const kvscope::trace::Run& uncached = app.session->run(Side::Uncached);
  for (const auto& s : uncached.steps) {
    const BytesRead b = step_bytes_read(uncached, s);
    CHECK(b.weights == linear + int64_t{s.tokens_in} * c.hidden_size * 4);
    CHECK(b.kv_cache == 0);  // recomputes its keys and values: no cache to read
  }
  const kvscope::trace::Run& cached = app.session->run(Side::Cached);
  const auto& decode = cached.steps.back();
  CHECK(step_bytes_read(cached, decode).kv_cache == decode.kv_cache_bytes);  // reads every row, the new one too
  CHECK(w.kv_cache_bytes.back() == static_cast<double>(decode.kv_cache_bytes));

  const std::vector<WorkChart> charts = work_charts(w);
  REQUIRE(charts.size() == 3);
  CHECK(std::string(charts[0].title) == "cumulative MACs");
  CHECK(charts[2].uncached == nullptr);
  CHECK(chart_point_text(charts[0], 1) == "token 2: cached " + si_quantity(w.cached_macs[1], Unit::Macs) +
                                              ", uncached " + si_quantity(w.uncached_macs[1], Unit::Macs));
  CHECK(chart_point_text(charts[2], 0) == "token 1: cached " + si_quantity(w.kv_cache_bytes[0], Unit::Bytes));
  CHECK(chart_point_text(charts[1], 3) ==
        "token 4: cached " + si_quantity(w.cached_bytes_read[3], Unit::Bytes) + ", uncached " +
            si_quantity(w.uncached_bytes_read[3], Unit::Bytes) +
            "\nweights (once per pass) + KV cache rows read; activations not counted");
  CHECK(chart_max(charts[0]) == w.uncached_macs.back());
  CHECK(chart_tick_label(charts[0], 5e6) == "5 M");
  CHECK(chart_tick_label(charts[1], 40000) == "40 kB");
}

TEST_CASE("a meta run shows no time anywhere: the timing is refused with the reason, charts count work only") {
  AppState app = make_app();
  run(app, "meta on; prefill; step 2");
  REQUIRE(app.session->meta());
  const std::string why = timing_unavailable_reason(app.session->spec());
  CHECK(why.find("meta run") != std::string::npos);
  CHECK_THROWS_AS(time_generation(app.session->spec(), 1), std::invalid_argument);
  app.timing.start(app.session->spec(), 1);
  for (int i = 0; i < 500 && app.timing.running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK_FALSE(app.timing.running());
  CHECK(app.timing.error() == why);
  CHECK_FALSE(app.timing.result_for(app.session->spec()));

  const json view = json::parse(dump_view_json(app));
  CHECK(view.at("timing").at("available") == false);
  CHECK(view.at("timing").at("reason") == why);
  std::vector<std::string> keys;
  keys_of(view.at("timing"), keys);
  keys_of(view.at("charts"), keys);
  for (const auto& k : keys) CHECK(k.find("ms") == std::string::npos);
  REQUIRE(view.at("charts").size() == 3);
  CHECK(view.at("charts").at(0).at("cached").size() == 2);  // MACs come from the shapes: a meta run has them
  CHECK(view.at("charts").at(0).at("y_tick_labels").at(0) == "0");
}

TEST_CASE("time is a median over whole replays of both modes, of the generation the app shows") {
  CHECK(median({3, 1, 2}) == 2);
  CHECK(median({4, 1, 3, 2}) == 2.5);
  CHECK(median({7}) == 7);
  CHECK_THROWS_AS(median({}), std::invalid_argument);

  AppState app = make_app(kjv_spec(4));
  run(app, "prefill; step 4");
  const kvscope::app::RunSpec& spec = app.session->spec();
  CHECK_THROWS_AS(time_generation(spec, 0), std::invalid_argument);
  const std::optional<TimingResult> r = time_generation(spec, 3);
  REQUIRE(r);
  CHECK(r->runs == 3);
  CHECK(r->tokens == 4);
  REQUIRE(r->cached_ms.size() == 3);
  REQUIRE(r->uncached_ms.size() == 3);
  CHECK(r->cached_median_ms == median(r->cached_ms));
  CHECK(r->uncached_median_ms == median(r->uncached_ms));
  CHECK(r->cached_median_ms > 0);
  // Replayed without a trace, the generation is still the one on screen.
  const std::vector<int32_t> shown = app.session->generated_tokens();
  CHECK(r->cached_tokens == shown);
  CHECK(r->uncached_tokens == shown);

  app.timing.start(spec, 2);
  for (int i = 0; i < 3000 && app.timing.running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE_FALSE(app.timing.running());
  CHECK(app.timing.error().empty());
  const auto done = app.timing.result_for(spec);
  REQUIRE(done);
  CHECK(done->runs == 2);
  const json view = json::parse(dump_view_json(app));
  CHECK(view.at("timing").at("runs") == 2);
  CHECK(view.at("timing").at("cached_median_ms") == done->cached_median_ms);
  // A longer generation is another measurement: the old one is not shown for it.
  kvscope::app::RunSpec longer = spec;
  longer.new_tokens += 1;
  CHECK_FALSE(same_generation(spec, longer));
  CHECK_FALSE(app.timing.result_for(longer));
}

TEST_CASE("a timing job under way is stopped when the app goes, without waiting for its runs") {
  const auto start = std::chrono::steady_clock::now();
  {
    AppState app = make_app(kjv_spec(64));
    app.timing.start(app.session->spec(), 1000);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK(app.timing.running());
  }
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
}
