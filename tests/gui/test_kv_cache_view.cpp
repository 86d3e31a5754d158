#include <catch2/catch.hpp>

#include "app/gui/logic/kv_cache_view.h"
#include "gui_test_helpers.h"

using namespace kvscope::gui;
using namespace kvscope::gui::testing;
using kvscope::trace::Event;
using kvscope::trace::Role;
using kvscope::trace::Run;

namespace {

// Cells of a layer with a property, as their positions.
template <typename P>
std::vector<int> positions_where(const KvCacheView& v, int layer, P property) {
  std::vector<int> out;
  const auto& row = v.cells.at(static_cast<size_t>(layer));
  for (size_t p = 0; p < row.size(); ++p)
    if (property(row[p])) out.push_back(static_cast<int>(p));
  return out;
}

std::vector<int> range(int first, int last) {
  std::vector<int> out;
  for (int p = first; p <= last; ++p) out.push_back(p);
  return out;
}

const Event& event_named(const Run& run, int step, const std::string& name, int layer) {
  for (const Event& e : run.events)
    if (e.step == step && e.name == name && e.layer == layer) return e;
  FAIL("no event " << name << " in step " << step << " layer " << layer);
  throw std::logic_error("unreachable");
}

// The labels of every edge of a step into or out of the cache, "from -> to: label", in the trace's order.
std::vector<std::string> labelled_edges(const Run& run, int step, int layer) {
  std::vector<std::string> out;
  for (const Event& to : run.events) {
    if (to.step != step || to.layer != layer) continue;
    for (int in : to.inputs) {
      const Event& from = run.events.at(static_cast<size_t>(in));
      const std::string label = cache_edge_label(run, from, to);
      if (!label.empty()) out.push_back(std::string(from.name) + " -> " + std::string(to.name) + ": " + label);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("the cached run's view: the prefill writes the prompt's rows, each step appends one and reads all") {
  AppState app = make_app(seed_tiny_spec(6));  // 5 prompt tokens, prefill all but the last
  const Run& cached = app.session->run(Side::Cached);
  const int capacity = kv_cache_capacity(*app.session);
  CHECK(capacity == 5 + 6 - 1);

  const KvCacheView empty = build_kv_cache_view(cached, -1, capacity);
  CHECK(empty.step == -1);
  CHECK(empty.cells.empty());
  CHECK(kv_cache_summary(empty, nullptr) == "The cache is empty: press Prefill or Step.");

  run(app, "prefill");
  KvCacheView v = build_kv_cache_view(cached, 0, capacity);
  CHECK(v.cached);
  CHECK(v.layers == 2);
  CHECK(v.kv_heads == 4);
  CHECK(v.head_dim == 64);
  CHECK(v.positions == 4);
  CHECK(v.capacity == capacity);
  for (int layer = 0; layer < 2; ++layer) {
    CHECK(positions_where(v, layer, [](const KvCell& c) { return c.written; }) == range(0, 3));
    CHECK(positions_where(v, layer, [](const KvCell& c) { return c.read; }) == range(0, 3));
    CHECK(positions_where(v, layer, [](const KvCell& c) { return c.held; }) == range(0, 3));
    CHECK(positions_where(v, layer, [](const KvCell& c) { return c.recomputed; }).empty());
  }
  CHECK(v.rows_written == 8);  // 4 positions in each of 2 layers
  CHECK(kv_cache_summary(v, nullptr) == "step 0 (prefill) appended rows 0–3 in each of 2 layers and read rows 0–3");

  for (int k = 1; k <= 4; ++k) {
    run(app, "step");
    INFO("step " << k);
    v = build_kv_cache_view(cached, k, capacity);
    const int row = 3 + k;  // the new token's position
    CHECK(v.positions == row + 1);
    for (int layer = 0; layer < 2; ++layer) {
      CHECK(positions_where(v, layer, [](const KvCell& c) { return c.written; }) == std::vector<int>{row});
      CHECK(positions_where(v, layer, [](const KvCell& c) { return c.read; }) == range(0, row));
      CHECK(positions_where(v, layer, [](const KvCell& c) { return c.held; }) == range(0, row));
      // The grid is the reserve wide; what lies beyond the cache's length is empty.
      CHECK(positions_where(v, layer, [](const KvCell& c) { return !c.held && !c.read; }) ==
            range(row + 1, capacity - 1));
    }
    CHECK(v.cells.at(1).at(2).written_at == 0);  // the prefill wrote it
    CHECK(v.cells.at(1).at(static_cast<size_t>(row)).written_at == k);
    CHECK(v.rows_written == 2);
    CHECK(v.rows_read == 2 * (row + 1));
    CHECK(v.run_rows_written == 2 * (row + 1));  // every row was written once
  }
  CHECK(kv_layers_alike(v, 0, 1));  // every layer appends and reads the same rows
  v.cells[1][0].read = false;
  CHECK_FALSE(kv_layers_alike(v, 0, 1));
  v.cells[1][0].read = true;
  CHECK(kv_cell_tooltip(v, 1, 5, "d") == "layer 1, position 5 ('d'): written at step 2, read this step");
  CHECK(kv_cell_tooltip(v, 0, 7, "") == "layer 0, position 7: written this step, read this step");
  CHECK(kv_cell_tooltip(v, 0, 8, "") == "layer 0, position 8: reserved, not written yet");
}

TEST_CASE("the uncached run recomputes every row every step; the summary says how much more K/V work that is") {
  AppState app = make_app(seed_tiny_spec(6));
  run(app, "prefill; step 4");
  const Run& cached = app.session->run(Side::Cached);
  const Run& uncached = app.session->run(Side::Uncached);
  const int capacity = kv_cache_capacity(*app.session);
  const int u_step = app.session->current_step(Side::Uncached);
  REQUIRE(u_step == 3);  // the uncached pass of the 4th generated token
  const KvCacheView c = build_kv_cache_view(cached, 4, capacity);
  const KvCacheView u = build_kv_cache_view(uncached, u_step, capacity);
  CHECK_FALSE(u.cached);
  CHECK(u.positions == 8);
  for (int layer = 0; layer < 2; ++layer) {
    CHECK(positions_where(u, layer, [](const KvCell& x) { return x.recomputed; }) == range(0, 7));
    CHECK(positions_where(u, layer, [](const KvCell& x) { return x.held || x.written; }).empty());
  }
  CHECK(u.rows_recomputed == 16);
  // Steps 0..3 of the uncached run pushed 5, 6, 7 and 8 positions through each of 2 layers.
  CHECK(u.run_rows_recomputed == 2 * (5 + 6 + 7 + 8));
  CHECK(u.bytes_used == 0);
  CHECK(u.bytes_recomputed == 16 * 2 * 4 * 64 * 4);
  CHECK(kv_cache_summary(c, &u) ==
        "step 4 appended row 7 in each of 2 layers and read rows 0–7; uncached recomputed rows 0–7: 8× the K/V work");
  CHECK(kv_cache_summary(build_kv_cache_view(uncached, -1, capacity), &u) ==
        "step 3 (no cache) recomputed rows 0–7 in each of 2 layers and read them");

  // The all-but-last prefill predicts nothing, so the uncached run has no step to set beside it.
  const KvCacheView prefill = build_kv_cache_view(cached, 0, capacity);
  const KvCacheView none = build_kv_cache_view(uncached, -1, capacity);
  CHECK(kv_cache_summary(prefill, &none) ==
        "step 0 (prefill) appended rows 0–3 in each of 2 layers and read rows "
        "0–3; the uncached run starts with the first generated token");
}

TEST_CASE("bytes used and reserved follow the trace's shapes and match the step records") {
  AppState app = make_app(seed_tiny_spec(6));
  run(app, "prefill; step 3");
  const Run& cached = app.session->run(Side::Cached);
  const int capacity = kv_cache_capacity(*app.session);
  for (int k = 0; k <= 3; ++k) {
    INFO("step " << k);
    const KvCacheView v = build_kv_cache_view(cached, k, capacity);
    const Event& keys = event_named(cached, k, k == 0 ? "prefill_pos_key_states" : "pos_key_states", 1);
    REQUIRE(keys.role == Role::CacheHistory);
    REQUIRE(keys.shape.size() == 3);  // [kv heads, positions, head size] without a batch axis
    const int64_t expected = 2LL * 2 * keys.shape[0] * keys.shape[1] * keys.shape[2] * 4;  // layers x K,V x ...
    CHECK(v.bytes_used == expected);
    CHECK(v.bytes_used == cached.steps[static_cast<size_t>(k)].kv_cache_bytes);
    CHECK(v.bytes_reserved == 2LL * 2 * 4 * capacity * 64 * 4);
  }
  const KvCacheView v = build_kv_cache_view(cached, 3, capacity);
  CHECK(kv_cache_bytes_line(v) == "cache: 28.0 KiB used of 40.0 KiB reserved");
  CHECK(kv_cache_bytes_formula(v) == "= 2 layers × K,V × 4 kv heads × 7 of 10 positions × 64 dims × 4 B");
}

TEST_CASE("edges into the cache say which rows they append, edges out of it which rows attention reads") {
  AppState app = make_app(seed_tiny_spec(6));
  run(app, "prefill; step 3");
  const Run& cached = app.session->run(Side::Cached);
  CHECK(labelled_edges(cached, 0, 1) == std::vector<std::string>{
                                            "prefill_input_layernormed -> prefill_value_states: append rows 0–3",
                                            "prefill_key_states -> prefill_pos_key_states: append rows 0–3",
                                            "prefill_pos_key_states -> prefill_unmasked_attn_weights: read rows 0–3",
                                            "prefill_value_states -> prefill_attn_tmp_output1: read rows 0–3",
                                        });
  CHECK(labelled_edges(cached, 3, 0) == std::vector<std::string>{
                                            "pos_more_key_states -> pos_key_states: append row 6",
                                            "more_value_states -> value_states: append row 6",
                                            "pos_key_states -> unmasked_attn_weights: read rows 0–6",
                                            "value_states -> attn_tmp_output1: read rows 0–6",
                                        });
  // The previous step's history carried into this step's, and the cache length read as a position, are not
  // appends or attention reads.
  const Event& history = event_named(cached, 3, "pos_key_states", 0);
  const Event& before = event_named(cached, 2, "pos_key_states", 0);
  CHECK(cache_edge_label(cached, before, history).empty());
  CHECK(cache_edge_label(cached, before, event_named(cached, 3, "position_ids", 0)).empty());

  // A run without a cache has no cache edges.
  const Run& uncached = app.session->run(Side::Uncached);
  for (const Event& to : uncached.events)
    for (int in : to.inputs) CHECK(cache_edge_label(uncached, uncached.events.at(static_cast<size_t>(in)), to).empty());

  // The prefill-all scheme prefills every prompt token: rows 0–4, then appends row 5.
  auto spec = seed_tiny_spec(3);
  spec.prefill = kvscope::core::PrefillScheme::All;
  AppState all = make_app(spec);
  run(all, "prefill; step");
  const Run& r = all.session->run(Side::Cached);
  CHECK(cache_edge_label(r, event_named(r, 0, "prefill_key_states", 0),
                         event_named(r, 0, "prefill_pos_key_states", 0)) == "append rows 0–4");
  CHECK(cache_edge_label(r, event_named(r, 1, "pos_more_key_states", 0), event_named(r, 1, "pos_key_states", 0)) ==
        "append row 5");
  // Its prefill predicts the first token, as the uncached run's first pass does: the same K/V work.
  const KvCacheView c = build_kv_cache_view(r, 0, kv_cache_capacity(*all.session));
  const KvCacheView u = build_kv_cache_view(all.session->run(Side::Uncached), 0, kv_cache_capacity(*all.session));
  CHECK(kv_cache_summary(c, &u) ==
        "step 0 (prefill) appended rows 0–4 in each of 2 layers and read rows 0–4; "
        "uncached recomputed rows 0–4: the same K/V work");
}

TEST_CASE("a batch of 2 has the same positions per sequence and twice the bytes") {
  auto spec = seed_tiny_spec(4);
  spec.batch = 2;
  AppState app = make_app(spec);
  run(app, "prefill; step 2");
  const Run& cached = app.session->run(Side::Cached);
  const int capacity = kv_cache_capacity(*app.session);
  const KvCacheView v = build_kv_cache_view(cached, 2, capacity);
  CHECK(v.batch == 2);
  CHECK(v.positions == 6);
  CHECK(positions_where(v, 1, [](const KvCell& c) { return c.written; }) == std::vector<int>{5});
  CHECK(v.rows_written == 2);  // per sequence
  const Event& keys = event_named(cached, 2, "pos_key_states", 0);
  REQUIRE(keys.shape.size() == 4);  // [batch, kv heads, positions, head size]
  CHECK(v.bytes_used == 2LL * 2 * keys.shape[0] * keys.shape[1] * keys.shape[2] * keys.shape[3] * 4);
  CHECK(v.bytes_used == cached.steps[2].kv_cache_bytes);
  const KvCacheView u = build_kv_cache_view(app.session->run(Side::Uncached), 1, capacity);
  CHECK(u.bytes_recomputed == 2LL * 2 * 2 * 4 * 6 * 64 * 4);
  CHECK(kv_cache_summary(v, &u) ==
        "step 2 appended row 5 in each of 2 layers and read rows 0–5 (× batch 2); "
        "uncached recomputed rows 0–5: 6× the K/V work");
  CHECK(kv_cache_bytes_formula(v).ends_with("× 4 B × batch 2"));
  CHECK(kv_cache_bytes_line(u) == "no cache: 48.0 KiB of K,V computed again");
  CHECK(cache_edge_label(cached, event_named(cached, 2, "more_value_states", 1),
                         event_named(cached, 2, "value_states", 1)) == "append row 5");
}

TEST_CASE("the kjv-char model's view reads the same way, with token pieces in the tooltips") {
  AppState app = make_app(kjv_spec(4));
  run(app, "prefill; step 2");
  const Run& cached = app.session->run(Side::Cached);
  const KvCacheView v = build_kv_cache_view(cached, 2, kv_cache_capacity(*app.session));
  const auto tokens = sequence_tokens(cached, app.session->tokenizer());
  const int n = static_cast<int>(app.session->prompt().size());
  CHECK(v.positions == n + 1);
  CHECK(positions_where(v, 0, [](const KvCell& c) { return c.written; }) == std::vector<int>{n});
  CHECK(v.bytes_used == cached.steps[2].kv_cache_bytes);
  REQUIRE(tokens.size() > 2);
  CHECK(kv_cell_tooltip(v, 0, 1, tokens[1].label()) ==
        "layer 0, position 1 ('" + tokens[1].label() + "'): written at step 0, read this step");
}
