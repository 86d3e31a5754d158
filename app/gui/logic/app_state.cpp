#include "app/gui/logic/app_state.h"

#include <stdexcept>
#include <utility>

namespace kvscope::gui {

const char* view_mode_name(ViewMode m) {
  switch (m) {
    case ViewMode::Cached: return "cached";
    case ViewMode::Uncached: return "uncached";
    case ViewMode::Compare: return "compare";
  }
  return "?";
}

AppState::AppState(app::RunSpec spec, TextMetrics text_metrics)
    : session(std::make_unique<Session>(spec)),
      pending(std::move(spec)),
      prompt(prompt_field_of(*session)),
      metrics(std::move(text_metrics)) {}

const PaneView& pane(const AppState& app, Side s) { return app.panes[static_cast<size_t>(s)]; }
const trace::Run& run_of(const AppState& app, Side s) { return app.session->run(s); }

namespace {

Rect shown_bounds(const AppState& app) {
  const PaneView& cached = pane(app, Side::Cached);
  const PaneView& uncached = pane(app, Side::Uncached);
  switch (app.mode) {
    case ViewMode::Cached: return cached.bounds;
    case ViewMode::Uncached: return uncached.bounds;
    case ViewMode::Compare: break;
  }
  if (cached.step < 0) return uncached.bounds;
  if (uncached.step < 0) return cached.bounds;
  return cached.bounds.united(uncached.bounds);
}

void after_run_change(AppState& app, bool stepped) {
  app.dirty = true;
  app.stepped = stepped;
  if (stepped) app.changed_at = app.clock;
}

}  // namespace

void refresh(AppState& app) {
  if (app.dirty) {
    std::string old_keys;
    for (const auto& p : app.panes) old_keys += p.layout_key + "|";
    for (Side s : {Side::Cached, Side::Uncached}) {
      const trace::Run& run = app.session->run(s);
      PaneView next = build_pane_view(run, app.session->current_step(s), app.view, app.layouts, app.metrics);
      // Against the step before, not against what was last drawn: a script may take several steps per frame.
      if (app.stepped && next.step > 0)
        mark_changes(next, build_pane_view(run, next.step - 1, app.view, app.layouts, app.metrics));
      app.panes[static_cast<size_t>(s)] = std::move(next);
    }
    mark_differences(app.panes[0], app.panes[1]);
    std::string new_keys;
    for (const auto& p : app.panes) new_keys += p.layout_key + "|";
    if (new_keys != old_keys) app.fit_requested = true;
    app.series = work_series(app.session->run(Side::Cached), app.session->run(Side::Uncached));
    app.strip = build_token_strip(*app.session);
    app.dirty = false;
    app.stepped = false;
    app.inspector_dirty = true;
  }
  if (app.inspector_dirty) {
    app.inspector.reset();
    const trace::Run& run = app.session->run(app.selection.side);
    if (app.selection.event >= static_cast<int>(run.events.size())) app.selection.event = -1;
    if (app.selection.event >= 0)
      app.inspector = build_inspector(run, app.selection.event, app.heatmap_slice, app.session->meta(),
                                      sequence_tokens(run, app.session->tokenizer()));
    app.inspector_dirty = false;
  }
}

void fit_if_requested(AppState& app) {
  if (!app.fit_requested) return;
  app.transform.fit(shown_bounds(app), app.viewport_size);
  app.fit_requested = false;
}

void tick(AppState& app, double dt) {
  app.clock += dt;
  if (!app.playing) return;
  app.play_credit += dt * app.speed;
  while (app.play_credit >= 1.0) {
    app.play_credit -= 1.0;
    if (app.session->done()) {
      app.playing = false;
      app.status = "played to the end of the run (" + std::to_string(app.session->generated()) + " tokens)";
      app.status_error = false;
      break;
    }
    do_step(app);
  }
}

void apply_pending(AppState& app) {
  auto next = std::make_unique<Session>(app.pending);
  app.session = std::move(next);
  app.prompt = prompt_field_of(*app.session);
  app.selection = {};
  app.playing = false;
  app.panes = {};
  app.fit_requested = true;
  app.status = "loaded " + app.session->model().config().name +
               (app.session->meta_forced() ? ": meta mode (shapes only), its weights would need more than 2 GB"
                : app.session->meta()      ? " (meta mode: shapes only)"
                                           : "");
  app.status_error = false;
  after_run_change(app, false);
}

void load_spec(AppState& app, app::RunSpec spec) {
  app::RunSpec before = std::exchange(app.pending, std::move(spec));
  try {
    apply_pending(app);
  } catch (...) {
    app.pending = std::move(before);
    throw;
  }
}

void do_reset(AppState& app) {
  app.session->reset();
  app.playing = false;
  app.panes = {};
  after_run_change(app, false);
}

void do_prefill(AppState& app) {
  app.session->prefill();
  after_run_change(app, true);
}

void do_step(AppState& app) {
  if (app.session->done()) {
    app.playing = false;
    throw std::invalid_argument("the run has generated all " + std::to_string(app.session->spec().new_tokens) +
                                " tokens it was set up for; raise new-tokens or use run-to");
  }
  app.session->step();
  after_run_change(app, true);
}

void do_run_to(AppState& app, int tokens) {
  if (tokens < 1) throw std::invalid_argument("run-to needs a token count of at least 1");
  app.session->run_to(tokens);
  after_run_change(app, true);
}

void set_view_options(AppState& app, const ViewOptions& options) {
  const int layers = app.session->model().config().num_hidden_layers;
  if (options.layer < 0 || options.layer >= layers)
    throw std::invalid_argument("layer " + std::to_string(options.layer) + " is not in the model (layers 0-" +
                                std::to_string(layers - 1) + ")");
  app.view = options;
  after_run_change(app, false);
}

void select_event(AppState& app, Side side, int event) {
  app.selection = {side, event};
  app.heatmap_slice = 0;
  app.inspector_dirty = true;
}

void focus_selection(AppState& app) {
  refresh(app);
  fit_if_requested(app);
  for (const auto& n : pane(app, app.selection.side).nodes)
    if (n.event == app.selection.event) {
      app.transform.origin = n.rect.center() - app.viewport_size * (0.5f / app.transform.zoom);
      return;
    }
  throw std::invalid_argument("focus: no tensor is selected");
}

void select_by_name(AppState& app, const std::string& name, int layer) {
  refresh(app);
  const Side first = app.mode == ViewMode::Uncached ? Side::Uncached : Side::Cached;
  for (Side s : {first, first == Side::Cached ? Side::Uncached : Side::Cached}) {
    const int i = find_node(pane(app, s), run_of(app, s), name, layer);
    if (i >= 0) {
      select_event(app, s, pane(app, s).nodes[i].event);
      return;
    }
  }
  throw std::invalid_argument("no tensor named '" + name + "'" +
                              (layer >= 0 ? " in layer " + std::to_string(layer) : std::string()) +
                              " is drawn at this step");
}

}  // namespace kvscope::gui
