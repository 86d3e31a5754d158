#include "app/gui/logic/app_state.h"

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "app/common/graph_drawing.h"
#include "trace/atomic_file.h"
#include "trace/document_json.h"

namespace kvscope::gui {

namespace {

// While the cursor is at the prefill or the first decode step, or when the view draws the prefill too, a
// cached export draws the prefill and the current step, the two subgraphs of seed 000; otherwise the
// current step (with the cache it reads as external nodes).
std::vector<int> export_steps(const AppState& app, Side side) {
  const int current = app.session->current_step(side);
  if (current < 0) return {};
  if (side == Side::Cached && current > 0 && (current == 1 || app.view.with_prefill)) return {0, current};
  return {current};
}

std::vector<Side> exported_sides(const AppState& app) {
  switch (app.mode) {
    case ViewMode::Cached: return {Side::Cached};
    case ViewMode::Uncached: return {Side::Uncached};
    case ViewMode::Compare: break;
  }
  return {Side::Cached, Side::Uncached};
}

}  // namespace

void export_view(AppState& app, const std::string& format, const std::string& path) {
  if (path.empty()) throw std::invalid_argument("export: type a file path first");
  if (format == "png") {
    app.png_request = path;
    return;
  }
  std::string content, note;
  if (format == "json") {
    trace::Document doc = app::new_document(app.session->model(), app.session->weights());
    for (Side s : exported_sides(app)) doc.runs.push_back(app.session->run(s));
    content = trace::document_to_json(doc).dump(1) + "\n";
  } else if (format == "mermaid" || format == "dot") {
    std::vector<app::DrawnRun> runs;
    for (Side s : exported_sides(app)) {
      std::vector<int> steps = export_steps(app, s);
      if (!steps.empty()) runs.push_back({&app.session->run(s), std::move(steps)});
    }
    if (runs.empty()) throw std::invalid_argument("export: no step has run yet; prefill or step first");
    app::GraphDrawing drawing = app::draw_graph(runs, format, {app.view.fold, app.view.layer, app.view.labels});
    content = std::move(drawing.text);
    note = std::move(drawing.warning);
  } else {
    throw std::invalid_argument("export: unknown format '" + format + "' (mermaid, dot, json or png)");
  }
  trace::write_file_atomically(path, content);
  app.status = "wrote " + format + " to " + path + " (" + std::to_string(content.size()) + " bytes)" +
               (note.empty() ? "" : "; " + note);
  app.status_error = false;
}

}  // namespace kvscope::gui
