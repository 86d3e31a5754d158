#include "app/gui/logic/app_state.h"

#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>

#include "app/common/token_ids.h"
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
  app::RunSpec spec = app.pending;
  edit(spec);
  load_spec(app, std::move(spec));
}

template <typename Edit>
void change_view(AppState& app, Edit edit) {
  ViewOptions o = app.view;
  edit(o);
  set_view_options(app, o);
}

const std::string& arg(const Command& c) { return c.args.at(0); }

void set_new_tokens(AppState& app, const Command& c) {
  change_spec(app, [&](app::RunSpec& s) { s.new_tokens = to_int(c, arg(c)); });
}

void view_mode(AppState& app, const Command& c) {
  const std::string& mode = arg(c);
  if (mode == "cached") set_view_mode(app, ViewMode::Cached);
  else if (mode == "uncached") set_view_mode(app, ViewMode::Uncached);
  else if (mode == "compare") set_view_mode(app, ViewMode::Compare);
  else throw std::invalid_argument("view takes cached, uncached or compare, got '" + mode + "'");
}

// Every shown pane zooms around its centre.
void zoom(AppState& app, const Command& c) {
  refresh(app);
  fit_if_requested(app);
  const float factor = to_float(c, arg(c));
  if (!(factor > 0)) throw std::invalid_argument("zoom needs a factor above 0");
  for (Side s : shown_sides(app)) {
    const Rect r = pane_rect(app, s);
    app.cameras[static_cast<size_t>(s)].zoom_at(factor, Vec2{r.width(), r.height()} * 0.5f, {0, 0});
  }
}

void resize(AppState& app, const Command& c) {
  int w = 0, h = 0;
  char tail = 0;
  if (std::sscanf(arg(c).c_str(), "%dx%d%c", &w, &h, &tail) != 2 || w < 200 || h < 200)
    throw std::invalid_argument("resize takes WIDTHxHEIGHT, at least 200x200, got '" + arg(c) + "'");
  app.resize_request = Vec2{static_cast<float>(w), static_cast<float>(h)};
  set_window_size(app, *app.resize_request);
}

void panel(AppState& app, const Command& c) {
  const std::string& name = c.args.at(0);
  const bool open = on_off(c, c.args.at(1));
  if (name == "settings") {
    app.panels.left_open = open;
    app.panels.left_auto = false;
  } else if (name == "inspector") {
    app.panels.right_open = open;
  } else if (name == "bottom") {
    app.panels.bottom_open = open;
  } else {
    throw std::invalid_argument("panel takes settings, inspector or bottom, got '" + name + "'");
  }
  app.fit_requested = true;
}

