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

}  // namespace

void draw_app(AppState& app, UiState& ui, Fonts& fonts) {
  handle_keys(app);
  const ImGuiIO& io = ImGui::GetIO();
  const float s = ImGui::GetFontSize() / 16.0f;
  ImGui::SetNextWindowPos({0, 0});
  ImGui::SetNextWindowSize(io.DisplaySize);
  ImGui::Begin("kvscope", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize |
                   ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoSavedSettings);

  const float left_w = 310 * s, right_w = 360 * s;
  ImGui::BeginChild("controls", {left_w, 0}, true);
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
  ImGui::EndChild();

  ImGui::SameLine();
  const float center_w = ImGui::GetContentRegionAvail().x - right_w - ImGui::GetStyle().ItemSpacing.x;
  ImGui::BeginChild("center", {center_w, 0}, false);
  draw_token_strip(app);
  const float plots_h = 190 * s;
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
  draw_step_metrics(app, first);
  ImGui::EndGroup();
  if (both) {
    ImGui::SameLine();
    ImGui::BeginGroup();
    draw_graph_pane(app, Side::Uncached, fonts, pane_size);
    draw_step_metrics(app, Side::Uncached);
    ImGui::EndGroup();
  }
  ui.graph_max = {ui.graph_min.x + avail.x, ui.graph_min.y + pane_size.y};
  draw_work_plots(app, {avail.x, plots_h});
  ImGui::EndChild();

  ImGui::SameLine();
  ImGui::BeginChild("inspector", {0, 0}, true);
  draw_inspector(app);
  ImGui::EndChild();
  ImGui::End();
}

}  // namespace kvscope::gui
