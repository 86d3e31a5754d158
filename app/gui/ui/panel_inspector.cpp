#include <algorithm>
#include <cmath>

#include "app/gui/ui/panels.h"

namespace kvscope::gui {

namespace {

// Diverging blue-white-red around zero when the values straddle it, else white to blue.
ImU32 heat(float v, float lo, float hi) {
  if (lo < 0 && hi > 0) {
    const float m = std::max(-lo, hi);
    const float t = std::clamp(v / m, -1.0f, 1.0f);
    const int fade = static_cast<int>(255 * (1 - std::abs(t)));
    return t >= 0 ? rgba(255, fade, fade) : rgba(fade, fade, 255);
  }
  const float t = hi > lo ? std::clamp((v - lo) / (hi - lo), 0.0f, 1.0f) : 0.0f;
  return rgba(static_cast<int>(255 - 215 * t), static_cast<int>(255 - 175 * t), static_cast<int>(255 - 80 * t));
}

void draw_heatmap(const Heatmap& h, float width) {
  const float cell = std::clamp(width / std::max(h.cols, 1), 1.0f, 24.0f);
  const float cell_h = std::clamp(cell, 2.0f, 24.0f);
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  for (int r = 0; r < h.rows; ++r)
    for (int c = 0; c < h.cols; ++c) {
      const ImVec2 a{p0.x + c * cell, p0.y + r * cell_h};
      dl->AddRectFilled(a, {a.x + cell, a.y + cell_h},
                        heat(h.cells[static_cast<size_t>(r) * h.cols + c], h.min, h.max));
    }
  dl->AddRect(p0, {p0.x + h.cols * cell, p0.y + h.rows * cell_h}, rgba(120, 120, 120));
  ImGui::Dummy({h.cols * cell, h.rows * cell_h});
}

void draw_histogram(const Histogram& h, ImVec2 size) {
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float w = size.x / static_cast<float>(h.bins.size());
  for (size_t i = 0; i < h.bins.size(); ++i) {
    const float bar = h.peak ? size.y * h.bins[i] / h.peak : 0;
    dl->AddRectFilled({p0.x + i * w, p0.y + size.y - bar}, {p0.x + (i + 1) * w - 1, p0.y + size.y}, rgba(70, 120, 190));
  }
  ImGui::Dummy(size);
  ImGui::Text("%.4g .. %.4g", h.lo, h.hi);
}

bool neighbour_list(const char* title, const std::vector<Neighbour>& items, int& clicked) {
  ImGui::Text("%s (%zu)", title, items.size());
  bool any = false;
  for (const auto& n : items) {
    ImGui::PushID(n.event);
    if (ImGui::Selectable(("  " + n.label).c_str())) {
      clicked = n.event;
      any = true;
    }
    ImGui::PopID();
  }
  return any;
}

}  // namespace

void draw_inspector(AppState& app) {
  ImGui::TextUnformatted("Inspector");
  if (!app.inspector) {
    ImGui::TextDisabled("Click a node to inspect it.");
    return;
  }
  const InspectorView& v = *app.inspector;
  ImGui::TextDisabled("%s run", side_name(app.selection.side));
  ImGui::SameLine();
  if (ImGui::SmallButton("Focus")) attempt(app, [&] { focus_selection(app); });
  for (const auto& line : v.lines) ImGui::TextUnformatted(line.c_str());
  ImGui::Separator();
  int clicked = -1;
  ImGui::PushID("in");
  neighbour_list("inputs", v.inputs, clicked);
  ImGui::PopID();
  ImGui::PushID("out");
  neighbour_list("consumers", v.consumers, clicked);
  ImGui::PopID();
  if (v.stats) {
    ImGui::Separator();
    ImGui::Text("min %.4g  max %.4g", v.stats->min, v.stats->max);
    ImGui::Text("mean %.4g  std %.4g", v.stats->mean, v.stats->std);
  }
  ImGui::Separator();
  if (v.heatmap) {
    const Heatmap& h = *v.heatmap;
    if (h.slices > 1) {
      int slice = h.slice;
      if (ImGui::SliderInt(h.slice_axes.c_str(), &slice, 0, h.slices - 1)) {
        app.heatmap_slice = slice;
        app.inspector_dirty = true;
      }
    }
    ImGui::Text("slice %d x %d", h.rows, h.cols);
    draw_heatmap(h, ImGui::GetContentRegionAvail().x);
  }
  if (v.histogram) {
    ImGui::TextUnformatted("histogram");
    draw_histogram(*v.histogram, {ImGui::GetContentRegionAvail().x, 60});
  }
  if (!v.values_note.empty()) ImGui::TextDisabled("%s", v.values_note.c_str());
  if (clicked >= 0) select_event(app, app.selection.side, clicked);
}

}  // namespace kvscope::gui
