#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/gui/logic/kv_cache_view.h"
#include "app/gui/ui/panels.h"

namespace kvscope::gui {

namespace {

// The charts' run colours (panel_charts.cpp), so "cached" and "uncached" look the same in every panel; the
// yellow of a row written this step is the graph's "new" highlight.
const ImU32 kHeld = rgba(150, 185, 230), kWritten = rgba(250, 190, 40), kRecomputed = rgba(225, 120, 70);
const ImU32 kReadOutline = rgba(90, 30, 140), kCachedText = rgba(40, 110, 200), kUncachedText = rgba(210, 90, 40);

float text_width(float px, const std::string& text) {
  return ImGui::GetFont()->CalcTextSizeA(px, FLT_MAX, 0, text.c_str()).x;
}

// One grid group: a run's layers, under the shared position columns.
struct Group {
  const char* name;
  ImU32 name_colour;
  const KvCacheView* view;
};

void draw_cell(ImDrawList* dl, ImVec2 a, ImVec2 b, const KvCell& c) {
  const ImU32 fill = c.written ? kWritten : c.recomputed ? kRecomputed : c.held ? kHeld : 0;
  if (fill) dl->AddRectFilled(a, b, fill);
  // A thin outline leaves the fill visible in the smallest cells.
  if (c.read) dl->AddRect(a, b, kReadOutline, 0, 0, b.y - a.y >= 12 ? 2.0f : 1.0f);
  else if (!fill) dl->AddRect(a, b, ImGui::GetColorU32(ImGuiCol_Border, 0.6f));
}

std::string format_layers_alike(int first, int last) {
  char buf[160];
  std::snprintf(buf, sizeof buf, tr("layers %d–%d do the same: one row stands for them"), first, last);
  return buf;
}

// A swatch and its words, flowing to the next line when the panel is narrow.
void legend_item(const char* label, ImU32 fill, bool outline, float px) {
  const float w = px + 4 + text_width(px, label);
  const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
  ImGui::SameLine(0, px);
  if (ImGui::GetCursorScreenPos().x + w > right) ImGui::NewLine();
  const ImVec2 p = ImGui::GetCursorScreenPos();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float line = ImGui::GetTextLineHeight(), box = std::min(px, line) - 2;
  const ImVec2 a{p.x, p.y + (line - box) / 2}, b{p.x + box, p.y + (line + box) / 2};
  draw_cell(dl, a, b, KvCell{fill == kHeld, fill == kWritten, outline, fill == kRecomputed, -1});
  ImGui::Dummy({box + 4, line});
  ImGui::SameLine(0, 0);
  ImGui::TextUnformatted(label);
}

void draw_legend_line(float px, bool uncached) {
  ImGui::Dummy({0, 0});  // legend_item starts each item on the same line as the one before
  legend_item(tr("in cache"), kHeld, false, px);
  legend_item(tr("written this step"), kWritten, false, px);
  legend_item(tr("read this step"), 0, true, px);
  if (uncached) legend_item(tr("recomputed (no cache)"), kRecomputed, false, px);
  legend_item(tr("empty"), 0, false, px);
}

// Column labels: the token's piece where the run knows it; positions still to come are numbered.
std::vector<std::string> column_labels(const AppState& app, int columns) {
  std::vector<std::string> labels(static_cast<size_t>(columns));
  const auto& tokens = app.strip.tokens;
  for (int p = 0; p < columns; ++p) {
    const bool piece = p < static_cast<int>(tokens.size()) && !tokens[static_cast<size_t>(p)].piece.empty();
    labels[static_cast<size_t>(p)] = piece ? tokens[static_cast<size_t>(p)].label() : std::to_string(p);
  }
  return labels;
}

// The grid: the groups' layers as rows under one set of position columns, so the cached and the uncached run
// are drawn at the same scale. Columns shrink to fit the width while their labels stay legible, then scroll.
void draw_grid(const AppState& app, const std::vector<Group>& groups, int columns, ImVec2 size) {
  const float px = std::max(11.0f, ImGui::GetFontSize() * 0.8f);
  const std::vector<std::string> labels = column_labels(app, columns);
  // Pieces set the column width; numbers of positions still to come are drawn where they fit.
  float label_w = 0;
  const size_t known = std::min(labels.size(), app.strip.tokens.size());
  for (size_t p = 0; p < known; ++p) label_w = std::max(label_w, text_width(px, labels[p]));
  // Each drawn row is a range of layers: one each, unless the layers do not fit and the middle ones do the same,
  // which then share one row ("L1–24") between the first and the last layer.
  const float min_cell_h = 7;
  int all_layers = 0;
  for (const Group& g : groups) all_layers += static_cast<int>(g.view->cells.size());
  const bool compress = (px + 2) + min_cell_h * static_cast<float>(all_layers) > size.y;
  std::vector<std::vector<std::pair<int, int>>> drawn(groups.size());
  int rows = 0;
  float name_w = 0;
  for (size_t i = 0; i < groups.size(); ++i) {
    const int n = static_cast<int>(groups[i].view->cells.size());
    if (compress && n > 3 && kv_layers_alike(*groups[i].view, 1, n - 2))
      drawn[i] = {{0, 0}, {1, n - 2}, {n - 1, n - 1}};
    else
      for (int l = 0; l < n; ++l) drawn[i].push_back({l, l});
    rows += static_cast<int>(drawn[i].size());
    name_w = std::max(name_w, text_width(px, groups[i].name));
  }
  const float row_label_w = name_w + px * 0.5f + text_width(px, "L0–00") + 4;
  // Room is kept for a vertical scrollbar, so fitting the width never makes a horizontal one appear.
  const float fit_w = std::floor((size.x - row_label_w - 2 - ImGui::GetStyle().ScrollbarSize) /
                                 static_cast<float>(std::max(columns, 1)));
  const float col_w = std::clamp(fit_w, 8.0f, std::clamp(label_w + 3, 8.0f, px * 3.5f));
  const bool scrolls_x = row_label_w + col_w * static_cast<float>(columns) + 2 > size.x;
  const float header_h = px + 2, group_gap = 3;
  const float scrollbar = scrolls_x ? ImGui::GetStyle().ScrollbarSize : 0;
  const float fit_h = (size.y - header_h - group_gap * static_cast<float>(groups.size()) - scrollbar - 2) /
                      static_cast<float>(std::max(rows, 1));
  const float cell_h = std::clamp(std::floor(fit_h), min_cell_h, std::max(px + 2, std::min(col_w, 24.0f)));
  const float content_w = row_label_w + col_w * static_cast<float>(columns) + 2;
  const float content_h = header_h + cell_h * static_cast<float>(rows) + group_gap * static_cast<float>(groups.size());

  ImGui::BeginChild("kv_grid", {size.x, std::min(size.y, content_h + scrollbar + 2)}, false,
                    ImGuiWindowFlags_HorizontalScrollbar);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 o = ImGui::GetCursorScreenPos();
  ImGui::Dummy({content_w, content_h});
  const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text), faint = ImGui::GetColorU32(ImGuiCol_TextDisabled);
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  const bool hovered = ImGui::IsWindowHovered();
  const float x0 = o.x + row_label_w;

