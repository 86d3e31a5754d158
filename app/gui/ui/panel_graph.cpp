#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/gui/logic/chart_axes.h"
#include "app/gui/logic/op_colors.h"
#include "app/gui/logic/tooltips.h"
#include "app/gui/ui/panels.h"

namespace kvscope::gui {

namespace {

// Text smaller than this many pixels is unreadable; skipping it keeps a zoomed-out unfolded graph fast.
constexpr float kMinTextPixels = 5.0f;

struct GraphColours {
  ImU32 background, text, shape, dims, edge, cluster_fill, cluster_border, cluster_title, border, loop;
};
GraphColours graph_colours(bool dark) {
  if (dark)
    return {rgba(30, 31, 36), rgba(235, 235, 235), rgba(140, 190, 255), rgba(170, 170, 170), rgba(170, 170, 170, 210),
            rgba(42, 46, 60), rgba(95, 105, 150),  rgba(180, 190, 240), rgba(150, 150, 150), rgba(200, 170, 255)};
  return {rgba(252, 252, 250), rgba(10, 10, 10),    rgba(20, 60, 140), rgba(90, 90, 90), rgba(90, 90, 90, 200),
          rgba(235, 240, 250), rgba(140, 150, 190), rgba(60, 60, 110), rgba(80, 80, 80), rgba(90, 50, 150)};
}

ImU32 node_fill(const NodeView& n, bool dark) {
  const Rgb c = op_color(n.op);
  // Pastel (light) or deep (dark) fill so the text reads on every op colour; external nodes fainter.
  const float mix = n.external ? 0.8f : 0.6f;
  const int to = dark ? 35 : 255;
  auto blend = [&](uint8_t v) { return static_cast<int>(v + (to - v) * mix); };
  return rgba(blend(c.r), blend(c.g), blend(c.b));
}

void draw_arrow(ImDrawList* dl, Vec2 from, Vec2 tip, float size, ImU32 col) {
  Vec2 d = tip - from;
  const float len = std::sqrt(d.x * d.x + d.y * d.y);
  if (len < 1e-3f) return;
  d = d * (1.0f / len);
  const Vec2 n{-d.y, d.x};
  const Vec2 base = tip - d * size;
  dl->AddTriangleFilled(im(tip), im(base + n * (size * 0.5f)), im(base - n * (size * 0.5f)), col);
}

Vec2 bezier_point(const std::vector<Vec2>& p, size_t i, float t) {
  const float u = 1 - t;
  return p[i] * (u * u * u) + p[i + 1] * (3 * u * u * t) + p[i + 2] * (3 * u * t * t) + p[i + 3] * (t * t * t);
}

// The edge under graph point `g`, within `tolerance` graph units of its curve; -1 for none.
int edge_at(const PaneView& view, Vec2 g, float tolerance) {
  for (size_t ei = 0; ei < view.edges.size(); ++ei) {
    const auto& path = view.edges[ei].path;
    for (size_t i = 0; i + 3 < path.size(); i += 3)
      for (int k = 0; k <= 8; ++k) {
        const Vec2 d = bezier_point(path, i, k / 8.0f) - g;
        if (d.x * d.x + d.y * d.y < tolerance * tolerance) return static_cast<int>(ei);
      }
  }
  return -1;
}

Vec2 edge_middle(const EdgeView& e) {
  if (e.path.size() < 4) return {};
  const size_t segments = (e.path.size() - 1) / 3;
  return bezier_point(e.path, 3 * (segments / 2), segments % 2 ? 0.5f : 0.0f);
}

// The whole graph small in the pane's corner, the visible part outlined; a click or drag there moves the view.
void draw_minimap(AppState& app, Side side, const PaneView& view, Vec2 origin, ImVec2 size, const GraphColours& c) {
  ViewTransform& t = app.cameras[static_cast<size_t>(side)];
  const Rect visible = t.visible({size.x, size.y});
  if (view.nodes.empty() || (visible.contains(view.bounds.min) && visible.contains(view.bounds.max))) return;
  const float w = std::min(size.x * 0.2f, 110.0f), h = std::min(size.y * 0.3f, 150.0f);
  const float scale = std::min(w / std::max(view.bounds.width(), 1.0f), h / std::max(view.bounds.height(), 1.0f));
  const Vec2 box{view.bounds.width() * scale, view.bounds.height() * scale};
  const Vec2 m0{origin.x + size.x - box.x - 8, origin.y + size.y - box.y - 8};
  auto M = [&](Vec2 g) { return im(m0 + (g - view.bounds.min) * scale); };
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled({m0.x - 3, m0.y - 3}, {m0.x + box.x + 3, m0.y + box.y + 3},
                    (c.background & 0x00FFFFFF) | 0xE6000000, 3);
  dl->AddRect({m0.x - 3, m0.y - 3}, {m0.x + box.x + 3, m0.y + box.y + 3}, c.border, 3);
  for (const auto& n : view.nodes) dl->AddRectFilled(M(n.rect.min), M(n.rect.max), node_fill(n, app.dark));
  const Rect clipped{{std::max(visible.min.x, view.bounds.min.x), std::max(visible.min.y, view.bounds.min.y)},
                     {std::min(visible.max.x, view.bounds.max.x), std::min(visible.max.y, view.bounds.max.y)}};
  dl->AddRect(M(clipped.min), M(clipped.max), rgba(220, 60, 30), 0, 0, 2);
  ImGui::SetCursorScreenPos({m0.x - 3, m0.y - 3});
  ImGui::InvisibleButton("minimap", {box.x + 6, box.y + 6});
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tr("The whole graph: click or drag to move the view"));
  if (ImGui::IsItemActive()) {
    const ImVec2 p = ImGui::GetIO().MousePos;
    const Vec2 g = view.bounds.min + (Vec2{p.x, p.y} - m0) * (1.0f / scale);
    t.origin = g - Vec2{size.x, size.y} * (0.5f / t.zoom);
  }
}

void handle_input(AppState& app, Side side, Vec2 origin, bool hovered) {
  const ImGuiIO& io = ImGui::GetIO();
  ViewTransform& t = app.cameras[static_cast<size_t>(side)];
  if (hovered && io.MouseWheel != 0) t.zoom_at(std::pow(1.15f, io.MouseWheel), {io.MousePos.x, io.MousePos.y}, origin);
  if (ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 2.0f))
    t.pan_by_pixels({io.MouseDelta.x, io.MouseDelta.y});
  const ImVec2 drag = ImGui::GetMouseDragDelta(ImGuiMouseButton_Left, 0.0f);
  if (ImGui::IsItemDeactivated() && std::abs(drag.x) + std::abs(drag.y) < 3.0f) {
    const PaneView& view = pane(app, side);
    const int hit = hit_test(view, t.to_graph({io.MousePos.x, io.MousePos.y}, origin));
    if (hit >= 0) select_event(app, side, view.nodes[hit].event);
  }
}

