// kvscope-gui: step through a generation and watch its tensor graph, cached and uncached side by side.
// With --script/--screenshot it runs the same app without a person and saves what it drew.
#include <cstdio>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <imgui.h>

#include "app/common/flag_checks.h"
#include "app/common/prompt_flags.h"
#include "app/gui/logic/app_state.h"
#include "app/gui/logic/script.h"
#include "app/gui/logic/script_runner.h"
#include "app/gui/ui/app_window.h"
#include "app/gui/ui/fonts.h"
#include "app/gui/ui/panels.h"
#include "app/gui/ui/png_file.h"
#include "trace/axis.h"
#include "trace/graph.h"

namespace {

using namespace kvscope;
using namespace kvscope::gui;

struct Options {
  app::RunSpec spec;  // no prompt given: the model's default (kjv-char reads "And God said")
  std::string script, screenshot, size = "1600x1000";
  int frames = 3;
};

// The Chinese the app can show before any trace exists: every axis label and the loop edge's words.
std::string known_chinese() {
  std::string text = "中文 labels 循环次用前个第全部";
  for (std::string_view label : trace::kAxisLabelsZh) text += label;
  for (const auto& entry : ui_translations()) text += entry.second;  // the interface in Chinese
  return text;
}

// The glyphs of what the views show after a step: labels, token pieces, the decoded text.
void want_view_text(Fonts& fonts, const AppState& app) {
  for (const auto& p : app.panes) {
    for (const auto& c : p.clusters) fonts.want(c.title);
    for (const auto& e : p.edges) fonts.want(e.label);
    for (const auto& n : p.nodes) {
      fonts.want(n.shape);  // the prompt's text node shows its text there
      fonts.want(n.dims);
    }
  }
  for (const auto& t : app.strip.tokens) fonts.want(t.label());
  fonts.want(app.strip.text);
  if (app.inspector && app.inspector->heatmap)
    for (const HeatmapAxis* axis : {&app.inspector->heatmap->row_axis, &app.inspector->heatmap->col_axis})
      for (const auto& label : axis->labels) fonts.want(label);
}

void save_region(AppWindow& window, const std::string& path, ImVec2 min, ImVec2 max) {
  int w = static_cast<int>(max.x - min.x), h = static_cast<int>(max.y - min.y);
  auto pixels = window.read_pixels(static_cast<int>(min.x), static_cast<int>(min.y), w, h);
  write_png(path, pixels, w, h);
}

// The first model loads in the background while the window shows how far it is, as a load from the controls
// does. Cancel falls back to the default model (quick to load); closing the window quits (nullptr).
std::unique_ptr<Session> load_first_session(AppWindow& window, app::RunSpec& spec, std::string& status) {
  std::unique_ptr<Session> session;
  BackgroundJob job;
  job.start(BackgroundJob::Kind::Load, "loading " + spec.model,
            [&session, spec] { session = std::make_unique<Session>(spec); });
  while (!job.finished()) {
    if (window.should_close()) job.cancel();
    window.begin_frame();
    if (draw_load_screen(load_status(job, spec.model))) job.cancel();
    window.render();
    window.present();
  }
  try {
    job.collect();
  } catch (const core::LoadCancelled&) {
    if (window.should_close()) return nullptr;
    status = "loading " + spec.model + " cancelled; showing " + app::kDefaultModel;
    spec.model = app::kDefaultModel;
    spec.prompt_text.reset();
    spec.prompts.clear();
    spec.tokenizer.clear();
    spec.meta = false;
    return std::make_unique<Session>(spec);
  }
  return session;
}

int run(const Options& o) {
  int width = 1600, height = 1000;
  if (std::sscanf(o.size.c_str(), "%dx%d", &width, &height) != 2 || width < 200 || height < 200)
    throw std::invalid_argument("--size takes WIDTHxHEIGHT, at least 200x200, got '" + o.size + "'");
  const bool headless = !o.script.empty() || !o.screenshot.empty();
  std::optional<ScriptRunner> runner;
  if (!o.script.empty()) runner.emplace(parse_script(script_text_from_argument(o.script)));

  AppWindow window(width, height, "kvscope");
  // Headless, the pointer sits wherever the X server put it: it must not hover a tooltip into the screenshot.
  if (headless) ImGui::GetIO().ConfigFlags |= ImGuiConfigFlags_NoMouse;
  const float scale = headless ? 1.0f : window.content_scale();
  Fonts fonts(scale, known_chinese());
  ImGui::GetStyle().ScaleAllSizes(scale);
  TextMetrics metrics{[&fonts](std::string_view s) { return fonts.measure_graph_text(s); },
                      fonts.graph_font_size() * 1.15f, fonts.graph_font_size()};
  app::RunSpec spec = o.spec;
  std::string first_status;
  // Headless, a script starts on the loaded model (and an error in loading it is the run's error).
  std::unique_ptr<Session> first = headless ? std::make_unique<Session>(spec)
                                            : load_first_session(window, spec, first_status);
  if (!first) return 0;  // the window was closed while loading
  AppState app(std::move(first), spec, metrics);
  app.background = true;  // the model computes on a thread of its own: frames keep coming, with its progress
  // The panes' sizes follow from the window's: known before the first frame, so a script's first `focus` or
  // `zoom` works on the real panes.
  set_window_size(app, {static_cast<float>(width), static_cast<float>(height)});
  app.status = first_status;
  if (app.session->meta_forced())
    app.status = spec.model + " opens in meta mode (shapes only): its float32 weights would need " +
                 std::to_string(app.session->model().config().parameter_count() * 4 / 1000000000) + " GB";
  UiState ui;

  int frames_left = o.frames;
  int frame = 0;
  double last = window.time();
  std::string font_key;
  while (!window.should_close()) {
    const double now = window.time();
    tick(app, headless ? 1.0 / 60 : now - last);
    last = now;
    // Node sizes follow the new glyphs' widths. Not while the model works: its job measures graph text at its end
    // (app_state.cpp's layouts ahead), and a rebuild would change the fonts under it; typed glyphs wait till then.
    if (!model_busy(app) && fonts.rebuild_if_needed()) app.dirty = true;
    window.begin_frame();
    // After one frame: the panels have measured what they hold (the token strip, the wrapped toolbar).
    if (runner && frame > 0) runner->advance(app);
    ++frame;
    draw_app(app, ui, fonts);
    std::string key = app.panes[0].layout_key + app.panes[1].layout_key + std::to_string(app.panes[0].step) +
                      std::to_string(app.panes[1].step) + "|" + std::to_string(app.strip.tokens.size()) + "|" +
                      std::to_string(app.inspector ? app.inspector->event : -1);
    if (key != font_key) {
      want_view_text(fonts, app);
      font_key = std::move(key);
    }
    fonts.want(app.prompt.value);  // what is being typed
    window.render();
    if (app.resize_request) {
      window.resize(static_cast<int>(app.resize_request->x), static_cast<int>(app.resize_request->y));
      app.resize_request.reset();
    }
    if (app.png_request) {
      const std::string path = *app.png_request;
      app.png_request.reset();
      attempt(app, [&] {
        save_region(window, path, ui.graph_min, ui.graph_max);
        app.status = "wrote png to " + path;
        app.status_error = false;
      });
      if (headless && app.status_error) throw std::runtime_error(app.status);
    }
    if (headless && (!runner || runner->finished()) && !model_busy(app) && frames_left-- <= 0) {
      if (!o.screenshot.empty()) save_region(window, o.screenshot, {0, 0}, ImGui::GetIO().DisplaySize);
      break;
    }
    window.present();
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  o.spec.new_tokens = 16;
  CLI::App cli{"kvscope-gui: watch the tensor graph of a LLaMA generation, cached and uncached"};
  cli.footer("Script commands (--script, separated by ';' or newlines):\n" + kvscope::gui::script_reference());
  cli.add_option("--model", o.spec.model,
                 "shipped model, preset name, HF model directory, GGUF file or llama2.c checkpoint")
      ->capture_default_str();
  cli.add_option("--seed", o.spec.seed, "weights and random prompt seed")
      ->check(app::integer_in(0))
      ->capture_default_str();
  app::add_prompt_flags(cli, o.spec);
  cli.add_option("--prompt-len", o.spec.prompt_len,
                 "a random prompt of this many ids (when --prompt and --ids are absent)")
      ->check(app::integer_in(1, app::kMaxNewTokens));
  cli.add_option("--batch", o.spec.batch, "sequences per step")
      ->check(app::integer_in(1, app::kMaxBatch))
      ->capture_default_str();
  cli.add_option("--new-tokens,-n,--tokens", o.spec.new_tokens,
                 "how many tokens the run may generate (--tokens is the old name)")
      ->check(app::integer_in(1, app::kMaxNewTokens))
      ->capture_default_str();
  cli.add_option("--threads,-t", o.spec.threads, "threads of the forward pass (default: every core)")
      ->check(app::integer_in(1, app::kMaxThreads));
  cli.add_flag("--meta", o.spec.meta, "shapes only, no weights");
  cli.add_option("--script", o.script, "a script file, or the commands themselves");
  cli.add_option("--screenshot", o.screenshot, "save the window as PNG when the script is done, then exit");
  cli.add_option("--size", o.size, "window size WIDTHxHEIGHT")->capture_default_str();
  cli.add_option("--frames", o.frames, "frames to draw after the script before the screenshot")
      ->check(app::integer_in(0, 1000000))
      ->capture_default_str();
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app::exit_on_parse_error(cli, e, "kvscope-gui");
  }
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kvscope-gui: %s\n", e.what());
    return 1;
  }
}