  // A label is drawn where it fits beside the last one drawn, so narrow columns show every k-th.
  float next_free = o.x + row_label_w / 2;
  for (int p = 0; p < columns; ++p) {
    const std::string& l = labels[static_cast<size_t>(p)];
    const float w = text_width(px, l), x = x0 + col_w * (static_cast<float>(p) + 0.5f) - w / 2;
    if (x < next_free) continue;
    dl->AddText(ImGui::GetFont(), px, {x, o.y}, p < static_cast<int>(app.strip.tokens.size()) ? text : faint,
                l.c_str());
    next_free = x + w + 3;
  }

  float y = o.y + header_h;
  // Rows are labelled "L0", "L1"...; with many layers only every k-th, where the text fits.
  const int row_label_every = std::max(1, static_cast<int>(std::ceil(px * 0.75f / cell_h)));
  for (size_t i = 0; i < groups.size(); ++i) {
    const Group& g = groups[i];
    const KvCacheView& v = *g.view;
    const size_t n = drawn[i].size();
    const float group_h = cell_h * static_cast<float>(n);
    // At the top of a tall group, so it is in view before scrolling.
    dl->AddText(ImGui::GetFont(), px, {o.x, y + std::clamp((group_h - px) / 2, 0.0f, cell_h)}, g.name_colour, g.name);
    const float label_x = o.x + name_w + px * 0.5f;
    // Too few rows to label each: one label for the group's range of layers.
    const bool range_label = row_label_every > 1 && n > 1 && n <= static_cast<size_t>(row_label_every) * 2;
    if (range_label) {
      const std::string name = "L0–" + std::to_string(drawn[i].back().second);
      dl->AddText(ImGui::GetFont(), px, {label_x, y + (group_h - px) / 2}, faint, name.c_str());
    }
    for (size_t r = 0; r < n; ++r) {
      const auto [first, last] = drawn[i][r];
      const float ry = y + cell_h * static_cast<float>(r);
      if (!range_label && r % static_cast<size_t>(row_label_every) == 0) {
        const std::string name = "L" + std::to_string(first) + (last > first ? "–" + std::to_string(last) : "");
        dl->AddText(ImGui::GetFont(), px, {label_x, ry + (cell_h - px) / 2}, faint, name.c_str());
      }
      const auto& cells = v.cells[static_cast<size_t>(first)];
      for (int p = 0; p < columns; ++p) {
        const ImVec2 a{x0 + col_w * static_cast<float>(p) + 1, ry};
        const ImVec2 b{a.x + col_w - 2, ry + cell_h - 1};
        const KvCell c = p < static_cast<int>(cells.size()) ? cells[static_cast<size_t>(p)] : KvCell{};
        draw_cell(dl, a, b, c);
        if (hovered && mouse.x >= a.x - 1 && mouse.x < b.x + 1 && mouse.y >= a.y - 1 && mouse.y < b.y + 1) {
          const std::string piece = p < static_cast<int>(app.strip.tokens.size())
                                        ? app.strip.tokens[static_cast<size_t>(p)].label()
                                        : std::string();
          std::string tip = kv_cell_tooltip(v, first, p, piece);
          if (last > first) tip += "\n" + format_layers_alike(first, last);
          ImGui::SetTooltip("%s: %s", g.name, tip.c_str());
        }
      }
    }
    y += group_h + group_gap;
  }
  ImGui::EndChild();
}

}  // namespace