void draw_label_box(ImDrawList* dl, ImFont* font, float px, ImVec2 at, ImU32 text, ImU32 fill, const std::string& s) {
  const ImVec2 size = font->CalcTextSizeA(px, FLT_MAX, 0, s.c_str());
  dl->AddRectFilled({at.x - 3, at.y - 1}, {at.x + size.x + 3, at.y + size.y + 1}, fill, 3);
  dl->AddText(font, px, at, text, s.c_str());
}

// The shape line with the sizes that differ on the other side in red: "4, 1, 64" beside "4, 15, 64".
void draw_shape_differences(ImDrawList* dl, ImFont* font, float px, ImVec2 at, const NodeView& n, ImU32 col) {
  size_t begin = 0;
  for (int axis = 0; begin <= n.shape.size(); ++axis) {
    size_t end = n.shape.find(", ", begin);
    if (end == std::string::npos) end = n.shape.size();
    const bool red = std::find(n.differing_axes.begin(), n.differing_axes.end(), axis) != n.differing_axes.end();
    const std::string part = n.shape.substr(begin, end - begin) + (end < n.shape.size() ? ", " : "");
    dl->AddText(font, px, at, red ? rgba(215, 30, 30) : col, part.c_str());
    at.x += font->CalcTextSizeA(px, FLT_MAX, 0, part.c_str()).x;
    begin = end + 2;
  }
}

}  // namespace

