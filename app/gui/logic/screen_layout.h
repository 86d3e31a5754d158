#pragma once
// Where every panel sits in the window, computed from the window's size and the panels' state alone, so the
// graph panes' sizes are known before anything is drawn (script commands and tests need them) and the UI
// places its panels exactly there.
#include <array>

#include "app/gui/logic/geometry.h"

namespace kvscope::gui {

// What the user set: side panels shown or collapsed, and sizes dragged by their splitters (0: the default for
// the window's size).
struct PanelState {
  bool left_open = true, right_open = true, bottom_open = true;
  float left_w = 0, right_w = 0, bottom_h = 0;
  bool left_auto = true;  // the settings panel opens or closes with the window's width until the user toggles it
};

// Heights the UI measured on the last frame (they wrap with the width); before the first, estimates.
struct MeasuredHeights {
  float toolbar = 0, strip = 0;  // 0: estimated from the line height
};

struct ScreenLayout {
  Rect left, center, right, status;  // left or right is empty when collapsed
  Rect toolbar, strip;               // the top of the centre: run buttons, then the tokens
  int pane_count = 1;
  std::array<Rect, 2> titles, panes, metrics;  // by slot: the first pane shown, then the second side by side
  Rect bottom;                                 // the tabs below the panes (their bar only when collapsed)
  Rect left_splitter, right_splitter, bottom_splitter;
};

inline constexpr float kMinPaneWidth = 160, kMinPaneHeight = 120;

// `line` is the text line height in pixels (16 at scale 1), `frame` a button's height.
ScreenLayout screen_layout(Vec2 window, const PanelState& panels, const MeasuredHeights& measured, int pane_count,
                           float line, float frame);

// The default widths for a window of width `w`, which the splitters then change.
float default_left_width(float w);
float default_right_width(float w);
float default_bottom_height(float h);
// Whether the settings panel starts open: below this width the graph needs the room more.
bool settings_open_by_default(float w);

}  // namespace kvscope::gui
