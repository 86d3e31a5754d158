#include "app/gui/logic/app_state.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>
#include <stdexcept>
#include <utility>

#include "app/gui/logic/tooltips.h"

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
    : AppState(std::make_unique<Session>(spec), spec, std::move(text_metrics)) {}

AppState::AppState(std::unique_ptr<Session> loaded, app::RunSpec spec, TextMetrics text_metrics)
    : session(std::move(loaded)),
      pending(std::move(spec)),
      prompt(prompt_field_of(*session)),
      metrics(std::move(text_metrics)) {
  if (session->meta()) pending.meta = true;  // forced for a model too large: the checkbox says so
}

const PaneView& pane(const AppState& app, Side s) { return app.panes[static_cast<size_t>(s)]; }
const trace::Run& run_of(const AppState& app, Side s) {
  if (session_busy(app))
    throw std::invalid_argument("the model is computing " + app.job.what() + "; try again when it is done");
  return app.session->run(s);
}

bool session_busy(const AppState& app) { return app.job.running() && app.job.kind() == BackgroundJob::Kind::Steps; }

bool model_busy(const AppState& app) { return app.job.running() || app.queued_steps > 0; }

std::vector<Side> shown_sides(const AppState& app) {
  switch (app.mode) {
    case ViewMode::Cached: return {Side::Cached};
    case ViewMode::Uncached: return {Side::Uncached};
    case ViewMode::Compare: break;
  }
  return {Side::Cached, Side::Uncached};
}

ScreenLayout layout_of(const AppState& app) {
  return screen_layout(app.window_size, app.panels, app.measured, static_cast<int>(shown_sides(app).size()),
                       app.line_height, app.frame_height);
}

Rect pane_rect(const AppState& app, Side s) {
  const ScreenLayout l = layout_of(app);
  const std::vector<Side> sides = shown_sides(app);
  for (size_t i = 0; i < sides.size(); ++i)
    if (sides[i] == s) return l.panes[i];
  return l.panes[0];  // a hidden side is fitted as if it were the one shown
}

float label_pixels(const AppState& app, Side s) {
  return app.metrics.font_px * app.cameras[static_cast<size_t>(s)].zoom;
}

float readable_zoom(const AppState& app) { return kReadableLabelPixels / app.metrics.font_px; }

