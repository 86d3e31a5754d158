// The model's work on a thread of its own (the windowed app): the views stay as they were while a step computes,
// Step queues, the result is the inline one, and a load that fails or is cancelled leaves the model shown.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/model_source.h"
#include "gui_test_helpers.h"

using namespace kvscope;
using namespace kvscope::gui;
using namespace kvscope::gui::testing;

namespace {

// Polls as the app's frames do, until the model's work and its queue are done.
void wait_for_model(AppState& app) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (model_busy(app)) {
    REQUIRE(std::chrono::steady_clock::now() < give_up);
    tick(app, 0.0);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  refresh(app);
}

// What the dump says is drawn, without the layout counters (the inline app laid out between its steps too).
nlohmann::json drawn(const AppState& app) {
  nlohmann::json view = nlohmann::json::parse(dump_view_json(app));
  REQUIRE(view.contains("layouts_computed"));
  view.erase("layouts_computed");
  view.erase("last_layout_ms");
  return view;
}

AppState background_app(app::RunSpec spec = seed_tiny_spec()) {
  AppState app = make_app(std::move(spec));
  app.background = true;
  return app;
}

}  // namespace

TEST_CASE(
    "in the background, steps leave the views alone until collected, queue behind each other, and end as inline") {
  AppState inline_app = make_app();
  run(inline_app, "prefill; step 3");

  AppState app = background_app();
  refresh(app);
  do_prefill(app);
  REQUIRE(app.job.running());
  CHECK(session_busy(app));
  CHECK_THROWS_WITH(run_of(app, Side::Cached), Catch::Contains("the model is computing"));
  CHECK_THROWS_WITH(do_reset(app), Catch::Contains("wait: the prefill is under way"));
  const std::optional<JobStatus> status = job_status(app);
  REQUIRE(status);
  CHECK_THAT(status->text, Catch::StartsWith("Computing: "));
  CHECK(status->fraction >= 0.0f);
  CHECK(status->fraction <= 1.0f);
  CHECK_FALSE(status->can_cancel);
  refresh(app);  // skipped while the session is stepped: the empty views before the prefill stay
  CHECK(pane(app, Side::Cached).step == -1);
  wait_for_model(app);
  CHECK(pane(app, Side::Cached).step == 0);

  do_step(app);
  do_step(app);  // queued behind the first
  do_step(app);
  CHECK(app.queued_steps == 2);
  CHECK_THROWS_WITH(do_run_to(app, 7), Catch::Contains("wait"));
  wait_for_model(app);
  CHECK(app.session->generated() == 3);
  CHECK(app.session->generated_tokens() == inline_app.session->generated_tokens());
  for (Side s : {Side::Cached, Side::Uncached}) {
    CHECK(run_of(app, s).events.size() == run_of(inline_app, s).events.size());
    CHECK(pane(app, s).step == pane(inline_app, s).step);
    CHECK(pane(app, s).heading == pane(inline_app, s).heading);
    CHECK(pane(app, s).work.macs == pane(inline_app, s).work.macs);
  }
  CHECK(drawn(app) == drawn(inline_app));
}

TEST_CASE("a step's job lays out the graphs of its views, so the frame that shows the step lays out nothing") {
  AppState app = background_app();
  refresh(app);
  // How many layouts the job added to the cache, and how many refresh then computed itself.
  auto job_then_refresh = [&app] {
    while (!app.job.finished()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const int before = app.layouts.layouts_computed();
    tick(app, 0.0);  // collects the job: its layouts join the cache
    const int joined = app.layouts.layouts_computed();
    refresh(app);
    return std::pair{joined - before, app.layouts.layouts_computed() - joined};
  };
  do_prefill(app);
  const auto [prefill_ahead, prefill_refresh] = job_then_refresh();
  CHECK(prefill_ahead >= 1);  // the prefill's graph
  CHECK(prefill_refresh == 0);
  int ahead_in_all = prefill_ahead;
  for (int step = 1; step <= 3; ++step) {
    INFO("step " << step);
    do_step(app);
    const auto [ahead, in_refresh] = job_then_refresh();
    CHECK(in_refresh == 0);
    if (step == 1) CHECK(ahead >= 1);  // the first decode step's graph is another
    if (step == 3) CHECK(ahead == 0);  // by now every graph of a decode step has been laid out
    ahead_in_all += ahead;
  }
  CHECK(pane(app, Side::Cached).step == 3);
  // The same layouts as the app laying out in its frames would make, no more.
  AppState inline_app = make_app();
  run(inline_app, "prefill; step 3");
  refresh(inline_app);
  CHECK(ahead_in_all == inline_app.layouts.layouts_computed());
  CHECK(drawn(app) == drawn(inline_app));
}

TEST_CASE("in the background, queued steps stop at the run's budget with a message") {
  AppState app = background_app(seed_tiny_spec(2));
  do_step(app);
  do_step(app);
  CHECK_THROWS_WITH(do_step(app), Catch::Contains("reach all 2 tokens"));
  wait_for_model(app);
  CHECK(app.session->generated() == 2);
  CHECK_FALSE(app.status_error);
}

TEST_CASE("a background load that fails names the model in the status and keeps the model shown") {
  AppState app = background_app();
  const app::RunSpec before = app.pending;
  app::RunSpec spec = before;
  spec.model = "no-such-model";
  load_spec(app, spec);
  wait_for_model(app);
  CHECK(app.status_error);
  CHECK_THAT(app.status, Catch::Contains("no-such-model"));
  CHECK(app.session->model().config().name == "seed-tiny");
  CHECK(app.pending.model == before.model);
}

TEST_CASE("a background load reports its stage, and a cancelled one leaves the model shown") {
  AppState app = background_app();
  app::RunSpec spec = app.pending;
  spec.model = "stories15m";  // random weights drawn for 24M parameters: long enough to be cancelled
  load_spec(app, spec);
  const std::optional<JobStatus> status = job_status(app);
  REQUIRE(status);
  CHECK(status->can_cancel);
  CHECK_THAT(status->text, Catch::StartsWith("Loading stories15m: "));
  cancel_load(app);
  wait_for_model(app);
  CHECK_FALSE(app.status_error);
  CHECK_THAT(app.status, Catch::Contains("Loading cancelled; still showing seed-tiny"));
  CHECK(app.session->model().config().name == "seed-tiny");
  CHECK(app.pending.model == "seed-tiny");

  load_spec(app, spec);  // not cancelled this time
  wait_for_model(app);
  CHECK(app.session->model().config().name == "stories15m");
  CHECK_THAT(app.status, Catch::Contains("loaded stories15m"));
}

TEST_CASE("a load reports its stages to the progress installed on its thread, and stops when cancelled") {
  const core::ModelSource source = core::resolve_model("stories15m");
  core::LoadProgress progress;
  {
    core::ScopedLoadProgress installed(progress);
    (void)core::load_model(source, 0, false);
  }
  CHECK(std::string(progress.stage.load()) == "drawing random weights");
  CHECK(progress.total.load() > 0);

  core::LoadProgress cancelled;
  cancelled.cancel = true;
  core::ScopedLoadProgress installed(cancelled);
  CHECK_THROWS_AS(core::load_model(source, 0, false), core::LoadCancelled);
}
