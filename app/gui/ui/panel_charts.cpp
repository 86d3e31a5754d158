#include <algorithm>
#include <cstdio>

#include "app/gui/ui/panels.h"

namespace kvscope::gui {

namespace {

const ImU32 kCachedColour = rgba(40, 110, 200), kUncachedColour = rgba(210, 90, 40);

float text_width(float px, const char* text) { return ImGui::GetFont()->CalcTextSizeA(px, FLT_MAX, 0, text).x; }

// The title word by word (wrapping when the chart is narrow), then each series' swatch and name when they fit
// on the title's last line: always above the plot, so a legend never covers a line. Where they do not fit, the
// legend above all the charts (draw_shared_legend) says the same. Returns the height used.
float draw_header(ImDrawList* dl, ImVec2 p0, float width, const WorkChart& c, float px) {
  const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text);
  const float space = text_width(px, " "), gap = px * 0.8f, swatch_w = px;
  float x = 0, y = 0;
  const std::string title = tr(c.title);
  for (size_t at = 0; at < title.size();) {
    const size_t end = std::min(title.find(' ', at), title.size());
    const std::string word = title.substr(at, end - at);
    const float w = text_width(px, word.c_str());
    if (x > 0 && x + w > width) {
      x = 0;
      y += px + 2;
    }
    dl->AddText(ImGui::GetFont(), px, {p0.x + x, p0.y + y}, text, word.c_str());
    x += w + space;
    at = end + 1;
  }
  std::vector<std::pair<const char*, ImU32>> legend{{tr("cached"), kCachedColour}};
  if (c.uncached) legend.push_back({tr("uncached"), kUncachedColour});
  float legend_w = 0;
  for (const auto& [name, col] : legend) legend_w += gap + swatch_w + 4 + text_width(px, name);
  if (x + legend_w <= width + space)
    for (const auto& [name, col] : legend) {
      x += gap - space;
      dl->AddLine({p0.x + x, p0.y + y + px / 2}, {p0.x + x + swatch_w, p0.y + y + px / 2}, col, 3.0f);
      dl->AddText(ImGui::GetFont(), px, {p0.x + x + swatch_w + 4, p0.y + y}, text, name);
      x += swatch_w + 4 + text_width(px, name) + space;
    }
  return y + px + 2;
}

// One legend for every chart, ahead of the timing: the charts' own legends drop out when they are narrow.
void draw_shared_legend() {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float px = ImGui::GetFontSize();
  for (const auto& [name, col] : {std::pair{tr("cached"), kCachedColour}, std::pair{tr("uncached"), kUncachedColour}}) {
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float y = p.y + ImGui::GetFrameHeight() / 2;
    dl->AddLine({p.x, y}, {p.x + px, y}, col, 3.0f);
    ImGui::Dummy({px + 2, ImGui::GetFrameHeight()});
    ImGui::SameLine(0, 2);
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted(name);
    ImGui::SameLine();
  }
}

void draw_chart(const WorkChart& c, ImVec2 size) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImGui::Dummy(size);
  const bool hovered = ImGui::IsItemHovered();
  const ImVec2 p1{p0.x + size.x, p0.y + size.y};
  const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text), faint = ImGui::GetColorU32(ImGuiCol_TextDisabled);
  dl->PushClipRect(p0, p1, true);
  dl->AddRectFilled(p0, p1, ImGui::GetColorU32(ImGuiCol_FrameBg));
  dl->AddRect(p0, p1, ImGui::GetColorU32(ImGuiCol_Border));
  const float px = ImGui::GetFontSize(), tick_px = std::max(11.0f, px * 0.75f);
  const float header_h = draw_header(dl, {p0.x + 4, p0.y + 2}, size.x - 8, c, px);

  size_t n = c.cached->size();
  if (c.uncached) n = std::max(n, c.uncached->size());
  // Below the plot: the x ticks' labels, then the axis's name.
  // The axis's name gives up its row to the plot when the chart is short (the point tooltips say "token N").
  const float top = p0.y + 2 + header_h + tick_px / 2;
  const bool x_name_row = p1.y - 2 * tick_px - 6 - top >= 30;
  const float bottom = p1.y - (x_name_row ? 2 : 1) * tick_px - 6;
  if (n == 0 || bottom - top < 12) {
    if (n == 0) dl->AddText(ImGui::GetFont(), tick_px, {p0.x + 4, top}, faint, tr("no tokens yet: press Step"));
    dl->PopClipRect();
    return;
  }
  const int y_most = std::clamp(static_cast<int>((bottom - top) / (tick_px * 1.5f)) + 1, 2, 4);
  const ZeroBasedAxis y = zero_based_axis(chart_max(c), y_most);
  std::vector<std::string> y_labels;
  float label_w = 0;
  for (double v : y.ticks) {
    y_labels.push_back(chart_tick_label(c, v));
    label_w = std::max(label_w, text_width(tick_px, y_labels.back().c_str()));
  }
  const float left = p0.x + 6 + label_w + 4, right = p1.x - 8;
  auto y_at = [&](double v) { return bottom - static_cast<float>(v / y.top) * (bottom - top); };
  auto x_at = [&](size_t i) {
    return n > 1 ? left + 4 + (right - left - 8) * static_cast<float>(i) / static_cast<float>(n - 1)
                 : (left + right) / 2;
  };
  for (size_t t = 0; t < y.ticks.size(); ++t) {
    const float yy = y_at(y.ticks[t]);
    dl->AddLine({left, yy}, {right, yy}, t == 0 ? faint : (faint & 0x00FFFFFF) | 0x50000000);
    dl->AddText(ImGui::GetFont(), tick_px, {left - 4 - text_width(tick_px, y_labels[t].c_str()), yy - tick_px / 2},
                text, y_labels[t].c_str());
  }
  dl->AddLine({left, top}, {left, bottom}, faint);

  const float widest_x = text_width(tick_px, std::to_string(n).c_str()) + tick_px;
  const int x_most = std::max(1, static_cast<int>((right - left) / widest_x));
  for (int t : integer_ticks(1, static_cast<int>(n), x_most)) {
    const float xx = x_at(static_cast<size_t>(t - 1));
    const std::string label = std::to_string(t);
    dl->AddLine({xx, bottom}, {xx, bottom + 3}, faint);
    dl->AddText(ImGui::GetFont(), tick_px, {xx - text_width(tick_px, label.c_str()) / 2, bottom + 3}, text,
                label.c_str());
  }
  if (x_name_row) {
    const char* x_name = tr("generated token");
    dl->AddText(ImGui::GetFont(), tick_px, {(left + right - text_width(tick_px, x_name)) / 2, bottom + 3 + tick_px},
                faint, x_name);
  }

  auto polyline = [&](const std::vector<double>& s, ImU32 col) {
    for (size_t i = 0; i + 1 < s.size(); ++i)
      dl->AddLine({x_at(i), y_at(s[i])}, {x_at(i + 1), y_at(s[i + 1])}, col, 2.0f);
    if (s.size() <= 40)
      for (size_t i = 0; i < s.size(); ++i) dl->AddCircleFilled({x_at(i), y_at(s[i])}, 2.5f, col);
  };
  if (c.uncached) polyline(*c.uncached, kUncachedColour);
  polyline(*c.cached, kCachedColour);

  const ImVec2 m = ImGui::GetIO().MousePos;
  if (hovered && m.x >= left - 4 && m.x <= right + 4) {
    const float f = n > 1 ? (m.x - left - 4) / (right - left - 8) * static_cast<float>(n - 1) : 0;
    const size_t i = static_cast<size_t>(std::clamp(static_cast<int>(f + 0.5f), 0, static_cast<int>(n) - 1));
    dl->AddLine({x_at(i), top}, {x_at(i), bottom}, faint);
    for (const auto& [s, col] : {std::pair{c.cached, kCachedColour}, std::pair{c.uncached, kUncachedColour}})
      if (s && i < s->size()) dl->AddCircle({x_at(i), y_at((*s)[i])}, 5, col, 0, 2.0f);
    ImGui::SetTooltip("%s", chart_point_text(c, i).c_str());
  }
  dl->PopClipRect();
}

