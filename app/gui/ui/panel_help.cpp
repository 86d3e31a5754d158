#include "app/gui/ui/panels.h"

namespace kvscope::gui {

namespace {

void row(const char* key, const char* what) {
  ImGui::TextUnformatted(key);
  ImGui::SameLine(ImGui::GetFontSize() * 9);
  ImGui::TextUnformatted(what);
}

}  // namespace

void draw_help(AppState& app) {
  if (!app.help_open) return;
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  ImGui::SetNextWindowPos({display.x / 2, display.y / 2}, ImGuiCond_Always, {0.5f, 0.5f});
  ImGui::SetNextWindowSizeConstraints({0, 0}, {display.x - 40, display.y - 40});
  ImGui::Begin(tr("Help"), &app.help_open,
               ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings);
  ImGui::TextUnformatted(tr("Keys"));
  row("Space", tr("generate one more token in both runs"));
  row("R", tr("reset the generation"));
  row("F", tr("fit the graph to its pane"));
  row("C", tr("show the selected tensor on the other side"));
  row("?", tr("this help; Esc closes it"));
  ImGui::Separator();
  ImGui::TextUnformatted(tr("Mouse"));
  row(tr("click"), tr("inspect a tensor"));
  row(tr("drag"), tr("pan the pane"));
  row(tr("wheel"), tr("zoom around the pointer"));
  row(tr("hover"), tr("a node's op, shape and formula; an edge's tensor"));
  row(tr("minimap"), tr("click or drag to move the view"));
  ImGui::Separator();
  ImGui::TextUnformatted(tr("What the marks mean"));
  row(tr("purple border"), tr("a layer's keys or values as the KV cache holds them"));
  row(tr("purple edge"), tr("a row written into the cache, or rows read from it"));
  row(tr("orange outline"), tr("its shape changed since the previous step (hover: how)"));
  row(tr("red corner"), tr("its shape differs in the other run for the same token (hover: how)"));
  row(tr("blue border"), tr("the selected tensor's counterpart on the other side"));
  ImGui::Separator();
  ImGui::TextWrapped("%s", tr("Both runs produce the same tokens. The cached run feeds one new token per step and "
                              "reads the keys and values of earlier tokens from its cache; the uncached run "
                              "recomputes them for the whole sequence at every step."));
  ImGui::End();
}

}  // namespace kvscope::gui
