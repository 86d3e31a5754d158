#include <catch2/catch.hpp>

#include "app/gui/logic/graph_layout.h"

using namespace kvscope::gui;

namespace {
// a -> b -> c, a -> c, with b and c in one cluster and a labelled back edge c -> b.
LayoutInput diamond() {
  LayoutInput in;
  in.clusters = {{"layer", "one layer"}};
  in.nodes = {{"a", {120, 50}, -1}, {"b", {160, 50}, 0}, {"c", {100, 50}, 0}};
  in.edges = {{0, 1, ""}, {1, 2, ""}, {0, 2, ""}, {2, 1, "repeat 2x"}};
  return in;
}
}  // namespace

TEST_CASE("dot places nodes top to bottom in dependency order, without overlap, inside their cluster") {
  const LayoutInput in = diamond();
  const Layout l = layout_with_dot(in);
  REQUIRE(l.centers.size() == 3);
  CHECK(l.centers[0].y < l.centers[1].y);
  CHECK(l.centers[1].y < l.centers[2].y);
  for (size_t i = 0; i < 3; ++i)
    for (size_t j = i + 1; j < 3; ++j)
      CHECK_FALSE(Rect::around(l.centers[i], in.nodes[i].size).overlaps(Rect::around(l.centers[j], in.nodes[j].size)));
  REQUIRE(l.cluster_boxes.size() == 1);
  CHECK(l.cluster_boxes[0].contains(l.centers[1]));
  CHECK(l.cluster_boxes[0].contains(l.centers[2]));
  CHECK_FALSE(l.cluster_boxes[0].contains(l.centers[0]));
  for (const Vec2& c : l.centers) CHECK(l.bounds.contains(c));
}

TEST_CASE("every edge gets a cubic route from its tail to its head") {
  const LayoutInput in = diamond();
  const Layout l = layout_with_dot(in);
  REQUIRE(l.edge_paths.size() == in.edges.size());
  for (size_t i = 0; i < in.edges.size(); ++i) {
    const auto& p = l.edge_paths[i];
    REQUIRE(p.size() >= 4);
    CHECK((p.size() - 1) % 3 == 0);
    const Rect from = Rect::around(l.centers[in.edges[i].from], in.nodes[in.edges[i].from].size);
    const Rect to = Rect::around(l.centers[in.edges[i].to], in.nodes[in.edges[i].to].size);
    auto near = [](const Rect& r, Vec2 v) { return Rect{r.min - Vec2{2, 2}, r.max + Vec2{2, 2}}.contains(v); };
    CHECK(near(from, p.front()));
    CHECK(near(to, p.back()));
  }
}

TEST_CASE("the cache lays out a structure once, whatever labels change") {
  LayoutCache cache;
  LayoutInput in = diamond();
  cache.get(in);
  in.clusters[0].title = "one layer, step 7";  // titles name the step; keys do not
  cache.get(in);
  CHECK(cache.layouts_computed() == 1);
  in.nodes[1].size.x = 300;
  cache.get(in);
  CHECK(cache.layouts_computed() == 2);
}
