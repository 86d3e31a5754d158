// What a learner sees at each window size, through the view model: label sizes, where the panes sit, what the
// panes and marks say, and that the inspector follows its tensor.
#include <catch2/catch.hpp>

#include <regex>

#include "app/gui/logic/search.h"
#include "app/gui/logic/tooltips.h"
#include "gui_test_helpers.h"

using namespace kvscope::gui;
using namespace kvscope::gui::testing;

namespace {

constexpr Vec2 kSizes[] = {{1024, 640}, {1280, 720}, {1600, 1000}, {1920, 1080}};

std::string size_name(Vec2 s) {
  return std::to_string(static_cast<int>(s.x)) + "x" + std::to_string(static_cast<int>(s.y));
}

// The nodes of side `s` at least partly inside its pane.
std::vector<const NodeView*> visible_nodes(const AppState& app, Side s) {
  const Rect r = pane_rect(app, s);
  const Rect seen = app.cameras[static_cast<size_t>(s)].visible({r.width(), r.height()});
  std::vector<const NodeView*> out;
  for (const auto& n : pane(app, s).nodes)
    if (n.rect.overlaps(seen)) out.push_back(&n);
  return out;
}

// Every shown pane draws its labels at kReadableLabelPixels or more, and shows nodes whose names fit their boxes.
void check_readable(const AppState& app) {
  for (Side s : shown_sides(app)) {
    INFO(side_name(s));
    CHECK(label_pixels(app, s) >= kReadableLabelPixels - 1e-3f);
    const auto seen = visible_nodes(app, s);
    CHECK(seen.size() >= 3);
    for (const NodeView* n : seen) CHECK(app.metrics.width(n->name) <= n->rect.width());
  }
}

AppState opened_at(Vec2 size, const std::string& script) {
  AppState app = make_app(kjv_spec());
  set_window_size(app, size);
  run(app, script);
  fit_if_requested(app);
  return app;
}

}  // namespace

TEST_CASE("every view a user lands on draws node names at 11 px or more, at every common window size") {
  for (Vec2 size : kSizes) {
    INFO(size_name(size));
    AppState app = opened_at(size, "view cached; prefill; step 2");
    check_readable(app);
    run(app, "view compare");  // the default view
    fit_if_requested(app);
    check_readable(app);
    run(app, "model kjv-char; prefill; step");  // after Load
    fit_if_requested(app);
    check_readable(app);
    run(app, "unfold; fit");
    fit_if_requested(app);
    check_readable(app);
    set_window_size(app, {size.x * 0.8f, size.y * 0.9f});  // after a resize
    fit_if_requested(app);
    check_readable(app);
  }
}

TEST_CASE("a graph that fits at a readable zoom is shown whole, no larger than kMaxFitZoom") {
  AppState app = opened_at({1920, 1080}, "view cached");  // nothing run yet: the pane is empty
  CHECK(label_pixels(app, Side::Cached) <= app.metrics.font_px * kMaxFitZoom + 1e-3f);
  ViewTransform t;
  t.fit_readable({{0, 0}, {100, 100}}, {800, 600}, 0.8f, 50);
  CHECK(t.zoom == Approx(kMaxFitZoom));
  t.fit_readable({{0, 0}, {3000, 9000}}, {800, 600}, 0.8f, 1200);
  CHECK(t.zoom == Approx(0.8f));
  CHECK(t.origin.y < 0);                                         // the top of the graph, with a margin
  CHECK(t.origin.x + 800 / 0.8f / 2 == Approx(1200).margin(1));  // across, centred on the main column
}

TEST_CASE("side by side, both panes sit next to each other inside the window from 1024x640 up") {
  for (Vec2 size : kSizes)
    for (bool panels : {true, false}) {
      INFO(size_name(size) << (panels ? " with" : " without") << " side panels");
      AppState app = opened_at(size, "view compare; prefill; step 3");
      app.panels.left_open = app.panels.right_open = panels;
      const Rect a = pane_rect(app, Side::Cached), b = pane_rect(app, Side::Uncached);
      CHECK(a.width() >= kMinPaneWidth);
      CHECK(b.width() == Approx(a.width()));
      CHECK(b.min.y == a.min.y);
      CHECK(b.min.x > a.max.x);
      CHECK(b.min.x - a.max.x <= 12);
      CHECK(b.max.x <= size.x);
      CHECK(a.height() >= kMinPaneHeight);
      const ScreenLayout l = layout_of(app);
      CHECK(l.status.max.y == Approx(size.y));  // the status bar: fixed at the bottom, never pushing panels
      CHECK(a.max.y < l.bottom.min.y);
      if (panels) CHECK(l.right.min.x > b.max.x);
    }
}

