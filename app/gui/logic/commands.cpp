#include "app/gui/logic/app_state.h"

#include <charconv>
#include <stdexcept>

#include "trace/atomic_file.h"

namespace kvscope::gui {

namespace {

int to_int(const Command& c, const std::string& word) {
  int value = 0;
  auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
  if (ec != std::errc() || end != word.data() + word.size())
    throw std::invalid_argument("'" + c.verb + "' needs a whole number, got '" + word + "'");
  return value;
}

float to_float(const Command& c, const std::string& word) {
  try {
    size_t used = 0;
    float value = std::stof(word, &used);
    if (used == word.size()) return value;
  } catch (const std::exception&) {
  }
  throw std::invalid_argument("'" + c.verb + "' needs a number, got '" + word + "'");
}

bool on_off(const Command& c, const std::string& word) {
  if (word == "on") return true;
  if (word == "off") return false;
  throw std::invalid_argument("'" + c.verb + "' takes on or off, got '" + word + "'");
}

// Settings change what the session is: load it again from the edited spec.
template <typename Edit>
void change_spec(AppState& app, Edit edit) {
  app::RunSpec before = app.pending;
  edit(app.pending);
  try {
    apply_pending(app);
  } catch (...) {
    app.pending = before;
    throw;
  }
}

void run(AppState& app, const Command& c) {
  const std::string& v = c.verb;
  const std::string arg = c.args.empty() ? std::string() : c.args[0];
  if (v == "model") {
    change_spec(app, [&](app::RunSpec& s) { s.model = arg; });
  } else if (v == "seed") {
    change_spec(app, [&](app::RunSpec& s) { s.seed = static_cast<uint64_t>(to_int(c, arg)); });
  } else if (v == "prompt") {
    change_spec(app, [&](app::RunSpec& s) { s.prompts = {parse_token_ids(arg)}; });
  } else if (v == "prompt-len") {
    change_spec(app, [&](app::RunSpec& s) {
      s.prompts.clear();
      s.prompt_len = to_int(c, arg);
    });
  } else if (v == "batch") {
    change_spec(app, [&](app::RunSpec& s) { s.batch = to_int(c, arg); });
  } else if (v == "tokens") {
    change_spec(app, [&](app::RunSpec& s) { s.steps = to_int(c, arg); });
  } else if (v == "prefill-scheme") {
    if (arg != "all" && arg != "all-but-last") throw std::invalid_argument("prefill-scheme takes all or all-but-last");
    change_spec(app, [&](app::RunSpec& s) {
      s.prefill = arg == "all" ? core::PrefillScheme::All : core::PrefillScheme::AllButLast;
    });
  } else if (v == "meta") {
    change_spec(app, [&](app::RunSpec& s) { s.meta = on_off(c, arg); });
  } else if (v == "reset") {
    do_reset(app);
  } else if (v == "prefill") {
    do_prefill(app);
  } else if (v == "step") {
    const int n = arg.empty() ? 1 : to_int(c, arg);
    for (int i = 0; i < n; ++i) do_step(app);
  } else if (v == "run-to") {
    do_run_to(app, to_int(c, arg));
  } else if (v == "play") {
    app.playing = true;
  } else if (v == "pause") {
    app.playing = false;
  } else if (v == "speed") {
    app.speed = to_float(c, arg);
    if (!(app.speed > 0)) throw std::invalid_argument("speed must be above 0 steps per second");
  } else if (v == "view") {
    if (arg == "cached") app.mode = ViewMode::Cached;
    else if (arg == "uncached") app.mode = ViewMode::Uncached;
    else if (arg == "compare") app.mode = ViewMode::Compare;
    else throw std::invalid_argument("view takes cached, uncached or compare, got '" + arg + "'");
    app.fit_requested = true;
  } else if (v == "fold" || v == "unfold") {
    ViewOptions o = app.view;
    o.fold = v == "fold";
    set_view_options(app, o);
  } else if (v == "layer") {
    ViewOptions o = app.view;
    o.layer = to_int(c, arg);
    set_view_options(app, o);
  } else if (v == "labels") {
    auto labels = trace::labels_from_name(arg);
    if (!labels) throw std::invalid_argument("labels takes en or zh, got '" + arg + "'");
    ViewOptions o = app.view;
    o.labels = *labels;
    set_view_options(app, o);
  } else if (v == "show-prefill") {
    ViewOptions o = app.view;
    o.with_prefill = on_off(c, arg);
    set_view_options(app, o);
  } else if (v == "select") {
    select_by_name(app, arg, c.args.size() > 1 ? to_int(c, c.args[1]) : -1);
  } else if (v == "fit") {
    app.fit_requested = true;
  } else if (v == "focus") {
    focus_selection(app);
  } else if (v == "zoom") {
    refresh(app);
    fit_if_requested(app);
    const float factor = to_float(c, arg);
    if (!(factor > 0)) throw std::invalid_argument("zoom needs a factor above 0");
    app.transform.zoom_at(factor, app.viewport_size * 0.5f, {0, 0});
  } else if (v == "export") {
    refresh(app);
    export_view(app, c.args[0], c.args[1]);
  } else if (v == "dump") {
    refresh(app);
    trace::write_file_atomically(arg, dump_view_json(app));
  } else if (v != "frames") {
    throw std::invalid_argument("unknown command '" + v + "'");
  }
}

}  // namespace

void run_command(AppState& app, const Command& c) {
  try {
    run(app, c);
  } catch (const std::exception& e) {
    throw std::runtime_error("line " + std::to_string(c.line) + ", '" + c.verb + "': " + e.what());
  }
}

}  // namespace kvscope::gui
