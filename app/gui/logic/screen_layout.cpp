#include "app/gui/logic/screen_layout.h"

#include <algorithm>

namespace kvscope::gui {

namespace {

constexpr float kPad = 8, kGap = 8;

Rect rect(float x, float y, float w, float h) { return {{x, y}, {x + std::max(w, 0.0f), y + std::max(h, 0.0f)}}; }

}  // namespace

float default_left_width(float w) { return std::clamp(w * 0.2f, 270.0f, 340.0f); }
float default_right_width(float w) { return std::clamp(w * 0.25f, 250.0f, 460.0f); }
float default_bottom_height(float h) { return std::clamp(h * 0.27f, 150.0f, 280.0f); }
bool settings_open_by_default(float w) { return w >= 1200; }

ScreenLayout screen_layout(Vec2 window, const PanelState& panels, const MeasuredHeights& measured, int pane_count,
                           float line, float frame) {
  ScreenLayout s;
  s.pane_count = pane_count;
  const float status_h = line + 8;
  s.status = rect(0, window.y - status_h, window.x, status_h);
  const float top = kPad, bottom = s.status.min.y - kGap;

  // Side panels give way first: the panes keep at least their minimum width.
  const float need = pane_count * kMinPaneWidth + (pane_count - 1) * kGap;
  float left_w = panels.left_open ? (panels.left_w > 0 ? panels.left_w : default_left_width(window.x)) : 0;
  float right_w = panels.right_open ? (panels.right_w > 0 ? panels.right_w : default_right_width(window.x)) : 0;
  const float room = window.x - 2 * kPad - (left_w > 0 ? kGap : 0) - (right_w > 0 ? kGap : 0);
  if (left_w + right_w > room - need) {
    const float over = left_w + right_w - std::max(room - need, 0.0f);
    const float total = std::max(left_w + right_w, 1.0f);
    left_w -= over * left_w / total;
    right_w -= over * right_w / total;
  }
  s.left = rect(kPad, top, left_w, bottom - top);
  s.right = rect(window.x - kPad - right_w, top, right_w, bottom - top);
  const float cx = left_w > 0 ? s.left.max.x + kGap : kPad;
  const float cw = (right_w > 0 ? s.right.min.x - kGap : window.x - kPad) - cx;
  s.center = rect(cx, top, cw, bottom - top);
  s.left_splitter = rect(s.left.max.x, top, left_w > 0 ? kGap : 0, bottom - top);
  s.right_splitter = rect(s.right.min.x - kGap, top, right_w > 0 ? kGap : 0, bottom - top);

  const float toolbar_h = measured.toolbar > 0 ? measured.toolbar : frame + 4;
  const float strip_h = measured.strip > 0 ? measured.strip : 3 * line + 12;
  s.toolbar = rect(cx, top, cw, toolbar_h);
  s.strip = rect(cx, s.toolbar.max.y + 4, cw, strip_h);

  const float tab_bar = frame + 4;
  float bottom_h = panels.bottom_open ? (panels.bottom_h > 0 ? panels.bottom_h : default_bottom_height(window.y))
                                      : tab_bar;
  const float title_h = line + 6, metrics_h = line + 6;
  const float panes_top = s.strip.max.y + 4;
  const float pane_room = bottom - panes_top - title_h - metrics_h - kGap;
  bottom_h = std::clamp(bottom_h, tab_bar, std::max(tab_bar, pane_room - kMinPaneHeight));
  s.bottom = rect(cx, bottom - bottom_h, cw, bottom_h);
  s.bottom_splitter = rect(cx, s.bottom.min.y - kGap, cw, panels.bottom_open ? kGap : 0);

  const float pane_h = s.bottom.min.y - kGap - panes_top - title_h - metrics_h;
  const float pane_w = (cw - (pane_count - 1) * kGap) / pane_count;
  for (int i = 0; i < pane_count; ++i) {
    const float x = cx + i * (pane_w + kGap);
    s.titles[i] = rect(x, panes_top, pane_w, title_h);
    s.panes[i] = rect(x, panes_top + title_h, pane_w, pane_h);
    s.metrics[i] = rect(x, s.panes[i].max.y, pane_w, metrics_h);
  }
  return s;
}

}  // namespace kvscope::gui
