#include <algorithm>

#include "app/gui/ui/panels.h"

namespace kvscope::gui {

namespace {

void handle_keys(AppState& app) {
  const ImGuiIO& io = ImGui::GetIO();
  if (io.WantTextInput) return;
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Space))) attempt(app, [&] { do_step(app); });
  if (ImGui::IsKeyPressed('R')) attempt(app, [&] { do_reset(app); });
  if (ImGui::IsKeyPressed('F')) {
    app.fit_requested = true;
  }
}

// Below the panes: the KV cache panel and the work charts, one at a time.
void draw_bottom_tabs(AppState& app, ImVec2 size) {
  if (!ImGui::BeginTabBar("bottom")) return;
  const float tab_h = ImGui::GetFrameHeightWithSpacing();
  if (ImGui::BeginTabItem(tr("KV cache"))) {
    draw_kv_cache_panel(app, {size.x, size.y - tab_h});
    ImGui::EndTabItem();
  }
  if (ImGui::BeginTabItem(tr("Work"))) {
    draw_work_plots(app, {size.x, size.y - tab_h});
    ImGui::EndTabItem();
  }
  ImGui::EndTabBar();
}

}  // namespace

void draw_app(AppState& app, UiState& ui, Fonts& fonts) {
  handle_keys(app);
  refresh(app);  // the token strip draws before the panes
  const ImGuiIO& io = ImGui::GetIO();
  const float s = ImGui::GetFontSize() / 16.0f;
  ImGui::SetNextWindowPos({0, 0});
  ImGui::SetNextWindowSize(io.DisplaySize);
  ImGui::Begin("kvscope", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize |
                   ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoSavedSettings);

  // Side panels give up width in a small window, so the graph keeps at least about 40% of it; in a large one the
  // inspector grows too, for a larger heatmap.
  const float left_w = std::min(310 * s, io.DisplaySize.x * 0.28f);
  const float right_w = std::min(std::max(360 * s, io.DisplaySize.x * 0.22f), io.DisplaySize.x * 0.3f);
  ImGui::BeginChild("controls", {left_w, 0}, true);
  ImGui::PushItemWidth(-ImGui::GetFontSize() * 6.5f);  // room for the labels, however narrow the panel
  draw_model_controls(app, ui);
  ImGui::Separator();
  draw_run_controls(app, ui);
  ImGui::Separator();
  draw_view_controls(app);
  ImGui::Separator();
  draw_export_controls(app, ui);
  ImGui::Separator();
  draw_legend(app);
  if (!fonts.note().empty()) ImGui::TextColored({0.7f, 0.3f, 0.0f, 1}, "%s", fonts.note().c_str());
  ImGui::PopItemWidth();
  ImGui::EndChild();

  ImGui::SameLine();
  const float center_w = ImGui::GetContentRegionAvail().x - right_w - ImGui::GetStyle().ItemSpacing.x;
  ImGui::BeginChild("center", {center_w, 0}, false);
  draw_token_strip(app, ui);
  const float plots_h = std::min(190 * s, io.DisplaySize.y * 0.22f);
  const float metrics_h = ImGui::GetTextLineHeightWithSpacing();
  ImVec2 avail = ImGui::GetContentRegionAvail();
  const bool both = app.mode == ViewMode::Compare;
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  ImVec2 pane_size{both ? (avail.x - gap) / 2 : avail.x,
                   avail.y - plots_h - metrics_h - ImGui::GetStyle().ItemSpacing.y * 2};
  ui.graph_min = ImGui::GetCursorScreenPos();
  app.viewport_size = {pane_size.x, pane_size.y};
  refresh(app);
  fit_if_requested(app);
  const Side first = app.mode == ViewMode::Uncached ? Side::Uncached : Side::Cached;
  ImGui::BeginGroup();
  draw_graph_pane(app, first, fonts, pane_size);
  draw_step_metrics(app, first, pane_size.x);
  ImGui::EndGroup();
  if (both) {
    ImGui::SameLine();
    ImGui::BeginGroup();
    draw_graph_pane(app, Side::Uncached, fonts, pane_size);
    draw_step_metrics(app, Side::Uncached, pane_size.x);
    ImGui::EndGroup();
  }
  ui.graph_max = {ui.graph_min.x + avail.x, ui.graph_min.y + pane_size.y};
  draw_bottom_tabs(app, {avail.x, plots_h});
  ImGui::EndChild();

  ImGui::SameLine();
  ImGui::BeginChild("inspector", {0, 0}, true);
  draw_inspector(app);
  ImGui::EndChild();
  ImGui::End();
}

}  // namespace kvscope::gui
