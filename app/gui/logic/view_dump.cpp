#include "app/gui/logic/app_state.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "app/gui/logic/tooltips.h"

namespace kvscope::gui {

namespace {

using ojson = nlohmann::ordered_json;

ojson heatmap_json(const Heatmap& h) {
  auto axis = [](const HeatmapAxis& a) {
    return ojson{{"name", a.name}, {"first_position", a.first_position}, {"labels", a.labels}};
  };
  static const char* kScales[] = {"probability", "diverging", "sequential"};
  return {{"rows", h.rows},
          {"cols", h.cols},
          {"row_axis", axis(h.row_axis)},
          {"col_axis", axis(h.col_axis)},
          {"slices", h.slices},
          {"slice", h.slice},
          {"slice_text", slice_text(h)},
          {"scale", kScales[static_cast<int>(h.scale)]},
          {"scale_min", h.scale_min},
          {"scale_max", h.scale_max},
          {"fixed_scale", h.fixed_scale},
          {"scale_label", h.scale_label},
          {"colour_bar_ticks", colour_bar_ticks(h)},
          {"masked", h.masked}};
}

// The Work tab's charts: each one's series and axes (as drawn with up to 4 y ticks).
ojson charts_json(const AppState& app) {
  ojson charts = ojson::array();
  for (const WorkChart& c : work_charts(app.series)) {
    const ZeroBasedAxis y = zero_based_axis(chart_max(c), 4);
    const int n = static_cast<int>(c.cached->size());
    ojson cj{{"title", c.title},
             {"unit", c.unit == Unit::Macs ? "MACs" : "bytes"},
             {"cached", *c.cached},
             {"y_ticks", y.ticks},
             {"x_ticks", integer_ticks(1, n, 8)}};
    if (c.uncached) cj["uncached"] = *c.uncached;
    std::vector<std::string> labels;
    for (double v : y.ticks) labels.push_back(chart_tick_label(c, v));
    cj["y_tick_labels"] = labels;
    charts.push_back(std::move(cj));
  }
  return charts;
}

// The Work tab's timing. A meta run's says only why there is none: no figure in milliseconds at all.
ojson timing_json(const AppState& app) {
  const app::RunSpec& spec = app.session->spec();
  ojson timing{{"available", timing_unavailable_reason(spec).empty()},
               {"reason", timing_unavailable_reason(spec)},
               {"running", app.timing.running()}};
  if (const auto r = app.timing.result_for(spec)) {
    timing["runs"] = r->runs;
    timing["tokens"] = r->tokens;
    timing["cached_median_ms"] = r->cached_median_ms;
    timing["uncached_median_ms"] = r->uncached_median_ms;
  }
  return timing;
}

}  // namespace

std::string dump_view_json(const AppState& app) {
  ojson j;
  j["model"] = app.session->model().config().name;
  j["meta"] = app.session->meta();
  j["mode"] = view_mode_name(app.mode);
  j["fold"] = app.view.fold;
  j["layer"] = app.view.layer;
  j["labels"] = app.view.labels == trace::Labels::Zh ? "zh" : "en";
  j["generated"] = app.session->generated_tokens();
  j["prompt_field"] = {{"kind", app.prompt.kind == PromptKind::Text ? "text" : "ids"}, {"value", app.prompt.value}};
  j["strip"] = {{"where", app.strip.where}, {"text", app.strip.text}, {"tokens", ojson::array()}};
  for (const TokenView& t : app.strip.tokens)
    j["strip"]["tokens"].push_back(
        {{"id", t.id}, {"piece", t.piece}, {"label", t.label()}, {"generated", t.generated}});
  j["panes"] = ojson::array();
  for (Side s : {Side::Cached, Side::Uncached}) {
    const PaneView& p = pane(app, s);
    ojson pj;
    pj["side"] = side_name(s);
    pj["step"] = p.step;
    pj["nodes"] = ojson::array();
    for (const auto& n : p.nodes) {
      const auto& e = run_of(app, s).events.at(n.event);
      pj["nodes"].push_back({{"event", n.event},
                             {"name", n.name},
                             {"layer", n.layer},
                             {"step", e.step},
                             {"shape", e.shape},
                             {"shape_text", n.shape},
                             {"dims", n.dims},
                             {"op", std::string(trace::op_name(n.op))},
                             {"external", n.external},
                             {"cache", n.cache},
                             {"key", n.key},
                             {"changed", n.changed},
                             {"change", n.change},
                             {"differs", n.differs},
                             {"difference", n.difference},
                             {"rect", {n.rect.min.x, n.rect.min.y, n.rect.max.x, n.rect.max.y}}});
    }
    pj["edges"] = p.edges.size();
    pj["cache_edges"] = ojson::array();
    for (const auto& e : p.edges)
      if (!e.cache_role.empty())
        pj["cache_edges"].push_back({{"from", p.nodes.at(static_cast<size_t>(e.from)).name},
                                     {"to", p.nodes.at(static_cast<size_t>(e.to)).name},
                                     {"label", e.cache_role}});
    pj["heading"] = pane_heading(run_of(app, s), p, app.session->meta(), side_name(s), app.view.fold);
    pj["change_note"] = p.change_note;
    // What the pane shows on screen: its rectangle, zoom and label size, and the nodes at least partly in it.
    const auto& sides = shown_sides(app);
    pj["shown"] = std::find(sides.begin(), sides.end(), s) != sides.end();
    const Rect r = pane_rect(app, s);
    const ViewTransform& cam = app.cameras[static_cast<size_t>(s)];
    pj["screen"] = {r.min.x, r.min.y, r.max.x, r.max.y};
    pj["zoom"] = cam.zoom;
    pj["label_px"] = label_pixels(app, s);
    pj["visible"] = ojson::array();
    const Rect seen = cam.visible({r.width(), r.height()});
    for (const auto& n : p.nodes)
      if (n.rect.overlaps(seen)) pj["visible"].push_back(n.name);
    pj["clusters"] = ojson::array();
    for (const auto& c : p.clusters) pj["clusters"].push_back(c.title);
    j["panes"].push_back(std::move(pj));
  }
  if (app.inspector) {
    const trace::Event& sel = run_of(app, app.selection.side).events.at(static_cast<size_t>(app.inspector->event));
    j["selected"] = {{"side", side_name(app.selection.side)},
                     {"event", app.inspector->event},
                     {"name", sel.name},
                     {"layer", sel.layer},
                     {"step", sel.step},
                     {"shape", sel.shape},
                     {"counterpart_event", app.counterpart.event},
                     {"lines", app.inspector->lines},
                     {"inputs", app.inspector->inputs.size()},
                     {"consumers", app.inspector->consumers.size()},
                     {"heatmap", app.inspector->heatmap ? heatmap_json(*app.inspector->heatmap) : ojson()}};
  }
  j["layouts_computed"] = app.layouts.layouts_computed();
  j["last_layout_ms"] = app.layouts.last_layout_ms();
  j["status"] = app.status;
  j["status_error"] = app.status_error;
  j["window"] = {app.window_size.x, app.window_size.y};
  j["panels"] = {
      {"settings", app.panels.left_open}, {"inspector", app.panels.right_open}, {"bottom", app.panels.bottom_open}};
  j["pending_meta"] = app.pending.meta;
  j["language"] = ui_language_name(ui_language());
  j["theme"] = app.dark ? "dark" : "light";
  j["help_open"] = app.help_open;
  j["charts"] = charts_json(app);
  j["timing"] = timing_json(app);
  return j.dump(1) + "\n";
}

}  // namespace kvscope::gui
