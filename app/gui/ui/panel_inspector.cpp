#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "app/gui/ui/panels.h"

namespace kvscope::gui {

namespace {

ImU32 heat(const Heatmap& h, float v) {
  const Rgb c = heat_colour(h, v);
  return rgba(c.r, c.g, c.b);
}

struct PlacedLabel {
  const std::string* text;
  float x;  // relative to the grid's left edge
  int line;
};

// Column labels on up to two lines, each on the first where it does not overlap the one before; what fits on
// neither is left out (the tooltip names every row and column). A label may reach `overhang` left of the grid.
std::vector<PlacedLabel> place_column_labels(const HeatmapAxis& axis, float cell, float font_px, float overhang) {
  std::vector<PlacedLabel> placed;
  float free_x[2] = {-overhang, -overhang};
  for (size_t c = 0; c < axis.labels.size(); ++c) {
    const float w = ImGui::GetFont()->CalcTextSizeA(font_px, FLT_MAX, 0, axis.labels[c].c_str()).x;
    const float x = (static_cast<float>(c) + 0.5f) * cell - w / 2;
    for (int line = 0; line < 2; ++line) {
      if (x < free_x[line]) continue;
      placed.push_back({&axis.labels[c], x, line});
      free_x[line] = x + w + 2;
      break;
    }
  }
  return placed;
}

int label_lines(const std::vector<PlacedLabel>& placed) {
  int lines = 0;
  for (const auto& p : placed) lines = std::max(lines, p.line + 1);
  return lines;
}

void draw_column_labels(const std::vector<PlacedLabel>& placed, ImVec2 origin, float font_px) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  for (const auto& p : placed)
    dl->AddText(ImGui::GetFont(), font_px, {origin.x + p.x, origin.y + p.line * font_px},
                ImGui::GetColorU32(ImGuiCol_Text), p.text->c_str());
}

void draw_row_labels(const HeatmapAxis& axis, ImVec2 origin, float cell_h, float font_px) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  ImFont* font = ImGui::GetFont();
  float free_y = origin.y;
  for (size_t r = 0; r < axis.labels.size(); ++r) {
    const char* text = axis.labels[r].c_str();
    const float w = font->CalcTextSizeA(font_px, FLT_MAX, 0, text).x;
    const float y = origin.y + (static_cast<float>(r) + 0.5f) * cell_h - font_px / 2;
    if (y < free_y - 0.5f) continue;
    dl->AddText(font, font_px, {origin.x - w - 4, y}, ImGui::GetColorU32(ImGuiCol_Text), text);
    free_y = y + font_px;
  }
}

float widest_label(const HeatmapAxis& axis, float font_px) {
  float w = 0;
  for (const auto& label : axis.labels)
    w = std::max(w, ImGui::GetFont()->CalcTextSizeA(font_px, FLT_MAX, 0, label.c_str()).x);
  return w;
}

// Token axes are labelled with their tokens: queries down the left, keys along the top. The grid fits `size`
// when it can: rows get flatter rather than run out of the panel.
void draw_heatmap(const Heatmap& h, ImVec2 size) {
  const float font_px = ImGui::GetFontSize();
  const float label_w = h.row_axis.labels.empty() ? 0 : std::min(widest_label(h.row_axis, font_px) + 6, size.x / 4);
  const float cell = std::clamp((size.x - label_w) / std::max(h.cols, 1), 1.0f, 24.0f);
  // Column labels shrink with the cells, down to a size still readable.
  const float col_px = std::clamp(cell * 1.2f, 11.0f, font_px);
  const std::vector<PlacedLabel> columns = place_column_labels(h.col_axis, cell, col_px, label_w);
  const float label_h = columns.empty() ? 0 : label_lines(columns) * col_px + 2;
  // Labelled rows stay as tall as their labels' smallest readable size; past that the panel scrolls.
  const float min_h = h.row_axis.labels.empty() ? 2.0f : 11.0f;
  const float cell_h = std::clamp(std::min(cell, (size.y - label_h) / std::max(h.rows, 1)), min_h, 24.0f);
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  const ImVec2 g{p0.x + label_w, p0.y + label_h};  // the grid's top left
  draw_column_labels(columns, {g.x, p0.y}, col_px);
  draw_row_labels(h.row_axis, g, cell_h, std::clamp(cell_h, 11.0f, font_px));
  ImDrawList* dl = ImGui::GetWindowDrawList();
  for (int r = 0; r < h.rows; ++r)
    for (int c = 0; c < h.cols; ++c) {
      const ImVec2 a{g.x + c * cell, g.y + r * cell_h};
      dl->AddRectFilled(a, {a.x + cell, a.y + cell_h}, heat(h, h.cells[static_cast<size_t>(r) * h.cols + c]));
    }
  const ImVec2 g1{g.x + h.cols * cell, g.y + h.rows * cell_h};
  dl->AddRect(g, g1, rgba(120, 120, 120));
  ImGui::Dummy({g1.x - p0.x, g1.y - p0.y});
  const ImVec2 m = ImGui::GetIO().MousePos;
  if (ImGui::IsItemHovered() && m.x >= g.x && m.x < g1.x && m.y >= g.y && m.y < g1.y) {
    const int r = static_cast<int>((m.y - g.y) / cell_h), c = static_cast<int>((m.x - g.x) / cell);
    dl->AddRect({g.x + c * cell, g.y + r * cell_h}, {g.x + (c + 1) * cell, g.y + (r + 1) * cell_h}, rgba(0, 0, 0));
    ImGui::SetTooltip("%s", cell_tooltip(h, r, c).c_str());
  }
}

