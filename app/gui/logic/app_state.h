#pragma once
// Everything the app knows, owned in one place as in Dear ImGui's examples: the session, what is shown,
// the selection, play state and feedback. Panels read it and call the functions below; nothing here
// needs a window, so tests and the headless mode drive exactly what a user drives.
#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/common/recording.h"
#include "app/gui/logic/background_job.h"
#include "app/gui/logic/graph_layout.h"
#include "app/gui/logic/inspector.h"
#include "app/gui/logic/kv_cache_view.h"
#include "app/gui/logic/model_controls.h"
#include "app/gui/logic/pane_view.h"
#include "app/gui/logic/screen_layout.h"
#include "app/gui/logic/script.h"
#include "app/gui/logic/session.h"
#include "app/gui/logic/tokens.h"
#include "app/gui/logic/ui_text.h"
#include "app/gui/logic/view_transform.h"
#include "app/gui/logic/work_metrics.h"

namespace kvscope::gui {

enum class ViewMode { Cached, Uncached, Compare };
const char* view_mode_name(ViewMode m);

// The tensor the inspector shows. It is followed across steps by its key and layer: after a step, `event` is
// the same tensor's event in the new step.
struct Selection {
  Side side = Side::Cached;
  int event = -1;  // -1: nothing selected
  std::string key;
  int layer = -1;
  bool external = false;
};

// The same tensor on the other side, which "show the counterpart" centred there; outlined until the selection
// changes.
struct Counterpart {
  Side side = Side::Uncached;
  int event = -1;
};

enum class BottomTab { KvCache, Work };

struct AppState {
  AppState(app::RunSpec spec, TextMetrics metrics);
  // With a session loaded before (the windowed app loads its first model in the background).
  AppState(std::unique_ptr<Session> loaded, app::RunSpec spec, TextMetrics metrics);

  std::unique_ptr<Session> session;
  app::RunSpec pending;  // what the model controls edit; apply_pending() loads it
  PromptField prompt;    // the prompt field; every load sets it to what the new session reads

  ViewMode mode = ViewMode::Compare;
  ViewOptions view;
  std::array<ViewTransform, 2> cameras;  // by Side: each pane pans and zooms over its own layout
  bool fit_requested = true;             // set when the layout, the shown panes or the window size change
  Selection selection;
  Counterpart counterpart;
  int heatmap_slice = 0;
  TimingJob timing;  // the Work tab's "Time 5 runs": medians of replays in the background

  // The model's work: in the background in the windowed app, so frames keep coming while it computes; inline
  // when `background` is false (tests and the headless dump, which want each command done when it returns).
  bool background = false;
  BackgroundJob job;                          // declared after `session`, which its work may use: joined first
  std::function<void(AppState&)> job_done;    // on the UI thread when the job succeeds
  std::function<void(AppState&)> job_failed;  // ... and when it throws (before the error goes to the status)
  int queued_steps = 0;                       // Step pressed while a step computes
  int generated_after_job = 0;                // tokens generated once the job under way ends
  std::optional<std::string> job_error;       // a job's failure, for a script to stop on

  // Where panels sit: the window's size (set by the UI, before the first frame too), the panels' state and the
  // heights the UI measured. The panes' sizes follow from these alone (screen_layout).
  Vec2 window_size{1600, 1000};
  PanelState panels;
  MeasuredHeights measured;
  float line_height = 17, frame_height = 23;  // of the UI font, in pixels; the UI sets them
  BottomTab bottom_tab = BottomTab::KvCache;
  bool dark = false;                   // the dark theme
  bool help_open = false;              // the keyboard and mouse help overlay
  std::optional<Vec2> resize_request;  // the UI resizes the window (script `resize`)

  bool playing = false;
  float speed = 2.0f;  // steps per second
  double play_credit = 0;
  double clock = 0;  // seconds since start, advanced by tick()

  std::string status;
  bool status_error = false;
  std::optional<std::string> png_request;  // the UI saves the graph view there after the next frame
  std::optional<int> script_frames;        // `frames N`: the script draws N frames before its next command