TEST_CASE("the settings panel starts collapsed in a small window and can be opened; splitters resize panels") {
  AppState small = opened_at({1024, 640}, "");
  CHECK_FALSE(small.panels.left_open);
  CHECK(layout_of(small).left.width() == 0);
  run(small, "panel settings on");
  CHECK(layout_of(small).left.width() > 200);
  CHECK(pane_rect(small, Side::Cached).width() >= kMinPaneWidth);  // side panels give way first
  AppState large = opened_at({1920, 1080}, "");
  CHECK(large.panels.left_open);
  large.panels.right_w = 600;
  CHECK(layout_of(large).right.width() == Approx(600));
}

TEST_CASE("the inspector follows the selected tensor across steps, with its outline") {
  AppState app = make_app();
  run(app, "view cached; prefill; step; select attn_weights; step; step");
  REQUIRE(app.inspector);
  const auto& e = run_of(app, Side::Cached).events.at(static_cast<size_t>(app.selection.event));
  CHECK(e.name == "attn_weights");
  CHECK(e.step == app.session->current_step(Side::Cached));
  CHECK(e.shape == std::vector<int64_t>{4, 1, 7});  // seed 004: 4 prompt tokens prefilled, 3 decode steps
  CHECK(app.inspector->event == app.selection.event);
  CHECK(node(app, Side::Cached, "attn_weights")->event == app.selection.event);  // the outlined node
  run(app, "layer 1");
  CHECK(run_of(app, Side::Cached).events.at(static_cast<size_t>(app.selection.event)).layer == 0);
}

TEST_CASE("show the counterpart selects nothing new but outlines and centres the same tensor on the other side") {
  AppState app = make_app();
  set_window_size(app, {1280, 720});
  run(app, "prefill; step 2; select attn_weights; counterpart");
  REQUIRE(app.counterpart.event >= 0);
  CHECK(app.counterpart.side == Side::Uncached);
  const auto& e = run_of(app, Side::Uncached).events.at(static_cast<size_t>(app.counterpart.event));
  CHECK(e.key == "attn_weights");
  const ViewTransform& cam = app.cameras[static_cast<size_t>(Side::Uncached)];
  const Rect r = pane_rect(app, Side::Uncached);
  const Vec2 centre = cam.origin + Vec2{r.width(), r.height()} * (0.5f / cam.zoom);
  const NodeView* n = node(app, Side::Uncached, "attn_weights");
  CHECK(n->rect.contains(centre));
  run(app, "step");  // followed across the step too
  CHECK(run_of(app, Side::Uncached).events.at(static_cast<size_t>(app.counterpart.event)).step ==
        app.session->current_step(Side::Uncached));
  run(app, "select causal_mask");  // only the uncached run has a mask at a decode step
  CHECK_THROWS_WITH(run(app, "counterpart"), Catch::Contains("cached run has no"));
}

TEST_CASE("both panes are named by the generated token their step predicts, in the same words") {
  AppState app = make_app(kjv_spec(16));
  run(app, "prefill; step 9");
  const std::string cached = pane_heading(run_of(app, Side::Cached), pane(app, Side::Cached), false, "cached", true);
  const std::string uncached = pane_heading(run_of(app, Side::Uncached), pane(app, Side::Uncached), false, "uncached",
                                            true);
  const std::regex token("predicts token (\\d+) (\"[^\"]*\")");
  std::smatch a, b;
  REQUIRE(std::regex_search(cached, a, token));
  REQUIRE(std::regex_search(uncached, b, token));
  CHECK(a[1] == "9");  // the prefill fills the cache; each step predicts one token
  CHECK(a[1] == b[1]);
  CHECK(a[2] == b[2]);
  CHECK(app.session->current_step(Side::Cached) != app.session->current_step(Side::Uncached));
}

TEST_CASE("side by side, only tensors whose shapes differ are marked, with the difference in words") {
  AppState app = make_app();
  run(app, "prefill; step; step; step");
  const NodeView* q = node(app, Side::Cached, "query_states");
  CHECK(q->differs);
  CHECK(q->difference == "predicted tokens 1 vs 7");
  CHECK(q->differing_axes == std::vector<int>{1});
  CHECK(node(app, Side::Uncached, "query_states")->difference == "all tokens 7 vs 1");
  CHECK_FALSE(node(app, Side::Cached, "pos_key_states")->differs);  // the whole history on both sides
  CHECK_FALSE(node(app, Side::Uncached, "causal_mask")->differs);   // the cached decode step has no mask
  int marked = 0, matched = 0;
  for (const auto& n : pane(app, Side::Cached).nodes) {
    marked += n.differs;
    matched += find_node_by_key(pane(app, Side::Uncached), n.key, n.layer, n.external) >= 0;
    if (n.differs) CHECK(n.difference.find(" vs ") != std::string::npos);
  }
  CHECK(marked < matched);
}