char* tick_text(char (&buf)[32], float v) {
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

// The scale under the title: a gradient with its ends and round values labelled, what the colours mean, and
// the grey of masked cells when the slice has any.
void draw_colour_bar(const Heatmap& h, float width) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float px = std::max(11.0f, ImGui::GetFontSize() * 0.85f);
  const float bar_h = std::max(8.0f, px * 0.7f);
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  const float x0 = p0.x + px, w = std::max(width - 2 * px, 40.0f);  // room for the end labels' halves
  constexpr int kSteps = 64;
  for (int i = 0; i < kSteps; ++i) {
    const float v = h.scale_min + (h.scale_max - h.scale_min) * (i + 0.5f) / kSteps;
    dl->AddRectFilled({x0 + w * i / kSteps, p0.y}, {x0 + w * (i + 1) / kSteps + 0.5f, p0.y + bar_h}, heat(h, v));
  }
  dl->AddRect({x0, p0.y}, {x0 + w, p0.y + bar_h}, rgba(120, 120, 120));
  const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text);
  const std::vector<float> ticks = colour_bar_ticks(h);
  // Ends first, then the inner ticks where they do not touch a label already placed.
  std::vector<std::pair<float, float>> taken;
  auto place = [&](float v) {
    char buf[32];
    const float span = h.scale_max - h.scale_min;
    const float x = span > 0 ? x0 + w * (v - h.scale_min) / span : x0;
    const float tw = ImGui::GetFont()->CalcTextSizeA(px, FLT_MAX, 0, tick_text(buf, v)).x;
    const float a = std::clamp(x - tw / 2, p0.x, p0.x + width - tw), b = a + tw;
    for (const auto& [ta, tb] : taken)
      if (a < tb + 4 && b > ta - 4) return;
    taken.push_back({a, b});
    dl->AddLine({x, p0.y + bar_h}, {x, p0.y + bar_h + 3}, text);
    dl->AddText(ImGui::GetFont(), px, {a, p0.y + bar_h + 3}, text, buf);
  };
  place(ticks.front());
  place(ticks.back());
  for (size_t i = 1; i + 1 < ticks.size(); ++i) place(ticks[i]);
  ImGui::Dummy({width, bar_h + 3 + px + 2});
  ImGui::TextWrapped("%s", tr(h.scale_label.c_str()));
  if (h.masked > 0) {
    const Rgb grey = heat_colour(h, std::numeric_limits<float>::lowest());
    ImGui::ColorButton("##masked", ImVec4(grey.r / 255.0f, grey.g / 255.0f, grey.b / 255.0f, 1),
                       ImGuiColorEditFlags_NoTooltip, {px, px});
    ImGui::SameLine();
    ImGui::TextWrapped(tr("masked: %d cells (a score of -inf, a weight of 0 after softmax)"), h.masked);
  }
}

// "head 3 of 4" between - and + buttons; batch x heads names both.
void draw_slice_selector(AppState& app, const Heatmap& h) {
  auto go = [&](int slice) {
    app.heatmap_slice = std::clamp(slice, 0, h.slices - 1);
    app.inspector_dirty = true;
  };
  ImGui::BeginDisabled(h.slice <= 0);
  if (ImGui::SmallButton(" - ")) go(h.slice - 1);
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::BeginDisabled(h.slice >= h.slices - 1);
  if (ImGui::SmallButton(" + ")) go(h.slice + 1);
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::TextUnformatted(slice_text(h).c_str());
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip(tr("the heatmap shows one 2-D slice; this picks it (%s)"), h.slice_axes.c_str());
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
  ImGui::TextUnformatted(tr("Inspector"));
  if (!app.inspector) {
    ImGui::TextDisabled("%s", tr("Click a node to inspect it."));
    return;
  }
  const InspectorView& v = *app.inspector;
  ImGui::TextDisabled(tr("%s run"), tr(side_name(app.selection.side)));
  ImGui::SameLine();
  if (ImGui::SmallButton(tr("Focus"))) attempt(app, [&] { focus_selection(app); });
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tr("Centre the pane on this tensor"));
  ImGui::SameLine();
  if (ImGui::SmallButton(tr("Counterpart"))) attempt(app, [&] { show_counterpart(app); });
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tr("Show the same tensor in the other run (C)"));
  for (const auto& line : v.lines) ImGui::TextWrapped("%s", line.c_str());  // a narrow panel wraps, never clips
  ImGui::Separator();
  int clicked = -1;
  ImGui::PushID("in");
  neighbour_list(tr("inputs"), v.inputs, clicked);
  ImGui::PopID();
  ImGui::PushID("out");
  neighbour_list(tr("consumers"), v.consumers, clicked);
  ImGui::PopID();
  if (v.stats) {
    ImGui::Separator();
    ImGui::Text(tr("min %.4g  max %.4g"), v.stats->min, v.stats->max);
    ImGui::Text(tr("mean %.4g  std %.4g"), v.stats->mean, v.stats->std);
  }
  ImGui::Separator();
  if (v.heatmap) {
    const Heatmap& h = *v.heatmap;
    if (h.slices > 1) draw_slice_selector(app, h);
    ImGui::TextWrapped("%s", heatmap_title(h).c_str());
    draw_colour_bar(h, std::min(ImGui::GetContentRegionAvail().x, 22 * ImGui::GetFontSize()));
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    draw_heatmap(h, {avail.x, std::max(avail.y, 12 * ImGui::GetFontSize())});
  }
  if (v.histogram) {
    ImGui::TextUnformatted(tr("histogram"));
    draw_histogram(*v.histogram, {ImGui::GetContentRegionAvail().x, 60});
  }
  if (!v.values_note.empty()) ImGui::TextDisabled("%s", v.values_note.c_str());
  if (clicked >= 0) attempt(app, [&] { select_event(app, app.selection.side, clicked); });
}

}  // namespace kvscope::gui
