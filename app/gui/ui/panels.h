#pragma once
// One function per panel. Panels draw the AppState and turn clicks into calls of its functions;
// the state and every decision live in app/gui/logic.
#include <string>

#include <imgui.h>

#include "app/gui/logic/app_state.h"
#include "app/gui/logic/ui_text.h"
#include "app/gui/ui/fonts.h"

namespace kvscope::gui {

// Edit buffers of the widgets: what the user is typing, before it becomes a command.
struct UiState {
  std::string model_dir;
  size_t tokens_shown = 0;                  // the token strip scrolls to the newest token when this changes
  float chips_height = 0, text_height = 0;  // what the token strip's boxes held last frame: their next heights
  int run_to = 10;
  std::string export_path = "kvscope-graph.mmd";
  int export_format = 0;                    // index into kExportFormats
  ImVec2 graph_min{0, 0}, graph_max{0, 0};  // the graph panes on screen, for PNG export
  std::string search;                       // the find field
  bool find_list_hovered = false;           // its completions stay open while the pointer is on them
  bool dark_applied = false;                // the theme ImGui's colours were last set to
};
inline constexpr const char* kExportFormats[] = {"mermaid", "dot", "json", "png"};

// The logic's screen points (app/gui/logic/geometry.h) as ImGui takes them.
inline ImVec2 im(Vec2 v) { return {v.x, v.y}; }

void draw_app(AppState& app, UiState& ui, Fonts& fonts);
// The window while the first model loads: what it does, a progress bar, Cancel. Returns whether Cancel was clicked.
bool draw_load_screen(const JobStatus& status);

void draw_model_controls(AppState& app, UiState& ui);
void draw_toolbar(AppState& app, UiState& ui);  // run buttons, view mode, find, panel toggles
void draw_pane_title(const AppState& app, Side side, const Rect& r);
void draw_help(AppState& app);  // the help overlay, when open
void draw_view_controls(AppState& app);
void draw_legend(const AppState& app);
void draw_export_controls(AppState& app, UiState& ui);
void draw_token_strip(const AppState& app, UiState& ui);
void draw_graph_pane(AppState& app, Side side, Fonts& fonts, ImVec2 size);
void draw_step_metrics(const AppState& app, Side side, float width);
void draw_work_plots(AppState& app, ImVec2 size);  // starts the timing replays
void draw_inspector(AppState& app);
// The cache of the shown step: layers x positions, rows written and read (panel_kv_cache.cpp).
void draw_kv_cache_panel(const AppState& app, ImVec2 size);

// Runs a panel's action, turning a failure into the status line instead of an exception.
template <typename F>
void attempt(AppState& app, F&& action) {
  try {
    action();
  } catch (const std::exception& e) {
    app.status = in_app_words(e.what());
    app.status_error = true;
  }
}

inline ImU32 rgba(int r, int g, int b, int a = 255) { return IM_COL32(r, g, b, a); }

}  // namespace kvscope::gui
