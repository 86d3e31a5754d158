#pragma once
// Everything the app knows, owned in one place as in Dear ImGui's examples: the session, what is shown,
// the selection, play state and feedback. Panels read it and call the functions below; nothing here
// needs a window, so tests and the headless mode drive exactly what a user drives.
#include <array>
#include <memory>
#include <optional>
#include <string>

#include "app/common/recording.h"
#include "app/gui/logic/graph_layout.h"
#include "app/gui/logic/inspector.h"
#include "app/gui/logic/model_controls.h"
#include "app/gui/logic/pane_view.h"
#include "app/gui/logic/script.h"
#include "app/gui/logic/session.h"
#include "app/gui/logic/tokens.h"
#include "app/gui/logic/view_transform.h"
#include "app/gui/logic/work_metrics.h"

namespace kvscope::gui {

enum class ViewMode { Cached, Uncached, Compare };
const char* view_mode_name(ViewMode m);

struct Selection {
  Side side = Side::Cached;
  int event = -1;  // -1: nothing selected
};

// How long a node stays highlighted after its shape changed.
inline constexpr double kChangeHighlightSeconds = 1.5;

struct AppState {
  AppState(app::RunSpec spec, TextMetrics metrics);

  std::unique_ptr<Session> session;
  app::RunSpec pending;  // what the model controls edit; apply_pending() loads it
  PromptField prompt;    // the prompt field; every load sets it to what the new session reads

  ViewMode mode = ViewMode::Compare;
  ViewOptions view;
  ViewTransform transform;       // shared by both panes side by side, so pan and zoom are linked
  bool fit_requested = true;     // set when the layout or the shown panes change
  Vec2 viewport_size{800, 600};  // the graph area of one pane, set by the UI every frame
  Selection selection;
  int heatmap_slice = 0;

  bool playing = false;
  float speed = 2.0f;  // steps per second
  double play_credit = 0;
  double clock = 0;  // seconds since start, advanced by tick()
  double changed_at = -1e9;

  std::string status;
  bool status_error = false;
  std::optional<std::string> png_request;  // the UI saves the graph view there after the next frame
  std::optional<int> script_frames;        // `frames N`: the script draws N frames before its next command

  // Derived from the above by refresh(); rebuilt only when `dirty`.
  TextMetrics metrics;
  LayoutCache layouts;
  std::array<PaneView, 2> panes;  // indexed by Side
  TokenStrip strip;
  std::optional<InspectorView> inspector;
  WorkSeries series;
  bool dirty = true;            // panes and series
  bool inspector_dirty = true;  // selection or heatmap slice
  bool stepped = false;         // the last change was a step: highlight what changed
};

const PaneView& pane(const AppState& app, Side s);
const trace::Run& run_of(const AppState& app, Side s);

void refresh(AppState& app);  // rebuilds panes, inspector and series when dirty
// Fits the shown panes into `viewport_size`; the UI calls it once it knows that size.
void fit_if_requested(AppState& app);
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
// Centres the view on the selected tensor's node, at the current zoom.
void focus_selection(AppState& app);
// Finds the tensor on the shown side first; throws std::invalid_argument when no pane has it.
void select_by_name(AppState& app, const std::string& name, int layer);

// Export formats: "mermaid", "dot", "json" (written here, atomically) and "png" (requested from the UI).
void export_view(AppState& app, const std::string& format, const std::string& path);

// Runs one script command. Throws std::exception with a message naming the command on any error.
void run_command(AppState& app, const Command& command);

// What is drawn, as JSON: the panes' nodes with their shapes, the inspector's lines, the layout counters.
std::string dump_view_json(const AppState& app);

}  // namespace kvscope::gui