const std::array kVerbs{
    Verb{"model", 1, 1, "NAME|PATH",
         "shipped model, preset, HF model directory, GGUF file or llama2.c checkpoint (reloads)",
         [](AppState& app, const Command& c) { change_spec(app, [&](app::RunSpec& s) { s.model = arg(c); }); }},
    Verb{"seed", 1, 1, "N", "weights and random prompt seed",
         [](AppState& app, const Command& c) {
           change_spec(app, [&](app::RunSpec& s) { s.seed = static_cast<uint64_t>(to_int(c, arg(c))); });
         }},
    Verb{"prompt", 1, 1, "TEXT", "prompt text for the model's tokenizer (the rest of the line, or \"quoted\")",
         [](AppState& app, const Command& c) {
           change_spec(app, [&](app::RunSpec& s) {
             s.prompts.clear();
             s.prompt_text = arg(c);
           });
         },
         true},
    Verb{"ids", 1, 1, "12,81,92", "prompt token ids",
         [](AppState& app, const Command& c) {
           change_spec(app, [&](app::RunSpec& s) {
             s.prompt_text.reset();
             s.prompts = {app::parse_token_ids(arg(c))};
           });
         }},
    Verb{"prompt-len", 1, 1, "N", "a random prompt of N ids",
         [](AppState& app, const Command& c) {
           change_spec(app, [&](app::RunSpec& s) {
             s.prompt_text.reset();
             s.prompts.clear();
             s.prompt_len = to_int(c, arg(c));
           });
         }},
    Verb{"tokenizer", 1, 1, "PATH|model", "a tokenizer file or directory; model: the model's own",
         [](AppState& app, const Command& c) {
           change_spec(app, [&](app::RunSpec& s) { s.tokenizer = arg(c) == "model" ? "" : arg(c); });
         }},
    Verb{"scenario", 1, 1, "seed004|seed000", "a seed's model and prompt, with seed 0",
         [](AppState& app, const Command& c) { load_scenario(app, arg(c)); }},
    Verb{"batch", 1, 1, "N", "sequences per step",
         [](AppState& app, const Command& c) {
           change_spec(app, [&](app::RunSpec& s) { s.batch = to_int(c, arg(c)); });
         }},
    Verb{"new-tokens", 1, 1, "N", "how many tokens the run may generate", set_new_tokens},
    Verb{"tokens", 1, 1, "N", "the old name of new-tokens", set_new_tokens},
    Verb{"prefill-scheme", 1, 1, "all-but-last|all", "",
         [](AppState& app, const Command& c) {
           const std::string& scheme = arg(c);
           if (scheme != "all" && scheme != "all-but-last")
             throw std::invalid_argument("prefill-scheme takes all or all-but-last");
           change_spec(app, [&](app::RunSpec& s) {
             s.prefill = scheme == "all" ? core::PrefillScheme::All : core::PrefillScheme::AllButLast;
           });
         }},
    Verb{"meta", 1, 1, "on|off", "shapes only, no weights",
         [](AppState& app, const Command& c) {
           change_spec(app, [&](app::RunSpec& s) { s.meta = on_off(c, arg(c)); });
         }},
    Verb{"reset", 0, 0, "", "start the generation again", [](AppState& app, const Command&) { do_reset(app); }},
    Verb{"prefill", 0, 0, "", "run the cached prefill step", [](AppState& app, const Command&) { do_prefill(app); }},
    Verb{"step", 0, 1, "[N]", "generate N more tokens (default 1)",
         [](AppState& app, const Command& c) {
           const int n = c.args.empty() ? 1 : to_int(c, arg(c));
           for (int i = 0; i < n; ++i) do_step(app);
         }},
    Verb{"run-to", 1, 1, "N", "generate until N tokens exist",
         [](AppState& app, const Command& c) { do_run_to(app, to_int(c, arg(c))); }},
    Verb{"play", 0, 0, "", "step automatically", [](AppState& app, const Command&) { app.playing = true; }},
    Verb{"pause", 0, 0, "", "stop playing", [](AppState& app, const Command&) { app.playing = false; }},
    Verb{"speed", 1, 1, "X", "steps per second while playing",
         [](AppState& app, const Command& c) {
           app.speed = to_float(c, arg(c));
           if (!(app.speed > 0)) throw std::invalid_argument("speed must be above 0 steps per second");
         }},
    Verb{"view", 1, 1, "cached|uncached|compare", "", view_mode},
    Verb{"fold", 0, 0, "", "one representative layer",
         [](AppState& app, const Command&) { change_view(app, [](ViewOptions& o) { o.fold = true; }); }},
    Verb{"unfold", 0, 0, "", "every layer",
         [](AppState& app, const Command&) { change_view(app, [](ViewOptions& o) { o.fold = false; }); }},
    Verb{"layer", 1, 1, "N", "which layer the folded view shows",
         [](AppState& app, const Command& c) {
           change_view(app, [&](ViewOptions& o) { o.layer = to_int(c, arg(c)); });
         }},
    Verb{"labels", 1, 1, "en|zh", "dimension label language",
         [](AppState& app, const Command& c) {
           const auto labels = trace::labels_from_name(arg(c));
           if (!labels) throw std::invalid_argument("labels takes en or zh, got '" + arg(c) + "'");
           change_view(app, [&](ViewOptions& o) { o.labels = *labels; });
         }},
    Verb{"show-prefill", 1, 1, "on|off", "draw the prefill step with the current one",
         [](AppState& app, const Command& c) {
           change_view(app, [&](ViewOptions& o) { o.with_prefill = on_off(c, arg(c)); });
         }},
    Verb{"select", 1, 2, "NAME [LAYER]", "inspect a tensor (cached side first)",
         [](AppState& app, const Command& c) {
           select_by_name(app, arg(c), c.args.size() > 1 ? to_int(c, c.args[1]) : -1);
         }},
    Verb{"fit", 0, 0, "", "fit the graph to the view", [](AppState& app, const Command&) { app.fit_requested = true; }},
    Verb{"zoom", 1, 1, "F", "zoom factor around the view's centre", zoom},
    Verb{"focus", 0, 0, "", "centre the view on the selected tensor",
         [](AppState& app, const Command&) { focus_selection(app); }},
    Verb{"counterpart", 0, 0, "", "show the selected tensor on the other side too",
         [](AppState& app, const Command&) { show_counterpart(app); }},
    Verb{"resize", 1, 1, "WxH", "resize the window", resize},
    Verb{"panel", 2, 2, "settings|inspector|bottom on|off", "open or collapse a panel", panel},
    Verb{"tab", 1, 1, "kv|work", "the tab below the panes",
         [](AppState& app, const Command& c) {
           if (arg(c) == "kv") app.bottom_tab = BottomTab::KvCache;
           else if (arg(c) == "work") app.bottom_tab = BottomTab::Work;
           else throw std::invalid_argument("tab takes kv or work, got '" + arg(c) + "'");
         }},
    Verb{"theme", 1, 1, "light|dark", "colours",
         [](AppState& app, const Command& c) {
           if (arg(c) != "light" && arg(c) != "dark")
             throw std::invalid_argument("theme takes light or dark, got '" + arg(c) + "'");
           app.dark = arg(c) == "dark";
         }},
    Verb{"language", 1, 1, "en|zh", "the interface's language (zh also labels axes in Chinese)",
         [](AppState& app, const Command& c) {
           if (arg(c) != "en" && arg(c) != "zh")
             throw std::invalid_argument("language takes en or zh, got '" + arg(c) + "'");
           set_interface_language(app, arg(c) == "zh" ? UiLanguage::Zh : UiLanguage::En);
         }},
    Verb{"time", 0, 1, "[N]", "replay the generation N times per mode (default 5) and wait for the medians",
         [](AppState& app, const Command& c) {
           if (app.session->meta()) throw std::invalid_argument("a meta run computes nothing to time");
           const int runs = c.args.empty() ? kTimingRuns : to_int(c, arg(c));
           if (runs < 1) throw std::invalid_argument("time needs at least 1 run, got " + arg(c));
           app.timing.start(app.session->spec(), runs);
           while (app.timing.running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
           if (!app.timing.error().empty()) throw std::runtime_error(app.timing.error());
         }},
    Verb{"help", 1, 1, "on|off", "the keyboard and mouse help",
         [](AppState& app, const Command& c) { app.help_open = on_off(c, arg(c)); }},
    Verb{"export", 2, 2, "mermaid|dot|json|png PATH", "",
         [](AppState& app, const Command& c) {
           refresh(app);
           export_view(app, c.args[0], c.args[1]);
         }},
    Verb{"dump", 1, 1, "PATH", "write what is drawn (view model) as JSON",
         [](AppState& app, const Command& c) {
           refresh(app);
           fit_if_requested(app);  // what the next frame shows
           trace::write_file_atomically(arg(c), dump_view_json(app));
         }},
    Verb{"frames", 1, 1, "N", "render N frames before the next command",
         [](AppState& app, const Command& c) {
           const int n = to_int(c, arg(c));
           if (n < 0) throw std::invalid_argument("frames needs a frame count of 0 or more, got " + arg(c));
           app.script_frames = n;
         }},
};

}  // namespace

std::span<const Verb> script_verbs() { return kVerbs; }

void run_command(AppState& app, const Command& c) {
  try {
    for (const Verb& v : kVerbs)
      if (v.name == c.verb) return v.run(app, c);
    throw std::invalid_argument("unknown command '" + c.verb + "'");
  } catch (const std::exception& e) {
    throw std::runtime_error("line " + std::to_string(c.line) + ", '" + c.verb + "': " + e.what());
  }
}

}  // namespace kvscope::gui
