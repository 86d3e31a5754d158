#include "app/gui/logic/view_transform.h"

#include <algorithm>

namespace kvscope::gui {

void ViewTransform::zoom_at(float factor, Vec2 screen, Vec2 viewport_min) {
  const Vec2 anchor = to_graph(screen, viewport_min);
  zoom = std::clamp(zoom * factor, kMinZoom, kMaxZoom);
  origin = anchor - (screen - viewport_min) * (1.0f / zoom);
}

void ViewTransform::fit_readable(const Rect& bounds, Vec2 viewport_size, float min_zoom, float column_x) {
  fit(bounds, viewport_size);
  if (zoom > kMaxFitZoom) zoom = kMaxFitZoom;
  else if (zoom >= min_zoom) return;
  else zoom = min_zoom;
  constexpr float kMargin = 20;
  const Vec2 visible_size = viewport_size * (1.0f / zoom);
  origin.x = bounds.width() * zoom <= viewport_size.x - 2 * kMargin ? bounds.center().x - visible_size.x / 2
                                                                    : column_x - visible_size.x / 2;
  origin.y = bounds.height() <= visible_size.y - 2 * kMargin / zoom ? bounds.center().y - visible_size.y / 2
                                                                    : bounds.min.y - kMargin / zoom;
}

void ViewTransform::fit(const Rect& bounds, Vec2 viewport_size) {
  constexpr float kMargin = 20;
  const float w = std::max(bounds.width(), 1.0f), h = std::max(bounds.height(), 1.0f);
  zoom = std::clamp(std::min((viewport_size.x - 2 * kMargin) / w, (viewport_size.y - 2 * kMargin) / h), kMinZoom,
                    kMaxZoom);
  const Vec2 visible_size = viewport_size * (1.0f / zoom);
  origin = bounds.center() - visible_size * 0.5f;
}

}  // namespace kvscope::gui