void draw_pane_title(const AppState& app, Side side, const Rect& r) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const PaneView& view = pane(app, side);
  const std::string& heading = view.heading;
  dl->PushClipRect(im(r.min), im(r.max), true);
  const ImU32 text = app.dark ? rgba(230, 230, 230) : rgba(30, 30, 30);
  dl->AddText({r.min.x + 2, r.min.y + 2}, text, heading.c_str());
  dl->PopClipRect();
  ImGui::SetCursorScreenPos(im(r.min));
  ImGui::InvisibleButton("title", {r.width(), r.height()});
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("%s%s%s", heading.c_str(), view.change_note.empty() ? "" : "\n", view.change_note.c_str());
}

void draw_graph_pane(AppState& app, Side side, Fonts& fonts, ImVec2 size) {
  ImGui::PushID(static_cast<int>(side));
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  const Vec2 origin{p0.x, p0.y};
  ImGui::InvisibleButton("canvas", size);
  const bool hovered = ImGui::IsItemHovered();
  handle_input(app, side, origin, hovered);

  const PaneView& view = pane(app, side);
  const ViewTransform& t = app.cameras[static_cast<size_t>(side)];
  const GraphColours c = graph_colours(app.dark);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 p1{p0.x + size.x, p0.y + size.y};
  dl->PushClipRect(p0, p1, true);
  dl->AddRectFilled(p0, p1, c.background);
  const Rect visible = t.visible({size.x, size.y});
  const float z = t.zoom;
  const float text_px = fonts.graph_font_size() * z;
  ImFont* font = fonts.graph_font(text_px);
  const bool text = text_px >= kMinTextPixels;
  auto S = [&](Vec2 g) { return im(t.to_screen(g, origin)); };

  for (const auto& cl : view.clusters) {
    if (!cl.box.overlaps(visible)) continue;
    dl->AddRectFilled(S(cl.box.min), S(cl.box.max), c.cluster_fill, 4 * z);
    dl->AddRect(S(cl.box.min), S(cl.box.max), c.cluster_border, 4 * z, 0, 1.5f);
    if (text) dl->AddText(font, text_px * 1.1f, S(cl.box.min + Vec2{8, 4}), c.cluster_title, cl.title.c_str());
  }
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  const Vec2 mouse_g = t.to_graph({mouse.x, mouse.y}, origin);
  const int hovered_node = hovered ? hit_test(view, mouse_g) : -1;
  const int hovered_edge = hovered && hovered_node < 0 ? edge_at(view, mouse_g, 5 / z) : -1;
  const float arrow = std::max(3.0f, 7 * z);
  for (size_t ei = 0; ei < view.edges.size(); ++ei) {
    const auto& e = view.edges[ei];
    if (e.path.size() < 4) continue;
    Rect box{e.path.front(), e.path.front()};
    for (Vec2 p : e.path) box = box.united({p, p});
    if (!box.overlaps(visible)) continue;
    const bool highlight = static_cast<int>(ei) == hovered_edge;
    const ImU32 col = e.loop ? c.loop : !e.cache_role.empty() ? rgba(130, 40, 160) : c.edge;
    const float width = highlight ? 3.0f : e.loop || !e.cache_role.empty() ? 1.8f : 1.2f;
    for (size_t i = 0; i + 3 < e.path.size(); i += 3)
      dl->AddBezierCubic(S(e.path[i]), S(e.path[i + 1]), S(e.path[i + 2]), S(e.path[i + 3]), col, width);
    const Vec2 tip = e.path.back();
    Vec2 from = e.path[e.path.size() - 2];
    for (size_t k = e.path.size() - 2; k > 0 && std::abs(from.x - tip.x) + std::abs(from.y - tip.y) < 1e-2f; --k)
      from = e.path[k - 1];
    draw_arrow(dl, t.to_screen(from, origin), t.to_screen(tip, origin), arrow, col);
    if (!text) continue;
    if (!e.label.empty()) draw_label_box(dl, font, text_px, S(e.label_pos), col, c.background, e.label);
    if (!e.cache_role.empty())
      draw_label_box(dl, font, text_px * 0.9f, S(edge_middle(e) + Vec2{4, -6}), col, c.background, e.cache_role);
  }
  const bool compare = app.mode == ViewMode::Compare;
  for (const auto& n : view.nodes) {
    if (!n.rect.overlaps(visible)) continue;
    const ImVec2 a = S(n.rect.min), b = S(n.rect.max);
    if (n.changed) {
      const float g = 3 * z + 2;
      dl->AddRect({a.x - g, a.y - g}, {b.x + g, b.y + g}, rgba(245, 150, 0), 5 * z, 0, std::max(2.0f, 3 * z));
    }
    dl->AddRectFilled(a, b, node_fill(n, app.dark), 3 * z);
    const bool selected = app.selection.side == side && app.selection.event == n.event;
    const bool counterpart = app.counterpart.side == side && app.counterpart.event == n.event;
    ImU32 border = c.border;
    float thick = 1.0f;
    if (n.cache) border = rgba(130, 40, 160), thick = 2.5f;
    if (counterpart) border = rgba(30, 120, 230), thick = 3.5f;
    if (selected) border = app.dark ? rgba(255, 255, 255) : rgba(0, 0, 0), thick = 3.5f;
    dl->AddRect(a, b, border, 3 * z, 0, thick);
    if (compare && n.differs) {
      // A red corner: this tensor's shape differs on the other side (the tooltip says how).
      const float k = std::max(6.0f, 10 * z);
      dl->AddTriangleFilled({b.x - k, a.y}, {b.x, a.y}, {b.x, a.y + k}, rgba(215, 40, 40));
    }
    if (!text) continue;
    const float line = text_px * 1.15f;
    const float x = a.x + 8 * z, y = a.y + 5 * z;
    dl->AddText(font, text_px, {x, y}, c.text, n.name.c_str());
    if (compare && !n.differing_axes.empty()) draw_shape_differences(dl, font, text_px, {x, y + line}, n, c.shape);
    else dl->AddText(font, text_px, {x, y + line}, c.shape, n.shape.c_str());
    dl->AddText(font, text_px, {x, y + 2 * line}, c.dims, n.dims.c_str());
  }
  if (view.step < 0 && side == Side::Uncached)
    dl->AddText({p0.x + 8, p0.y + 8}, c.dims, tr("The uncached run starts with the first predicted token."));
  else if (view.step < 0) dl->AddText({p0.x + 8, p0.y + 8}, c.dims, tr("Press Prefill or Step to run the model."));
  dl->AddRect(p0, p1, rgba(160, 160, 160));
  dl->PopClipRect();

  const char* other = tr(side == Side::Cached ? "uncached run" : "cached run");
  // The tooltips read the run's events, which a step computing in the background is adding to: meanwhile the
  // node's own label lines stand in.
  if (hovered_node >= 0 && session_busy(app)) {
    const NodeView& n = view.nodes[static_cast<size_t>(hovered_node)];
    ImGui::SetTooltip("%s\n%s\n%s\n(%s)", n.name.c_str(), n.shape.c_str(), n.dims.c_str(),
                      tr("more when the step is done"));
  } else if (hovered_node >= 0) {
    ImGui::SetTooltip(
        "%s",
        node_tooltip(run_of(app, side), view.nodes[static_cast<size_t>(hovered_node)], app.view.labels, other).c_str());
  } else if (hovered_edge >= 0 && !session_busy(app)) {
    ImGui::SetTooltip("%s",
                      edge_tooltip(run_of(app, side), view, view.edges[static_cast<size_t>(hovered_edge)]).c_str());
  }
  draw_minimap(app, side, view, origin, size, c);
  ImGui::PopID();
}

namespace {

void draw_step_metrics_line(const AppState& app, Side side) {
  const int step = pane(app, side).step;
  if (step < 0) {
    ImGui::TextDisabled("-");
    return;
  }
  const trace::ModeWork& m = pane(app, side).work;
  // Work, not time: one wall-clock sample says more about the machine's load than about the cache.
  ImGui::Text(tr("this step: %d tokens in | %s | KV cache %s"), m.tokens_in,
              si_quantity(static_cast<double>(m.macs), Unit::Macs).c_str(),
              si_quantity(static_cast<double>(m.kv_cache_bytes), Unit::Bytes).c_str());
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("%s", tr("Tokens the step ran through the model, multiply-accumulates it did, and the bytes the "
                               "KV cache holds after it"));
}

}  // namespace

void draw_step_metrics(const AppState& app, Side side, float width) {
  // A line as wide as the pane: longer text is cut, not allowed to push the other pane aside.
  ImGui::PushID(static_cast<int>(side));
  ImGui::BeginChild("metrics", {width, ImGui::GetTextLineHeightWithSpacing()}, false,
                    ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse);
  draw_step_metrics_line(app, side);
  ImGui::EndChild();
  ImGui::PopID();
}

}  // namespace kvscope::gui
