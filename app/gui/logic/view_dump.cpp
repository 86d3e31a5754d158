#include "app/gui/logic/app_state.h"

#include <nlohmann/json.hpp>

namespace kvscope::gui {

namespace {

using ojson = nlohmann::ordered_json;

ojson heatmap_json(const Heatmap& h) {
  auto axis = [](const HeatmapAxis& a) {
    return ojson{{"name", a.name}, {"first_position", a.first_position}, {"labels", a.labels}};
  };
  return {{"rows", h.rows}, {"cols", h.cols}, {"row_axis", axis(h.row_axis)}, {"col_axis", axis(h.col_axis)}};
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
                             {"changed", n.changed},
                             {"differs", n.differs},
                             {"rect", {n.rect.min.x, n.rect.min.y, n.rect.max.x, n.rect.max.y}}});
    }
    pj["edges"] = p.edges.size();
    pj["clusters"] = ojson::array();
    for (const auto& c : p.clusters) pj["clusters"].push_back(c.title);
    j["panes"].push_back(std::move(pj));
  }
  if (app.inspector) {
    j["selected"] = {{"side", side_name(app.selection.side)},
                     {"event", app.inspector->event},
                     {"lines", app.inspector->lines},
                     {"inputs", app.inspector->inputs.size()},
                     {"consumers", app.inspector->consumers.size()},
                     {"heatmap", app.inspector->heatmap ? heatmap_json(*app.inspector->heatmap) : ojson()}};
  }
  j["layouts_computed"] = app.layouts.layouts_computed();
  j["last_layout_ms"] = app.layouts.last_layout_ms();
  j["status"] = app.status;
  return j.dump(1) + "\n";
}

}  // namespace kvscope::gui
