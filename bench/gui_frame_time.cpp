// CPU time per frame of the desktop app and the time of its graph layout. Needs a display:
//   xvfb-run -a -s '-screen 0 1920x1200x24' build/bench/gui_frame_time
// "ui" is what the app's own code and Dear ImGui spend building a frame (panels, culling, draw lists);
// "with_gl" adds submitting it to OpenGL and waiting for it, which under Xvfb is Mesa's software
// rasteriser and says little about a real GPU.
#include <benchmark/benchmark.h>

#include <GL/gl.h>
#include <imgui.h>
#include <imgui_impl_opengl3.h>

#include <cstdio>
#include <memory>

#include "app/gui/logic/app_state.h"
#include "app/gui/ui/app_window.h"
#include "app/gui/ui/fonts.h"
#include "app/gui/ui/panels.h"
#include "trace/graph.h"

namespace {

using namespace kvscope;
using namespace kvscope::gui;

AppWindow* g_window = nullptr;
Fonts* g_fonts = nullptr;

std::unique_ptr<AppState> make_app(const std::string& model, int prompt_len, const std::string& script) {
  app::RunSpec spec;
  spec.model = model;
  spec.prompt_len = prompt_len;
  spec.new_tokens = 4;
  TextMetrics metrics{[](std::string_view s) { return g_fonts->measure_graph_text(s); },
                      g_fonts->graph_font_size() * 1.15f};
  auto app = std::make_unique<AppState>(spec, metrics);
  for (const auto& c : parse_script(script)) run_command(*app, c);
  return app;
}

void frame(AppState& app, UiState& ui, bool with_gl) {
  g_window->begin_frame();
  draw_app(app, ui, *g_fonts);
  if (with_gl) {
    g_window->render();
    glFinish();
  } else {
    ImGui::Render();
  }
}

void run_frames(benchmark::State& state, const std::string& model, int prompt_len, const std::string& script,
                bool with_gl) {
  auto app = make_app(model, prompt_len, script);
  UiState ui;
  for (int i = 0; i < 3; ++i) frame(*app, ui, with_gl);  // layout, fit and font atlas settle
  size_t nodes = 0;
  for (const auto& p : app->panes) nodes += p.nodes.size();
  for (auto _ : state) frame(*app, ui, with_gl);
  state.counters["nodes"] = static_cast<double>(nodes);
  state.counters["zoom"] = app->cameras[0].zoom;
}

const char* kSeedTiny = "prefill; step; step; view compare";
// The seed 000 scenario (prefill and first decode step beside the uncached pass), every layer, as the app lands on
// it: fitted at the readable zoom, the top of the graph on screen.
const char* kOpenLlamaFit = "prefill; step; show-prefill on; unfold; view compare";
// The same zoomed out until every node is on screen: the worst case for drawing.
const char* kOpenLlamaOverview = "prefill; step; show-prefill on; unfold; view compare; zoom 0.03";
// The same zoomed to reading size: text on, most nodes culled.
const char* kOpenLlamaZoomed = "prefill; step; show-prefill on; unfold; view compare; zoom 30";

void BM_FrameFoldedSeedTiny_ui(benchmark::State& s) { run_frames(s, "seed-tiny", 5, kSeedTiny, false); }
void BM_FrameUnfoldedOpenLlama3b_fit_ui(benchmark::State& s) { run_frames(s, "openllama-3b", 7, kOpenLlamaFit, false); }
void BM_FrameUnfoldedOpenLlama3b_overview_ui(benchmark::State& s) {
  run_frames(s, "openllama-3b", 7, kOpenLlamaOverview, false);
}
void BM_FrameUnfoldedOpenLlama3b_zoomed_ui(benchmark::State& s) {
  run_frames(s, "openllama-3b", 7, kOpenLlamaZoomed, false);
}
void BM_FrameFoldedSeedTiny_with_gl(benchmark::State& s) { run_frames(s, "seed-tiny", 5, kSeedTiny, true); }
void BM_FrameUnfoldedOpenLlama3b_fit_with_gl(benchmark::State& s) {
  run_frames(s, "openllama-3b", 7, kOpenLlamaFit, true);
}
void BM_FrameUnfoldedOpenLlama3b_overview_with_gl(benchmark::State& s) {
  run_frames(s, "openllama-3b", 7, kOpenLlamaOverview, true);
}

// Graphviz on the folded openllama-3b decode step (what the cache spares every later step), then the
// unfolded view built from it.
void BM_LayoutOpenLlama3b(benchmark::State& state) {
  auto app = make_app("openllama-3b", 7, "prefill; step");
  const trace::Run& run = app->session->run(Side::Cached);
  const TextMetrics metrics = app->metrics;
  for (auto _ : state) {
    LayoutCache fresh;
    benchmark::DoNotOptimize(build_pane_view(run, 1, {.fold = false}, fresh, metrics));
  }
}

void BM_LayoutSeedTiny(benchmark::State& state) {
  auto app = make_app("seed-tiny", 5, "prefill; step");
  const trace::Run& run = app->session->run(Side::Cached);
  const TextMetrics metrics = app->metrics;
  for (auto _ : state) {
    LayoutCache fresh;
    benchmark::DoNotOptimize(build_pane_view(run, 1, {.fold = true}, fresh, metrics));
  }
}

BENCHMARK(BM_FrameFoldedSeedTiny_ui)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FrameUnfoldedOpenLlama3b_fit_ui)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FrameUnfoldedOpenLlama3b_overview_ui)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FrameUnfoldedOpenLlama3b_zoomed_ui)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FrameFoldedSeedTiny_with_gl)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FrameUnfoldedOpenLlama3b_fit_with_gl)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FrameUnfoldedOpenLlama3b_overview_with_gl)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LayoutOpenLlama3b)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LayoutSeedTiny)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  try {
    AppWindow window(1600, 1000, "kvscope bench");
    Fonts fonts(1.0f, "头的个数 循环次");
    g_window = &window;
    g_fonts = &fonts;
    benchmark::RunSpecifiedBenchmarks();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gui_frame_time: %s\n", e.what());
    return 1;
  }
  return 0;
}