namespace {

template <class... Args>
std::string formatted(const char* fmt, Args... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

Vec2 size_of(const Rect& r) { return {r.width(), r.height()}; }

// The selected tensor's node on side `other`: the same key and layer, else the same name (the cached run's key
// history is pos_key_states by name, cached_key_states by key; the uncached run computes pos_key_states).
int counterpart_node(const AppState& app, Side other) {
  const Selection& sel = app.selection;
  const PaneView& view = pane(app, other);
  const int i = find_node_by_key(view, sel.key, sel.layer, sel.external);
  if (i >= 0 || sel.event < 0) return i;
  const std::string name(run_of(app, sel.side).events.at(static_cast<size_t>(sel.event)).name);
  return find_node(view, run_of(app, other), name, sel.layer);
}

void after_run_change(AppState& app) { app.dirty = true; }

// The selection's tensor in the pane now shown on its side: after a step its event is the new step's.
void follow_selection(AppState& app) {
  Selection& sel = app.selection;
  if (sel.event < 0 || sel.key.empty()) return;
  const PaneView& view = pane(app, sel.side);
  const int i = find_node_by_key(view, sel.key, sel.layer, sel.external);
  if (i >= 0) sel.event = view.nodes[static_cast<size_t>(i)].event;
  else if (sel.event >= static_cast<int>(run_of(app, sel.side).events.size())) sel.event = -1;
  if (app.counterpart.event >= 0) {
    const int j = counterpart_node(app, app.counterpart.side);
    app.counterpart.event = j >= 0 ? pane(app, app.counterpart.side).nodes[static_cast<size_t>(j)].event : -1;
  }
}

}  // namespace

void refresh(AppState& app) {
  if (session_busy(app)) return;  // the views built before the job stay until it ends
  if (app.dirty) {
    std::string old_keys;
    for (const auto& p : app.panes) old_keys += p.layout_key + "|";
    for (Side s : {Side::Cached, Side::Uncached}) {
      const trace::Run& run = app.session->run(s);
      PaneView next = build_pane_view(run, app.session->current_step(s), app.view, app.layouts, app.metrics);
      // What changed since the step before: a property of the step shown, so it stays until the next step.
      if (next.step > 0)
        mark_changes(next, build_pane_view(run, next.step - 1, app.view, app.layouts, app.metrics), run);
      next.heading = pane_heading(run, next, app.session->meta(), tr(side_name(s)), app.view.fold);
      if (next.step >= 0) next.work = step_work(run, next.step);
      app.panes[static_cast<size_t>(s)] = std::move(next);
      app.kv_views[static_cast<size_t>(s)] = kv_cache_view_or_reserve(*app.session, s);
    }
    mark_differences(app.panes[0], app.session->run(Side::Cached), app.panes[1], app.session->run(Side::Uncached));
    std::string new_keys;
    for (const auto& p : app.panes) new_keys += p.layout_key + "|";
    if (new_keys != old_keys) app.fit_requested = true;
    app.series = work_series(app.session->run(Side::Cached), app.session->run(Side::Uncached));
    app.strip = build_token_strip(*app.session);
    follow_selection(app);
    app.dirty = false;
    app.inspector_dirty = true;
  }
  if (app.inspector_dirty) {
    app.inspector.reset();
    const trace::Run& run = app.session->run(app.selection.side);
    if (app.selection.event >= static_cast<int>(run.events.size())) app.selection.event = -1;
    if (app.selection.event >= 0)
      app.inspector = build_inspector(run, app.selection.event, app.heatmap_slice, app.session->meta(),
                                      sequence_tokens(run, app.session->tokenizer()), app.session->weights());
    app.inspector_dirty = false;
  }
}

namespace {

// Where the graph's main column runs: the median of the node centres, which side branches (the cache's
// history, the mask) do not pull as far as they pull the bounds' centre.
float main_column_x(const PaneView& view) {
  if (view.nodes.empty()) return view.bounds.center().x;
  std::vector<float> xs;
  for (const auto& n : view.nodes) xs.push_back(n.rect.center().x);
  std::nth_element(xs.begin(), xs.begin() + xs.size() / 2, xs.end());
  return xs[xs.size() / 2];
}

}  // namespace

void fit_if_requested(AppState& app) {
  if (!app.fit_requested) return;
  for (Side s : {Side::Cached, Side::Uncached}) {
    const PaneView& view = pane(app, s);
    app.cameras[static_cast<size_t>(s)].fit_readable(view.bounds, size_of(pane_rect(app, s)), readable_zoom(app),
                                                     main_column_x(view));
  }
  app.fit_requested = false;
}

void set_window_size(AppState& app, Vec2 size) {
  if (size.x == app.window_size.x && size.y == app.window_size.y) return;
  app.window_size = size;
  if (app.panels.left_auto) app.panels.left_open = settings_open_by_default(size.x);
  app.fit_requested = true;
}

void set_interface_language(AppState& app, UiLanguage language) {
  set_ui_language(language);
  ViewOptions o = app.view;
  o.labels = language == UiLanguage::Zh ? trace::Labels::Zh : trace::Labels::En;
  set_view_options(app, o);
}

void set_view_mode(AppState& app, ViewMode mode) {
  app.mode = mode;
  app.fit_requested = true;
}

void tick(AppState& app, double dt) {
  app.clock += dt;
  poll_job(app);
  if (!app.playing) return;
  app.play_credit += dt * app.speed;
  if (model_busy(app)) {  // playing as fast as the model computes, without a backlog of steps
    app.play_credit = std::min(app.play_credit, 1.0);
    return;
  }
  while (app.play_credit >= 1.0) {
    app.play_credit -= 1.0;
    if (app.session->done()) {
      app.playing = false;
      app.status = "played to the end of the run (" + std::to_string(app.session->generated()) + " tokens)";
      app.status_error = false;
      break;
    }
    do_step(app);
    if (model_busy(app)) break;
  }
}

namespace {

// Runs the model's `work`: on the background thread, `done` following on this one when the job is collected,
// or here and now. `failed` runs on this thread before the error is reported (rethrown here, or set as the
// status by poll_job).
void run_model_work(AppState& app, BackgroundJob::Kind kind, std::string what, std::function<void()> work,
                    std::function<void(AppState&)> done, std::function<void(AppState&)> failed = {}) {
  if (app.job.running()) throw std::invalid_argument("wait: " + app.job.what() + " is under way");
  if (app.background) {
    app.job_done = std::move(done);
    app.job_failed = std::move(failed);
    app.job.start(kind, std::move(what), std::move(work));
    return;
  }
  try {
    work();
  } catch (...) {
    if (failed) failed(app);
    throw;
  }
  done(app);
}

// Runs after every job that stepped the session, failed or not: the runs have changed.
void after_steps(AppState& app) { after_run_change(app); }

// The graph layouts the views of a job's new step will need, computed by the job at its end, on the model's thread:
// the first step of a new graph (the prefill, the first decode step) took the frame that showed it 3-4 ms per pane
// of Graphviz on a 22-layer model. The job starts from the keys the cache holds, the view options and the text
// metrics of its start (main.cpp rebuilds no font while the model works, so measuring text there is safe).
struct LayoutsAhead {
  std::set<std::string> known;
  ViewOptions options;
  TextMetrics metrics;
  struct Computed {
    std::string key;
    Layout layout;
    double ms = 0;
  };
  std::vector<Computed> computed;
};

std::shared_ptr<LayoutsAhead> layouts_ahead(const AppState& app) {
  auto ahead = std::make_shared<LayoutsAhead>();
  ahead->known = app.layouts.keys();
  ahead->options = app.view;
  ahead->metrics = app.metrics;
  return ahead;
}

// On the job's thread, after its steps: each side's step as refresh will show it, and the step before (what
// changed since).
void lay_out_ahead(LayoutsAhead& ahead, const Session& session) {
  for (Side side : {Side::Cached, Side::Uncached}) {
    const trace::Run& run = session.run(side);
    const int step = session.current_step(side);
    for (int s = step; s >= std::max(0, step - 1); --s) {
      try {
        LayoutInput input = pane_layout_input(run, s, ahead.options, ahead.metrics);
        std::string key = input.structure_key();
        if (!ahead.known.insert(key).second) continue;
        const auto t0 = std::chrono::steady_clock::now();
        Layout layout = layout_with_dot(input);
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        ahead.computed.push_back({std::move(key), std::move(layout), ms});
      } catch (const std::exception&) {
        // Not the job's failure: refresh lays the view out again and reports what goes wrong.
      }
    }
  }
}

// Back on the UI thread: the layouts join the cache, then the runs' change is taken in.
void after_steps_ahead(AppState& app, LayoutsAhead& ahead) {
  for (auto& c : ahead.computed) app.layouts.put(std::move(c.key), std::move(c.layout), c.ms);
  after_steps(app);
}

void install_session(AppState& app, std::unique_ptr<Session> next) {
  app.session = std::move(next);
  app.prompt = prompt_field_of(*app.session);
  app.selection = {};
  app.playing = false;
  app.panes = {};
  app.counterpart = {};
  // The controls show what was loaded: a model too large for its weights opens in meta mode, ticked as such.
  if (app.session->meta()) app.pending.meta = true;
  app.fit_requested = true;
  app.status = "loaded " + app.session->model().config().name +
               (app.session->meta_forced() ? ": meta mode (shapes only), its weights would need more than 2 GB"
                : app.session->meta()      ? " (meta mode: shapes only)"
                                           : "");
  app.status_error = false;
  app.generated_after_job = app.session->generated();
  after_run_change(app);
}

void load(AppState& app, std::function<void(AppState&)> failed) {
  auto loaded = std::make_shared<std::unique_ptr<Session>>();
  run_model_work(
      app, BackgroundJob::Kind::Load, "loading " + app.pending.model,
      [loaded, spec = app.pending] { *loaded = std::make_unique<Session>(spec); },
      [loaded](AppState& a) { install_session(a, std::move(*loaded)); }, std::move(failed));
}

}  // namespace

void poll_job(AppState& app) {
  if (!app.job.running() || !app.job.finished()) return;
  auto done = std::exchange(app.job_done, {});
  auto failed = std::exchange(app.job_failed, {});
  try {
    app.job.collect();
    done(app);
  } catch (const core::LoadCancelled&) {
    if (failed) failed(app);
    app.status = formatted(tr("Loading cancelled; still showing %s"), app.session->model().config().name.c_str());
    app.status_error = false;
  } catch (const std::exception& e) {
    if (failed) failed(app);
    app.queued_steps = 0;
    app.playing = false;
    app.status = in_app_words(e.what());
    app.status_error = true;
    app.job_error = e.what();
  }
  if (app.queued_steps > 0) {
    --app.queued_steps;
    try {
      do_step(app);
    } catch (const std::exception& e) {
      app.queued_steps = 0;
      app.status = in_app_words(e.what());
      app.status_error = true;
      app.job_error = e.what();
    }
  }
}

void cancel_load(AppState& app) {
  if (app.job.running() && app.job.kind() == BackgroundJob::Kind::Load) app.job.cancel();
}

JobStatus load_status(const BackgroundJob& job, const std::string& model) {
  const core::LoadProgress& p = job.load_progress();
  const int64_t total = p.total.load(std::memory_order_relaxed), done = p.done.load(std::memory_order_relaxed);
  const char* stage = p.stage.load(std::memory_order_relaxed);
  JobStatus s;
  s.text = formatted(tr("Loading %s: %s (%.1f s)"), model.c_str(), tr(*stage ? stage : "opening the file"),
                     job.seconds());
  s.fraction = total > 0 ? static_cast<float>(done) / static_cast<float>(total) : 0.0f;
  s.can_cancel = true;
  return s;
}

std::optional<JobStatus> job_status(const AppState& app) {
  if (!app.job.running()) return std::nullopt;
  if (app.job.kind() == BackgroundJob::Kind::Load) return load_status(app.job, app.pending.model);
  JobStatus s;
  const double seconds = app.job.seconds();
  const Session::Progress p = app.session->progress();
  const int layer = std::clamp(p.layer, -1, p.layers);
  // The cached run's share first, then the uncached run's: each side's layers in order.
  const float side_fraction = static_cast<float>(layer + 1) / static_cast<float>(p.layers + 1);
  s.fraction = 0.5f * (p.side == Side::Uncached ? 1.0f + side_fraction : side_fraction);
  const std::string where = layer < 0           ? tr("embedding")
                            : layer >= p.layers ? tr("final norm and lm_head")
                                                : formatted(tr("layer %d of %d"), layer, p.layers);
  s.text = formatted(tr("Computing: %s, %s (%.1f s)"), tr(p.side == Side::Cached ? "cached run" : "uncached run"),
                     where.c_str(), seconds);
  if (app.queued_steps > 0) s.text += formatted(tr("; %d more steps queued"), app.queued_steps);
  return s;
}

void apply_pending(AppState& app) { load(app, {}); }

void load_spec(AppState& app, app::RunSpec spec) {
  auto before = std::make_shared<app::RunSpec>(std::exchange(app.pending, std::move(spec)));
  load(app, [before](AppState& a) { a.pending = std::move(*before); });
}

void do_reset(AppState& app) {
  app.playing = false;
  run_model_work(
      app, BackgroundJob::Kind::Steps, "a new start", [s = app.session.get()] { s->reset(); },
      [](AppState& a) {
        a.panes = {};
        a.status.clear();  // messages were about the run that is gone
        a.status_error = false;
        a.generated_after_job = 0;
        after_steps(a);
      },
      after_steps);
}

void do_prefill(AppState& app) {
  auto ahead = layouts_ahead(app);
  run_model_work(
      app, BackgroundJob::Kind::Steps, "the prefill",
      [s = app.session.get(), ahead] {
        s->prefill();
        lay_out_ahead(*ahead, *s);
      },
      [ahead](AppState& a) { after_steps_ahead(a, *ahead); }, after_steps);
}

void do_step(AppState& app) {
  const int budget = app.session->spec().new_tokens;
  if (session_busy(app)) {  // queued behind the step under way, up to the budget
    if (app.generated_after_job + app.queued_steps >= budget)
      throw std::invalid_argument("the steps under way and queued reach all " + std::to_string(budget) +
                                  " tokens the run was set up for");
    ++app.queued_steps;
    return;
  }
  if (app.session->done()) {
    app.playing = false;
    app.queued_steps = 0;
    throw std::invalid_argument("the run has generated all " + std::to_string(budget) +
                                " tokens it was set up for; raise new-tokens or use run-to");
  }
  app.generated_after_job = app.session->generated() + 1;
  auto ahead = layouts_ahead(app);
  run_model_work(
      app, BackgroundJob::Kind::Steps, "token " + std::to_string(app.generated_after_job),
      [s = app.session.get(), ahead] {
        s->step();
        lay_out_ahead(*ahead, *s);
      },
      [ahead](AppState& a) { after_steps_ahead(a, *ahead); }, after_steps);
}

void do_run_to(AppState& app, int tokens) {
  if (tokens < 1) throw std::invalid_argument("run-to needs a token count of at least 1");
  if (model_busy(app)) throw std::invalid_argument("wait: " + app.job.what() + " is under way");
  app.session->grow_budget(tokens);
  app.generated_after_job = tokens;
  auto ahead = layouts_ahead(app);
  run_model_work(
      app, BackgroundJob::Kind::Steps, "tokens up to " + std::to_string(tokens),
      [s = app.session.get(), tokens, ahead] {
        s->run_to(tokens);
        lay_out_ahead(*ahead, *s);
      },
      [ahead](AppState& a) {
        a.generated_after_job = a.session->generated();
        after_steps_ahead(a, *ahead);
      },
      after_steps);
}

void set_view_options(AppState& app, const ViewOptions& options) {
  const int layers = app.session->model().config().num_hidden_layers;
  if (options.layer < 0 || options.layer >= layers)
    throw std::invalid_argument("layer " + std::to_string(options.layer) + " is not in the model (layers 0-" +
                                std::to_string(layers - 1) + ")");
  app.view = options;
  after_run_change(app);
}

void select_event(AppState& app, Side side, int event) {
  const PaneView& view = pane(app, side);
  const NodeView* node = nullptr;
  for (const auto& n : view.nodes)
    if (n.event == event) node = &n;
  // A drawn node says what it is without the run (which a step in the background may be growing).
  if (node) {
    app.selection = {side, event, node->key, node->layer, node->external};
  } else {
    const trace::Event& e = run_of(app, side).events.at(static_cast<size_t>(event));
    app.selection = {side, event, std::string(e.key), e.layer, false};
  }
  app.counterpart = {};
  app.heatmap_slice = 0;
  app.inspector_dirty = true;
}

namespace {

// Centres side `s`'s pane on `event`'s node, zooming in to the readable size when the pane is further out.
void centre_on(AppState& app, Side s, int event) {
  ViewTransform& cam = app.cameras[static_cast<size_t>(s)];
  cam.zoom = std::max(cam.zoom, readable_zoom(app));
  const Vec2 viewport = size_of(pane_rect(app, s));
  for (const auto& n : pane(app, s).nodes)
    if (n.event == event) {
      cam.origin = n.rect.center() - viewport * (0.5f / cam.zoom);
      return;
    }
  throw std::invalid_argument("the tensor is not drawn in the " + std::string(side_name(s)) + " pane");
}

}  // namespace

void focus_selection(AppState& app) {
  refresh(app);
  fit_if_requested(app);
  if (app.selection.event < 0) throw std::invalid_argument("focus: no tensor is selected");
  centre_on(app, app.selection.side, app.selection.event);
}

void show_counterpart(AppState& app) {
  refresh(app);
  const Selection& sel = app.selection;
  if (sel.event < 0) throw std::invalid_argument("select a tensor first");
  const Side other = sel.side == Side::Cached ? Side::Uncached : Side::Cached;
  const PaneView& view = pane(app, other);
  const int i = counterpart_node(app, other);
  if (i < 0)
    throw std::invalid_argument("the " + std::string(side_name(other)) + " run has no " + sel.key +
                                (sel.layer >= 0 ? " in layer " + std::to_string(sel.layer) : std::string()) +
                                " at this token");
  if (app.mode != ViewMode::Compare) set_view_mode(app, ViewMode::Compare);
  fit_if_requested(app);
  app.counterpart = {other, view.nodes[static_cast<size_t>(i)].event};
  centre_on(app, sel.side, sel.event);
  centre_on(app, other, app.counterpart.event);
}

void select_by_name(AppState& app, const std::string& name, int layer) {
  refresh(app);
  const Side first = shown_sides(app).front();
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
