#include <algorithm>
#include <cstdio>

#include "app/gui/ui/panels.h"

namespace kvscope::gui {

namespace {

void draw_series_inside(ImDrawList* dl, ImVec2 p0, ImVec2 p1, const char* title, const std::vector<double>& a,
                        const char* a_name, const std::vector<double>* b, const char* b_name) {
  dl->AddRectFilled(p0, p1, rgba(255, 255, 255));
  dl->AddRect(p0, p1, rgba(170, 170, 170));
  const float line = ImGui::GetTextLineHeight();
  dl->AddText({p0.x + 4, p0.y + 2}, rgba(30, 30, 30), title);
  double top = 0;
  size_t n = a.size();
  for (double v : a) top = std::max(top, v);
  if (b) {
    for (double v : *b) top = std::max(top, v);
    n = std::max(n, b->size());
  }
  if (n == 0 || top <= 0) return;
  const ImVec2 plot_min{p0.x + 6, p0.y + (b ? 3 : 2) * line + 4}, plot_max{p1.x - 6, p1.y - 6};
  auto point = [&](size_t i, double v) {
    const float x = n > 1 ? plot_min.x + (plot_max.x - plot_min.x) * i / (n - 1) : (plot_min.x + plot_max.x) / 2;
    return ImVec2{x, plot_max.y - static_cast<float>(v / top) * (plot_max.y - plot_min.y)};
  };
  auto polyline = [&](const std::vector<double>& s, ImU32 col) {
    for (size_t i = 0; i + 1 < s.size(); ++i) dl->AddLine(point(i, s[i]), point(i + 1, s[i + 1]), col, 2.0f);
    if (s.size() == 1) dl->AddCircleFilled(point(0, s[0]), 3, col);
  };
  const ImU32 ca = rgba(40, 110, 200), cb = rgba(210, 90, 40);
  polyline(a, ca);
  char legend[160];
  std::snprintf(legend, sizeof legend, "%s %.3g", a_name, a.empty() ? 0.0 : a.back());
  dl->AddText({p0.x + 4, p0.y + 2 + line}, ca, legend);
  if (b) {
    polyline(*b, cb);
    std::snprintf(legend, sizeof legend, "%s %.3g", b_name, b->empty() ? 0.0 : b->back());
    dl->AddText({p0.x + 4, p0.y + 2 + 2 * line}, cb, legend);  // below the first: a narrow plot has no room beside
  }
}

void draw_series(const char* title, const std::vector<double>& a, const char* a_name, const std::vector<double>* b,
                 const char* b_name, ImVec2 size) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImGui::Dummy(size);
  const ImVec2 p1{p0.x + size.x, p0.y + size.y};
  dl->PushClipRect(p0, p1, true);  // a title longer than a narrow plot stops at its border
  draw_series_inside(dl, p0, p1, title, a, a_name, b, b_name);
  dl->PopClipRect();
}

}  // namespace

void draw_work_plots(const AppState& app, ImVec2 size) {
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const ImVec2 each{(size.x - 2 * gap) / 3, size.y};
  const WorkSeries& w = app.series;
  draw_series("cumulative MACs per generated token", w.cached_macs, "cached", &w.uncached_macs, "uncached", each);
  ImGui::SameLine();
  draw_series("cumulative ms", w.cached_ms, "cached", &w.uncached_ms, "uncached", each);
  ImGui::SameLine();
  draw_series("KV cache bytes", w.kv_cache_bytes, "cached", nullptr, "", each);
}

}  // namespace kvscope::gui
