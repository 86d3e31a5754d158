#pragma once
// Pan and zoom of a graph pane: graph units to screen pixels and back. Side-by-side panes share one.
#include "app/gui/logic/geometry.h"

namespace kvscope::gui {

struct ViewTransform {
  Vec2 origin;        // the graph point at the viewport's top-left corner
  float zoom = 1.0f;  // screen pixels per graph unit

  Vec2 to_screen(Vec2 graph, Vec2 viewport_min) const { return viewport_min + (graph - origin) * zoom; }
  Vec2 to_graph(Vec2 screen, Vec2 viewport_min) const { return origin + (screen - viewport_min) * (1.0f / zoom); }
  Rect visible(Vec2 viewport_size) const { return {origin, origin + viewport_size * (1.0f / zoom)}; }

  void pan_by_pixels(Vec2 delta) { origin = origin - delta * (1.0f / zoom); }
  // Keeps the graph point under `screen` where it is.
  void zoom_at(float factor, Vec2 screen, Vec2 viewport_min);
  // The whole of `bounds` visible and centred, with a margin.
  void fit(const Rect& bounds, Vec2 viewport_size);
  // As fit, but never below `min_zoom` (nor above kMaxFitZoom): a graph too large to show whole at that zoom
  // shows its top, across centred on `column_x` (where the graph's main column runs).
  void fit_readable(const Rect& bounds, Vec2 viewport_size, float min_zoom, float column_x);
};

inline constexpr float kMinZoom = 0.004f, kMaxZoom = 8.0f;
// A small graph is fitted no larger than this: bigger boxes show nothing more.
inline constexpr float kMaxFitZoom = 1.6f;

}  // namespace kvscope::gui