TEST_CASE("what changed since the previous step stays marked until the next step, in words") {
  AppState app = make_app();
  run(app, "view cached; prefill; step");
  // The first decode step is another graph than the prefill: nothing is marked, the heading's note says why.
  for (const auto& n : pane(app, Side::Cached).nodes) CHECK_FALSE(n.changed);
  CHECK(pane(app, Side::Cached).change_note.find("decode") != std::string::npos);
  run(app, "step");
  const NodeView* w = node(app, Side::Cached, "attn_weights");
  CHECK(w->changed);
  CHECK(w->change == "[4, 1, 5] → [4, 1, 6]");
  CHECK_FALSE(node(app, Side::Cached, "query_states")->changed);
  int changed = 0;
  for (const auto& n : pane(app, Side::Cached).nodes) changed += n.changed;
  CHECK(changed < static_cast<int>(pane(app, Side::Cached).nodes.size()) / 2);
  // Time and other view changes do not clear the marks; only the next step replaces them.
  tick(app, 10.0);
  run(app, "labels zh; labels en");
  CHECK(node(app, Side::Cached, "attn_weights")->changed);
}

TEST_CASE("a model forced into meta mode shows meta ticked, no generated tokens and no token in the headings") {
  kvscope::app::RunSpec spec;
  spec.model = "openllama-3b";
  spec.prompt_len = 7;
  spec.new_tokens = 2;
  AppState app = make_app(spec);
  CHECK(app.pending.meta);
  run(app, "prefill; step");
  for (const TokenView& t : app.strip.tokens) CHECK_FALSE(t.generated);
  const std::string heading = pane_heading(run_of(app, Side::Cached), pane(app, Side::Cached), app.session->meta(),
                                           "cached", true);
  CHECK(heading.find("predicts token 1") != std::string::npos);
  CHECK(heading.find('"') == std::string::npos);
}

TEST_CASE("find offers the drawn tensors that contain the typed text, prefixes first") {
  AppState app = make_app();
  run(app, "prefill; step");
  const auto matches = find_tensors(app, "KEY");
  REQUIRE(matches.size() >= 2);
  CHECK(matches.front().name.rfind("key", 0) == 0);
  for (const auto& m : matches) CHECK(m.name.find("key") != std::string::npos);
  CHECK(find_tensors(app, "no such tensor").empty());
}

TEST_CASE("hovering explains: a node's op formula, a change and a difference; an edge's tensor and cache role") {
  AppState app = make_app();
  run(app, "prefill; step; step");
  const NodeView* w = node(app, Side::Cached, "attn_weights");
  const std::string tip = node_tooltip(run_of(app, Side::Cached), *w, kvscope::trace::Labels::En, "uncached run");
  CHECK(tip.find("softmax") != std::string::npos);
  CHECK(tip.find("changed since the previous step: [4, 1, 5] → [4, 1, 6]") != std::string::npos);
  CHECK(tip.find("differs from the uncached run: predicted tokens 1 vs 6") != std::string::npos);
  const PaneView& p = pane(app, Side::Cached);
  int cache_edges = 0;
  for (const auto& e : p.edges) {
    const std::string t = edge_tooltip(run_of(app, Side::Cached), p, e);
    CHECK(t.find(" → ") != std::string::npos);
    if (!e.cache_role.empty()) {
      ++cache_edges;
      CHECK(t.find("KV cache: " + e.cache_role) != std::string::npos);
    }
  }
  CHECK(cache_edges >= 2);
}

TEST_CASE("errors in the app name its fields, not the command line's flags") {
  CHECK(in_app_words("--prompt: token id 500 is beyond the vocabulary") ==
        "the prompt: token id 500 is beyond the vocabulary");
  CHECK(in_app_words("--prompt-len must be at least 1") == "prompt len must be at least 1");
  CHECK(in_app_words("--batch must be at least 1, got 0") == "batch must be at least 1, got 0");
}

TEST_CASE("reset clears the status line; the status never moves the panels") {
  AppState app = make_app();
  set_window_size(app, {1280, 720});
  const Rect before = pane_rect(app, Side::Cached);
  app.status = std::string(500, 'x');
  app.status_error = true;
  CHECK(pane_rect(app, Side::Cached).min.y == before.min.y);
  run(app, "reset");
  CHECK(app.status.empty());
}
