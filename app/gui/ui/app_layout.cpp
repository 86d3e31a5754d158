#include <algorithm>

#include "app/gui/ui/panels.h"

namespace kvscope::gui {

namespace {

ImVec2 size_of(const Rect& r) { return {r.width(), r.height()}; }

void handle_keys(AppState& app) {
  const ImGuiIO& io = ImGui::GetIO();
  if (io.WantTextInput) return;
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Space))) attempt(app, [&] { do_step(app); });
  if (ImGui::IsKeyPressed('R') && !model_busy(app)) attempt(app, [&] { do_reset(app); });
  if (ImGui::IsKeyPressed('F')) app.fit_requested = true;
  if (ImGui::IsKeyPressed('C')) attempt(app, [&] { show_counterpart(app); });
  if (io.InputQueueCharacters.contains('?')) app.help_open = !app.help_open;
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape))) app.help_open = false;
}

// A child window exactly on `r`.
bool begin_region(const char* id, const Rect& r, bool border, ImGuiWindowFlags flags = 0) {
  ImGui::SetCursorScreenPos(im(r.min));
  return ImGui::BeginChild(id, size_of(r), border, flags);
}

// A drag handle between panels; `value` moves with the mouse along x (`axis` 0) or y (1), times `sign`.
void splitter(const char* id, const Rect& r, int axis, float sign, float& value, float current, AppState& app) {
  if (r.width() <= 0 || r.height() <= 0) return;
  ImGui::SetCursorScreenPos(im(r.min));
  ImGui::InvisibleButton(id, size_of(r));
  const bool active = ImGui::IsItemActive();
  if (ImGui::IsItemHovered() || active)
    ImGui::SetMouseCursor(axis == 0 ? ImGuiMouseCursor_ResizeEW : ImGuiMouseCursor_ResizeNS);
  if (active) {
    const ImVec2 d = ImGui::GetIO().MouseDelta;
    const float delta = axis == 0 ? d.x : d.y;
    if (delta != 0) {
      value = std::max(current + sign * delta, 60.0f);
      app.fit_requested = true;
    }
  }
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tr("Drag to resize"));
}

// Below the panes: the KV cache panel and the work charts, one at a time.
void draw_bottom_tabs(AppState& app, const Rect& r) {
  begin_region("bottom", r, false, ImGuiWindowFlags_NoScrollbar);
  if (ImGui::BeginTabBar("bottom_tabs")) {
    // Inside a tab item the cursor is below the tab bar: what is left is the content's.
    auto content = [] {
      const ImVec2 avail = ImGui::GetContentRegionAvail();
      return ImVec2{avail.x, std::max(avail.y, 1.0f)};
    };
    const BottomTab chosen = app.bottom_tab;
    auto tab = [&](const char* label, BottomTab which) {
      const ImGuiTabItemFlags flags = which == chosen ? ImGuiTabItemFlags_SetSelected : 0;
      const bool open = ImGui::BeginTabItem(label, nullptr, flags);
      if (ImGui::IsItemClicked()) app.bottom_tab = which;
      return open;
    };
    if (tab(tr("KV cache"), BottomTab::KvCache)) {
      if (app.panels.bottom_open) draw_kv_cache_panel(app, content());
      ImGui::EndTabItem();
    }
    if (tab(tr("Work"), BottomTab::Work)) {
      if (app.panels.bottom_open) draw_work_plots(app, content());
      ImGui::EndTabItem();
    }
    if (ImGui::TabItemButton(app.panels.bottom_open ? tr("Hide") : tr("Show"), ImGuiTabItemFlags_Trailing)) {
      app.panels.bottom_open = !app.panels.bottom_open;
      app.fit_requested = true;
    }
    ImGui::EndTabBar();
  }
  ImGui::EndChild();
}

// While the model works: a bar filling with its progress, what it does, and Cancel for a load.
void draw_job_progress(AppState& app, const JobStatus& job, const Rect& r) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float width = std::min(r.width() * 0.25f, ImGui::GetFontSize() * 14);
  const ImVec2 bar_min{r.min.x + 8, r.min.y + 3}, bar_max{bar_min.x + width, r.max.y - 3};
  dl->AddRectFilled(bar_min, bar_max, app.dark ? rgba(70, 70, 78) : rgba(250, 250, 250), 3);
  dl->AddRectFilled(bar_min, {bar_min.x + width * std::clamp(job.fraction, 0.0f, 1.0f), bar_max.y}, rgba(70, 130, 210),
                    3);
  dl->AddRect(bar_min, bar_max, rgba(120, 120, 130), 3);
  float x = bar_max.x + 8;
  if (job.can_cancel) {
    ImGui::SetCursorScreenPos({x, r.min.y + 1});
    if (ImGui::SmallButton(tr("Cancel"))) cancel_load(app);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tr("Stop loading; the model shown stays"));
    x = ImGui::GetItemRectMax().x + 8;
  }
  dl->PushClipRect(im(r.min), im(r.max), true);
  dl->AddText({x, r.min.y + 4}, app.dark ? rgba(230, 230, 230) : rgba(30, 30, 30), job.text.c_str());
  dl->PopClipRect();
}