void draw_kv_cache_panel(const AppState& app, ImVec2 size) {
  // The tab's whole area: nothing is drawn below the panel inside its tab.
  ImGui::BeginChild("kv_cache_panel", {size.x, std::max(size.y, ImGui::GetContentRegionAvail().y)}, false);
  const int capacity = kv_cache_capacity(*app.session);
  const bool show_uncached = app.mode != ViewMode::Cached;
  const KvCacheView& cached = app.kv_views[static_cast<size_t>(Side::Cached)];
  const KvCacheView& uncached = app.kv_views[static_cast<size_t>(Side::Uncached)];
  const int columns = std::max({capacity, cached.capacity, uncached.capacity});

  // What the step did, in words, then the bytes; where the bytes come from on hover.
  std::string words = kv_cache_summary(cached, show_uncached ? &uncached : nullptr);
  const KvCacheView& bytes_of = cached.step >= 0 || !show_uncached ? cached : uncached;
  if (const std::string bytes = kv_cache_bytes_line(bytes_of); !bytes.empty()) words += "; " + bytes;
  ImGui::PushTextWrapPos(0);
  ImGui::TextUnformatted(words.c_str());
  ImGui::PopTextWrapPos();
  if (ImGui::IsItemHovered() && !kv_cache_bytes_formula(bytes_of).empty()) {
    std::string formulas = kv_cache_bytes_line(bytes_of) + " " + kv_cache_bytes_formula(bytes_of);
    if (show_uncached && &bytes_of != &uncached && !kv_cache_bytes_line(uncached).empty())
      formulas += "\n" + kv_cache_bytes_line(uncached) + " " + kv_cache_bytes_formula(uncached);
    ImGui::SetTooltip("%s\n%s", formulas.c_str(),
                      tr("Each cell: one position of one layer, its keys and values for every kv head."));
  }

  std::vector<Group> groups{{tr("with cache"), kCachedText, &cached}};
  if (show_uncached) groups.push_back({tr("no cache"), kUncachedText, &uncached});
  const float px = std::max(11.0f, ImGui::GetFontSize() * 0.8f);
  const float below = ImGui::GetTextLineHeightWithSpacing();  // the legend's line stays in view
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  draw_grid(app, groups, columns, {avail.x, std::max(avail.y - below, px * 3)});
  draw_legend_line(px, show_uncached);
  ImGui::EndChild();
}

}  // namespace kvscope::gui
