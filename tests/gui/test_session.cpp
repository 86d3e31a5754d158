#include <catch2/catch.hpp>

#include "gui_test_helpers.h"

using namespace kvscope::gui;
using namespace kvscope::gui::testing;
using Shape = std::vector<int64_t>;

TEST_CASE("stepping grows the cached keys by one position while the uncached side recomputes them all") {
  AppState app = make_app();
  run(app, "prefill");
  CHECK(pane(app, Side::Cached).step == 0);
  CHECK(pane(app, Side::Uncached).step == -1);  // the uncached run starts with the first predicted token
  CHECK(shape_of(app, Side::Cached, "prefill_pos_key_states") == Shape{4, 4, 64});

  for (int k = 1; k <= 4; ++k) {
    run(app, "step");
    const int64_t positions = 4 + k;  // cache length after this step: 4 prefilled, one more per step
    INFO("step " << k);
    CHECK(pane(app, Side::Cached).step == k);
    CHECK(shape_of(app, Side::Cached, "pos_key_states") == Shape{4, positions, 64});
    CHECK(shape_of(app, Side::Cached, "query_states") == Shape{4, 1, 64});
    CHECK(shape_of(app, Side::Uncached, "query_states") == Shape{4, positions, 64});
    CHECK(shape_of(app, Side::Uncached, "input_ids", -1) == Shape{positions});
    CHECK(step_work(run_of(app, Side::Cached), k).tokens_in == 1);
    CHECK(step_work(run_of(app, Side::Uncached), pane(app, Side::Uncached).step).tokens_in == positions);
  }
  CHECK(app.session->generated() == 4);
}

TEST_CASE("both runs generate the same tokens") {
  AppState app = make_app();
  run(app, "run-to 6");
  const auto cached = app.session->generated_tokens();
  REQUIRE(cached.size() == 6);
  std::vector<int32_t> uncached;
  for (const auto& s : run_of(app, Side::Uncached).steps) uncached.push_back(s.next_tokens.at(0));
  CHECK(uncached == cached);
}

TEST_CASE("run-to past the token budget grows it; step at the end of the budget is an error") {
  AppState app = make_app(seed_tiny_spec(3));
  run(app, "run-to 3");
  CHECK(app.session->done());
  CHECK_THROWS_WITH(run(app, "step"), Catch::Contains("all 3 tokens"));
  run(app, "run-to 5");
  CHECK(app.session->generated() == 5);
  CHECK(app.session->spec().new_tokens == 5);
}

TEST_CASE("playing steps at the chosen speed and stops at the end of the run") {
  AppState app = make_app(seed_tiny_spec(3));
  run(app, "speed 4; play");
  tick(app, 0.5);  // two steps: prefill+first token, second token
  CHECK(app.session->generated() == 2);
  tick(app, 1.0);
  CHECK(app.session->generated() == 3);
  CHECK_FALSE(app.playing);
}

TEST_CASE("openllama-3b opens in meta mode instead of asking for 13 GB") {
  kvscope::app::RunSpec spec;
  spec.model = "openllama-3b";
  spec.prompt_len = 7;
  spec.new_tokens = 2;
  AppState app = make_app(spec);
  CHECK(app.session->meta());
  CHECK(app.session->meta_forced());
  run(app, "prefill; step");
  CHECK(shape_of(app, Side::Cached, "pos_key_states") == Shape{32, 7, 100});
  CHECK(shape_of(app, Side::Cached, "attn_weights") == Shape{32, 1, 7});
}

TEST_CASE("settings commands reload the model and keep the old session when they fail") {
  AppState app = make_app();
  run(app, "ids 1,2,3; step");
  CHECK(app.session->prompt() == std::vector<int32_t>{1, 2, 3});
  CHECK_THROWS_WITH(run(app, "model no-such-model"), Catch::Contains("no-such-model"));
  CHECK(app.session->model().config().name == "seed-tiny");
  CHECK(app.pending.model == "seed-tiny");
  CHECK_THROWS_WITH(run(app, "ids 1,200"), Catch::Contains("200"));
}
