#include <cmath>
#include <cstdio>

#include "app/gui/logic/op_colors.h"
#include "app/gui/ui/panels.h"

namespace kvscope::gui {

namespace {

ImVec2 im(Vec2 v) { return {v.x, v.y}; }

// Text smaller than this many pixels is unreadable; skipping it keeps a zoomed-out unfolded graph fast.
constexpr float kMinTextPixels = 5.0f;

ImU32 node_fill(const NodeView& n) {
  const Rgb c = op_color(n.op);
  // Pastel fill so black text reads on every op colour; external nodes paler still.
  const float mix = n.external ? 0.8f : 0.6f;
  auto pastel = [&](uint8_t v) { return static_cast<int>(v + (255 - v) * mix); };
  return rgba(pastel(c.r), pastel(c.g), pastel(c.b));
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

void handle_input(AppState& app, Side side, Vec2 origin, bool hovered) {
  const ImGuiIO& io = ImGui::GetIO();
  if (hovered && io.MouseWheel != 0)
    app.transform.zoom_at(std::pow(1.15f, io.MouseWheel), {io.MousePos.x, io.MousePos.y}, origin);
  if (ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 2.0f))
    app.transform.pan_by_pixels({io.MouseDelta.x, io.MouseDelta.y});
  const ImVec2 drag = ImGui::GetMouseDragDelta(ImGuiMouseButton_Left, 0.0f);
  if (ImGui::IsItemDeactivated() && std::abs(drag.x) + std::abs(drag.y) < 3.0f) {
    const PaneView& view = pane(app, side);
    const int hit = hit_test(view, app.transform.to_graph({io.MousePos.x, io.MousePos.y}, origin));
    if (hit >= 0) select_event(app, side, view.nodes[hit].event);
  }
}

}  // namespace

void draw_graph_pane(AppState& app, Side side, Fonts& fonts, ImVec2 size) {
  ImGui::PushID(static_cast<int>(side));
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  const Vec2 origin{p0.x, p0.y};
  ImGui::InvisibleButton("canvas", size);
  handle_input(app, side, origin, ImGui::IsItemHovered());

  const PaneView& view = pane(app, side);
  const ViewTransform& t = app.transform;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 p1{p0.x + size.x, p0.y + size.y};
  dl->PushClipRect(p0, p1, true);
  dl->AddRectFilled(p0, p1, rgba(252, 252, 250));
  const Rect visible = t.visible({size.x, size.y});
  const float z = t.zoom;
  ImFont* font = ImGui::GetFont();
  const float text_px = fonts.graph_font_size() * z;
  const bool text = text_px >= kMinTextPixels;
  auto S = [&](Vec2 g) { return im(t.to_screen(g, origin)); };

  for (const auto& c : view.clusters) {
    if (!c.box.overlaps(visible)) continue;
    dl->AddRectFilled(S(c.box.min), S(c.box.max), rgba(235, 240, 250), 4 * z);
    dl->AddRect(S(c.box.min), S(c.box.max), rgba(140, 150, 190), 4 * z, 0, 1.5f);
    if (text) dl->AddText(font, text_px * 1.1f, S(c.box.min + Vec2{8, 4}), rgba(60, 60, 110), c.title.c_str());
  }
  const ImU32 edge_col = rgba(90, 90, 90, 200);
  const float arrow = std::max(3.0f, 7 * z);
  for (const auto& e : view.edges) {
    if (e.path.size() < 4) continue;
    Rect box{e.path.front(), e.path.front()};
    for (Vec2 p : e.path) box = box.united({p, p});
    if (!box.overlaps(visible)) continue;
    const ImU32 col = e.label.empty() ? edge_col : rgba(200, 60, 60);
    for (size_t i = 0; i + 3 < e.path.size(); i += 3)
      dl->AddBezierCubic(S(e.path[i]), S(e.path[i + 1]), S(e.path[i + 2]), S(e.path[i + 3]), col, 1.2f);
    const Vec2 tip = e.path.back();
    Vec2 from = e.path[e.path.size() - 2];
    for (size_t k = e.path.size() - 2; k > 0 && std::abs(from.x - tip.x) + std::abs(from.y - tip.y) < 1e-2f; --k)
      from = e.path[k - 1];
    draw_arrow(dl, t.to_screen(from, origin), t.to_screen(tip, origin), arrow, col);
    if (!e.label.empty() && text) dl->AddText(font, text_px, S(e.label_pos), col, e.label.c_str());
  }
  const double since_change = app.clock - app.changed_at;
  const float glow = since_change < kChangeHighlightSeconds
                         ? static_cast<float>(1.0 - since_change / kChangeHighlightSeconds)
                         : 0.0f;
  const bool compare = app.mode == ViewMode::Compare;
  for (const auto& n : view.nodes) {
    if (!n.rect.overlaps(visible)) continue;
    const ImVec2 a = S(n.rect.min), b = S(n.rect.max);
    if (n.changed && glow > 0) {
      const float g = 6 * z + 2;
      dl->AddRectFilled({a.x - g, a.y - g}, {b.x + g, b.y + g}, rgba(255, 200, 0, static_cast<int>(220 * glow)), 6 * z);
    }
    dl->AddRectFilled(a, b, node_fill(n), 3 * z);
    const bool selected = app.selection.side == side && app.selection.event == n.event;
    ImU32 border = rgba(80, 80, 80);
    float thick = 1.0f;
    if (n.cache) border = rgba(130, 40, 160), thick = 2.5f;
    if (selected) border = rgba(0, 0, 0), thick = 3.5f;
    dl->AddRect(a, b, border, 3 * z, 0, thick);
    if (compare && n.differs) dl->AddCircleFilled({b.x - 5 * z, a.y + 5 * z}, std::max(2.0f, 4 * z), rgba(220, 30, 30));
    if (!text) continue;
    const float line = text_px * 1.15f;
    const float x = a.x + 8 * z, y = a.y + 5 * z;
    dl->AddText(font, text_px, {x, y}, rgba(10, 10, 10), n.name.c_str());
    dl->AddText(font, text_px, {x, y + line}, rgba(20, 60, 140), n.shape.c_str());
    dl->AddText(font, text_px, {x, y + 2 * line}, rgba(90, 90, 90), n.dims.c_str());
  }
  char title[128];
  if (view.step < 0)
    std::snprintf(title, sizeof title, "%s: no step yet%s", side_name(side),
                  side == Side::Uncached ? " (the uncached run starts with the first predicted token)" : "");
  else
    std::snprintf(title, sizeof title, "%s, step %d, %zu tensors%s", side_name(side), view.step, view.nodes.size(),
                  app.view.fold ? ", folded" : "");
  dl->AddText({p0.x + 6, p0.y + 4}, rgba(30, 30, 30), title);
  dl->AddRect(p0, p1, rgba(160, 160, 160));
  dl->PopClipRect();
  ImGui::PopID();
}

namespace {

void draw_step_metrics_line(const AppState& app, Side side) {
  const int step = pane(app, side).step;
  if (step < 0) {
    ImGui::TextDisabled("-");
    return;
  }
  const trace::Run& run = run_of(app, side);
  const trace::ModeWork m = step_work(run, step);
  // The token the step predicted, first: both sides predict the same one at different costs.
  const std::optional<TokenView> next = app.session->meta() ? std::nullopt : generated_token(run, step);
  if (next) {
    ImGui::Text("next %s", next->label().c_str());
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", token_tooltip(*next).c_str());
    ImGui::SameLine();
    ImGui::TextUnformatted("|");
    ImGui::SameLine();
  }
  ImGui::Text("tokens %d | MACs %.3g | KV cache %.1f KiB | %.2f ms", m.tokens_in, static_cast<double>(m.macs),
              m.kv_cache_bytes / 1024.0, m.ms);
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
