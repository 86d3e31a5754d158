#pragma once
// Plain 2-D geometry for the graph view, in graph units (1 unit = 1 pixel at zoom 1), y pointing down.
#include <algorithm>

namespace kvscope::gui {

struct Vec2 {
  float x = 0, y = 0;
};
inline Vec2 operator+(Vec2 a, Vec2 b) { return {a.x + b.x, a.y + b.y}; }
inline Vec2 operator-(Vec2 a, Vec2 b) { return {a.x - b.x, a.y - b.y}; }
inline Vec2 operator*(Vec2 a, float s) { return {a.x * s, a.y * s}; }

struct Rect {
  Vec2 min, max;
  float width() const { return max.x - min.x; }
  float height() const { return max.y - min.y; }
  Vec2 center() const { return {(min.x + max.x) / 2, (min.y + max.y) / 2}; }
  bool contains(Vec2 p) const { return p.x >= min.x && p.x <= max.x && p.y >= min.y && p.y <= max.y; }
  bool overlaps(const Rect& o) const {
    return min.x <= o.max.x && o.min.x <= max.x && min.y <= o.max.y && o.min.y <= max.y;
  }
  static Rect around(Vec2 c, Vec2 size) {
    return {{c.x - size.x / 2, c.y - size.y / 2}, {c.x + size.x / 2, c.y + size.y / 2}};
  }
  Rect united(const Rect& o) const {
    return {{std::min(min.x, o.min.x), std::min(min.y, o.min.y)}, {std::max(max.x, o.max.x), std::max(max.y, o.max.y)}};
  }
};

}  // namespace kvscope::gui