// The button, and what it measured for the shown generation; in a meta run only why there is nothing to time.
void draw_timing(AppState& app) {
  const app::RunSpec& spec = app.session->spec();
  const std::string why = timing_unavailable_reason(spec);
  const bool running = app.timing.running();
  draw_shared_legend();
  char label[64];
  std::snprintf(label, sizeof label, tr("Time %d runs"), kTimingRuns);
  ImGui::BeginDisabled(!why.empty() || running);
  if (ImGui::SmallButton((std::string(label) + "###time").c_str())) app.timing.start(spec, kTimingRuns);
  ImGui::EndDisabled();
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
    ImGui::SetTooltip(tr("Replays the whole generation %d times in each mode, without tracing, and shows the "
                         "median wall-clock time. One timed run says more about the machine's load than about "
                         "the cache."),
                      kTimingRuns);
  ImGui::SameLine();
  if (!why.empty()) {
    ImGui::TextDisabled("%s", why.c_str());
    return;
  }
  if (running) {
    ImGui::TextDisabled(tr("timing %d runs of each mode..."), kTimingRuns);
    return;
  }
  if (const std::optional<TimingResult> r = app.timing.result_for(spec)) {
    ImGui::Text(tr("median of %d runs: cached %.2f ms, uncached %.2f ms (wall clock, %d tokens)"), r->runs,
                r->cached_median_ms, r->uncached_median_ms, r->tokens);
    if (ImGui::IsItemHovered()) {
      std::string samples = tr("each run, ms (cached | uncached):");
      char buf[64];
      for (size_t i = 0; i < r->cached_ms.size(); ++i) {
        std::snprintf(buf, sizeof buf, "\n%.2f | %.2f", r->cached_ms[i], r->uncached_ms[i]);
        samples += buf;
      }
      ImGui::SetTooltip("%s", samples.c_str());
    }
  } else if (const std::string error = app.timing.error(); !error.empty()) {
    ImGui::TextColored({0.8f, 0.2f, 0.1f, 1}, "%s", error.c_str());
  } else {
    ImGui::TextDisabled("%s", tr("the charts count work; time is measured only on request"));
  }
}

}  // namespace

void draw_work_plots(AppState& app, ImVec2 size) {
  const float y0 = ImGui::GetCursorPosY();
  draw_timing(app);
  const float charts_h = size.y - (ImGui::GetCursorPosY() - y0);
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const std::vector<WorkChart> charts = work_charts(app.series);
  const ImVec2 each{(size.x - gap * static_cast<float>(charts.size() - 1)) / static_cast<float>(charts.size()),
                    std::max(charts_h, 0.0f)};
  for (size_t i = 0; i < charts.size(); ++i) {
    if (i) ImGui::SameLine();
    ImGui::PushID(static_cast<int>(i));
    draw_chart(charts[i], each);
    ImGui::PopID();
  }
}

}  // namespace kvscope::gui