void draw_status_bar(AppState& app, const Rect& r) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(im(r.min), im(r.max), app.dark ? rgba(45, 45, 50) : rgba(225, 225, 228));
  const ImVec2 at{r.min.x + 8, r.min.y + 4};
  if (const std::optional<JobStatus> job = job_status(app)) {
    draw_job_progress(app, *job, r);
  } else if (!app.status.empty()) {
    const ImU32 col = app.status_error ? rgba(200, 30, 30) : app.dark ? rgba(140, 220, 140) : rgba(20, 110, 20);
    dl->PushClipRect(im(r.min), im(r.max), true);
    dl->AddText(at, col, app.status.c_str());
    dl->PopClipRect();
  } else {
    dl->AddText(at, app.dark ? rgba(170, 170, 170) : rgba(100, 100, 100),
                tr("Space: step   R: reset   F: fit   C: counterpart   ?: help   drag: pan   wheel: zoom"));
  }
}

}  // namespace

bool draw_load_screen(const JobStatus& status) {
  const ImGuiIO& io = ImGui::GetIO();
  ImGui::SetNextWindowPos({io.DisplaySize.x * 0.5f, io.DisplaySize.y * 0.5f}, ImGuiCond_Always, {0.5f, 0.5f});
  ImGui::SetNextWindowSize({std::min(io.DisplaySize.x * 0.8f, ImGui::GetFontSize() * 36), 0});
  ImGui::Begin("##loading", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings);
  ImGui::TextUnformatted("kvscope");
  ImGui::TextWrapped("%s", status.text.c_str());
  ImGui::ProgressBar(status.fraction, {-FLT_MIN, 0});
  const bool cancel = ImGui::Button(tr("Cancel"));
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tr("Stop loading and open the default model instead"));
  ImGui::End();
  return cancel;
}

void draw_app(AppState& app, UiState& ui, Fonts& fonts) {
  handle_keys(app);
  if (ui.dark_applied != app.dark) {
    // Colours only: the sizes ScaleAllSizes set at start stay.
    if (app.dark) ImGui::StyleColorsDark();
    else ImGui::StyleColorsLight();
    ui.dark_applied = app.dark;
  }
  const ImGuiIO& io = ImGui::GetIO();
  set_window_size(app, {io.DisplaySize.x, io.DisplaySize.y});
  app.line_height = ImGui::GetTextLineHeight();
  app.frame_height = ImGui::GetFrameHeight();
  refresh(app);
  fit_if_requested(app);
  const ScreenLayout l = layout_of(app);

  ImGui::SetNextWindowPos({0, 0});
  ImGui::SetNextWindowSize(io.DisplaySize);
  ImGui::Begin("kvscope", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize |
                   ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse);

  if (l.left.width() > 0) {
    begin_region("settings", l.left, true);
    ImGui::PushItemWidth(-ImGui::GetFontSize() * 6.5f);  // room for the labels, however narrow the panel
    draw_model_controls(app, ui);
    ImGui::Separator();
    draw_view_controls(app);
    ImGui::Separator();
    draw_export_controls(app, ui);
    ImGui::Separator();
    draw_legend(app);
    if (!fonts.note().empty()) ImGui::TextColored({0.7f, 0.3f, 0.0f, 1}, "%s", fonts.note().c_str());
    ImGui::PopItemWidth();
    ImGui::EndChild();
  }

  begin_region("toolbar", l.toolbar, false, ImGuiWindowFlags_NoScrollbar);
  draw_toolbar(app, ui);
  app.measured.toolbar = ImGui::GetCursorPosY() - ImGui::GetStyle().ItemSpacing.y + 2;
  ImGui::EndChild();

  begin_region("strip", l.strip, false, ImGuiWindowFlags_NoScrollbar);
  draw_token_strip(app, ui);
  app.measured.strip = ImGui::GetCursorPosY() - ImGui::GetStyle().ItemSpacing.y + 2;
  ImGui::EndChild();

  const std::vector<Side> sides = shown_sides(app);
  for (size_t i = 0; i < sides.size(); ++i) {
    draw_pane_title(app, sides[i], l.titles[i]);
    ImGui::SetCursorScreenPos(im(l.panes[i].min));
    draw_graph_pane(app, sides[i], fonts, size_of(l.panes[i]));
    ImGui::SetCursorScreenPos(im(l.metrics[i].min));
    draw_step_metrics(app, sides[i], l.metrics[i].width());
  }
  const Rect graphs{l.panes[0].min, l.panes[sides.size() - 1].max};
  ui.graph_min = im(graphs.min);
  ui.graph_max = im(graphs.max);

  draw_bottom_tabs(app, l.bottom);

  if (l.right.width() > 0) {
    begin_region("inspector", l.right, true);
    draw_inspector(app);
    ImGui::EndChild();
  }

  splitter("split_left", l.left_splitter, 0, 1, app.panels.left_w, l.left.width(), app);
  splitter("split_right", l.right_splitter, 0, -1, app.panels.right_w, l.right.width(), app);
  splitter("split_bottom", l.bottom_splitter, 1, -1, app.panels.bottom_h, l.bottom.height(), app);
  draw_status_bar(app, l.status);
  ImGui::End();
  draw_help(app);
}

}  // namespace kvscope::gui
