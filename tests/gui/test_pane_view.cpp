#include <catch2/catch.hpp>

#include <chrono>
#include <set>

#include "gui_test_helpers.h"
#include "trace/text_format.h"

using namespace kvscope::gui;
using namespace kvscope::gui::testing;
using kvscope::trace::Run;

namespace {

// The events an unfolded view of `step` must draw: the step's own, and the earlier ones they read.
std::set<int> expected_events(const Run& run, int step) {
  std::set<int> ids;
  for (const auto& e : run.events)
    if (e.step == step) {
      ids.insert(e.id);
      for (int in : e.inputs) ids.insert(in);
    }
  return ids;
}

std::set<int> drawn_events(const PaneView& p) {
  std::set<int> ids;
  for (const auto& n : p.nodes) ids.insert(n.event);
  return ids;
}

}  // namespace

TEST_CASE("the unfolded view lists exactly the step's tensors with their trace shapes") {
  AppState app = make_app();
  run(app, "unfold; prefill; step; step");
  for (Side s : {Side::Cached, Side::Uncached}) {
    const PaneView& p = pane(app, s);
    const Run& r = run_of(app, s);
    INFO(side_name(s));
    CHECK(drawn_events(p) == expected_events(r, p.step));
    CHECK(p.nodes.size() == drawn_events(p).size());
    for (const auto& n : p.nodes) {
      const auto& e = r.events.at(n.event);
      CHECK(n.name == e.name);
      CHECK(n.shape == kvscope::trace::comma_list(e.shape));
      CHECK(n.external == (e.step != p.step));
    }
  }
}

TEST_CASE("the folded view shows the chosen layer's tensors and one loop edge") {
  AppState app = make_app();
  run(app, "prefill; step; layer 1");
  const PaneView& p = pane(app, Side::Cached);
  const Run& r = run_of(app, Side::Cached);
  int loops = 0;
  for (const auto& e : p.edges) loops += !e.label.empty();
  CHECK(loops == 1);
  for (const auto& n : p.nodes) {
    const auto& e = r.events.at(n.event);
    if (e.layer >= 0 && !n.external) CHECK(e.layer == 1);
  }
  CHECK(node(app, Side::Cached, "query_states", 1) != nullptr);
}

TEST_CASE("stepping changes labels, never the layout") {
  AppState app = make_app(seed_tiny_spec(12));
  run(app, "prefill; step; step");
  const int layouts = app.layouts.layouts_computed();
  std::vector<Rect> rects;
  for (const auto& n : pane(app, Side::Cached).nodes) rects.push_back(n.rect);
  for (int k = 0; k < 8; ++k) run(app, "step");
  CHECK(app.layouts.layouts_computed() == layouts);
  const auto& nodes = pane(app, Side::Cached).nodes;
  REQUIRE(nodes.size() == rects.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    CHECK(nodes[i].rect.min.x == rects[i].min.x);
    CHECK(nodes[i].rect.min.y == rects[i].min.y);
  }
  CHECK(shape_of(app, Side::Cached, "pos_key_states") == std::vector<int64_t>{4, 14, 64});
}

TEST_CASE("a step marks the tensors whose shape changed; side by side marks what differs") {
  AppState app = make_app();
  run(app, "prefill; step; step; step");
  CHECK(node(app, Side::Cached, "pos_key_states")->changed);
  CHECK(node(app, Side::Cached, "attn_weights")->changed);
  CHECK_FALSE(node(app, Side::Cached, "query_states")->changed);    // [4, 1, 64] at every decode step
  CHECK(node(app, Side::Cached, "query_states")->differs);          // [4, 7, 64] on the uncached side
  CHECK(node(app, Side::Cached, "more_key_states")->differs);       // the uncached run has none
  CHECK_FALSE(node(app, Side::Cached, "pos_key_states")->differs);  // the whole history on both sides
}

TEST_CASE("hit testing finds the node under a point and nothing between nodes") {
  AppState app = make_app();
  run(app, "prefill; step");
  const PaneView& p = pane(app, Side::Cached);
  for (size_t i = 0; i < p.nodes.size(); ++i) CHECK(hit_test(p, p.nodes[i].rect.center()) == static_cast<int>(i));
  CHECK(hit_test(p, p.bounds.max + Vec2{50, 50}) == -1);
}

TEST_CASE("zooming keeps the point under the cursor; fitting shows the whole graph") {
  ViewTransform t;
  t.origin = {100, 50};
  t.zoom = 0.5f;
  const Vec2 screen{400, 300}, viewport_min{10, 20};
  const Vec2 before = t.to_graph(screen, viewport_min);
  t.zoom_at(1.7f, screen, viewport_min);
  const Vec2 after = t.to_graph(screen, viewport_min);
  CHECK(after.x == Approx(before.x));
  CHECK(after.y == Approx(before.y));
  const Rect bounds{{0, 0}, {2000, 5000}};
  t.fit(bounds, {800, 600});
  const Rect visible = t.visible({800, 600});
  CHECK(visible.min.x <= 0);
  CHECK(visible.min.y <= 0);
  CHECK(visible.max.x >= 2000);
  CHECK(visible.max.y >= 5000);
}

TEST_CASE("the unfolded openllama-3b seed scenario repeats one laid-out layer 26 times, within a second") {
  kvscope::app::RunSpec spec;
  spec.model = "openllama-3b";
  spec.prompt_len = 7;
  spec.new_tokens = 1;
  AppState app = make_app(spec);
  run(app, "prefill; step");
  const auto t0 = std::chrono::steady_clock::now();
  run(app, "unfold");
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  CHECK(ms < 1000);
  const PaneView& p = pane(app, Side::Cached);
  CHECK(p.layers == 26);
  CHECK(p.nodes.size() > 26 * 20);
  const NodeView* q0 = node(app, Side::Cached, "query_states", 0);
  const NodeView* q1 = node(app, Side::Cached, "query_states", 1);
  const NodeView* q25 = node(app, Side::Cached, "query_states", 25);
  REQUIRE((q0 && q1 && q25));
  const float pitch = q1->rect.min.y - q0->rect.min.y;
  CHECK(pitch > 0);
  CHECK(q25->rect.min.y == Approx(q0->rect.min.y + 25 * pitch));
  CHECK(q25->rect.min.x == q0->rect.min.x);
  const NodeView* logits = node(app, Side::Cached, "logits", -1);
  REQUIRE(logits);
  CHECK(logits->rect.min.y > q25->rect.max.y);
}

TEST_CASE("with the prefill step, a decode step is drawn in seed 000's two frames, still laid out once") {
  AppState app = make_app(seed_tiny_spec(8));
  run(app, "show-prefill on; prefill; step; step");
  const PaneView& p = pane(app, Side::Cached);
  REQUIRE(p.clusters.size() == 2);
  CHECK(p.clusters[0].title == "prefill with the first 4 tokens");
  const NodeView* prefill_keys = node(app, Side::Cached, "prefill_pos_key_states");
  REQUIRE(prefill_keys);
  CHECK_FALSE(prefill_keys->external);
  CHECK(node(app, Side::Cached, "pos_key_states"));
  const int layouts = app.layouts.layouts_computed();
  run(app, "step; step");
  CHECK(app.layouts.layouts_computed() == layouts);
  CHECK(pane(app, Side::Uncached).clusters.size() == 1);  // an uncached run has no prefill to add
}