  // Derived from the above by refresh(); rebuilt only when `dirty`.
  TextMetrics metrics;
  LayoutCache layouts;
  std::array<PaneView, 2> panes;        // indexed by Side
  std::array<KvCacheView, 2> kv_views;  // indexed by Side; before any step, the empty grid of the reserve
  TokenStrip strip;
  std::optional<InspectorView> inspector;
  WorkSeries series;
  bool dirty = true;            // panes and series
  bool inspector_dirty = true;  // selection or heatmap slice
};

const PaneView& pane(const AppState& app, Side s);
// The side's run. Throws std::invalid_argument while a background job steps the session (its runs are growing):
// what is drawn meanwhile comes from the views built before.
const trace::Run& run_of(const AppState& app, Side s);
bool session_busy(const AppState& app);  // a background job is stepping the session
bool model_busy(const AppState& app);    // a job runs or steps wait in the queue: model commands must wait
// A finished background job: its completion, or its error into the status; then the next queued step. Called
// every frame (tick calls it).
void poll_job(AppState& app);
void cancel_load(AppState& app);  // the load under way stops at its next progress report; the old model stays

// What the progress bar shows while the model works: a sentence and how far (0..1).
struct JobStatus {
  std::string text;
  float fraction = 0;
  bool can_cancel = false;  // a load
};
std::optional<JobStatus> job_status(const AppState& app);
// A load's line for the progress bar: the model, the stage, the seconds so far.
JobStatus load_status(const BackgroundJob& job, const std::string& model);
// The sides shown, in the order of the panes: one, or cached then uncached.
std::vector<Side> shown_sides(const AppState& app);
// Where everything sits in the window now, and the on-screen rectangle of side `s`'s pane (when shown).
ScreenLayout layout_of(const AppState& app);
Rect pane_rect(const AppState& app, Side s);
// The on-screen size of the graph's labels in side `s`'s pane, in pixels.
float label_pixels(const AppState& app, Side s);
// The zoom at which labels are kReadableLabelPixels: a fit never goes below it and scrolls instead.
float readable_zoom(const AppState& app);

void refresh(AppState& app);  // rebuilds panes, inspector and series when dirty
// Fits each shown pane's graph into its pane, at a readable zoom at least (the top of a larger graph shows,
// the minimap gives the overview).
void fit_if_requested(AppState& app);
void set_window_size(AppState& app, Vec2 size);  // a new size re-fits
// The interface's words and the graph's axis labels in one language (the graph's can still be set apart).
void set_interface_language(AppState& app, UiLanguage language);
void set_view_mode(AppState& app, ViewMode mode);
void tick(AppState& app, double dt);  // playback
void apply_pending(AppState& app);    // a new session from `pending` (throws what the core throws)
// A new session from `spec`; when it fails to load, `pending` and the session stay as they were.
void load_spec(AppState& app, app::RunSpec spec);

void do_reset(AppState& app);
void do_prefill(AppState& app);
void do_step(AppState& app);
void do_run_to(AppState& app, int tokens);
void set_view_options(AppState& app, const ViewOptions& options);
void select_event(AppState& app, Side side, int event);
// Centres the selected tensor's pane on its node, at the current zoom (at least the readable one).
void focus_selection(AppState& app);
// Finds the selected tensor on the other side (same key and layer), shows both panes and centres the other one
// on it. Throws std::invalid_argument when the other side has no such tensor at its step.
void show_counterpart(AppState& app);
// Finds the tensor on the shown side first; throws std::invalid_argument when no pane has it.
void select_by_name(AppState& app, const std::string& name, int layer);

// Export formats: "mermaid", "dot", "json" (written here, atomically) and "png" (requested from the UI).
void export_view(AppState& app, const std::string& format, const std::string& path);

// Runs one script command. Throws std::exception with a message naming the command on any error.
void run_command(AppState& app, const Command& command);

// What is drawn, as JSON: the panes' nodes with their shapes, the inspector's lines, the layout counters.
std::string dump_view_json(const AppState& app);

}  // namespace kvscope::gui
