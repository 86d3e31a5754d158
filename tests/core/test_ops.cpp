// Each op against numbers worked out by hand.
#include <catch2/catch.hpp>

#include <limits>

#include "core/ops.h"
#include "tests/core/test_helpers.h"
#include "trace/event_values.h"

using namespace kvscope;
using Catch::Matchers::WithinAbs;

TEST_CASE("RMSNorm with eps 0.5 and a weight", "[ops]") {
  core::Matrix x(1, 4), y(1, 4);
  x << 1, 2, 3, 4;
  core::Vector w(4);
  w << 1, 1, 2, 0.5;
  core::ops::rms_norm(x, w, 0.5f, y, 1);
  // mean(x^2) = 30/4 = 7.5; + 0.5 = 8; 1/sqrt(8) = 0.35355339
  CHECK_THAT(y(0, 0), WithinAbs(0.35355339, 1e-6));
  CHECK_THAT(y(0, 1), WithinAbs(0.70710678, 1e-6));
  CHECK_THAT(y(0, 2), WithinAbs(2.12132034, 1e-6));
  CHECK_THAT(y(0, 3), WithinAbs(0.70710678, 1e-6));
}

TEST_CASE("rotate_half RoPE at position 3", "[ops]") {
  // head size 4, theta 10000: inv_freq = [1, 0.01]; angles at position 3: [3, 0.03].
  // Dimension 0 pairs with 2, 1 with 3 (rotate_half), not 0 with 1 (interleaved).
  const auto table = core::ops::rope_table(4, 10000.0, 8);
  const float x[4] = {1, 2, 3, 4};
  float y[4];
  core::ops::rope_row(x, y, 1, 4, table, 3);
  // cos 3 = -0.98999250, sin 3 = 0.14112001; cos 0.03 = 0.99955003, sin 0.03 = 0.02999550
  CHECK_THAT(y[0], WithinAbs(1 * -0.98999250 - 3 * 0.14112001, 1e-5));  // -1.41335253
  CHECK_THAT(y[2], WithinAbs(3 * -0.98999250 + 1 * 0.14112001, 1e-5));  // -2.82885749
  CHECK_THAT(y[1], WithinAbs(2 * 0.99955003 - 4 * 0.02999550, 1e-5));   // 1.87911806
  CHECK_THAT(y[3], WithinAbs(4 * 0.99955003 + 2 * 0.02999550, 1e-5));   // 4.05819112
  // Position 0 is the identity.
  core::ops::rope_row(x, y, 1, 4, table, 0);
  CHECK(y[0] == 1);
  CHECK(y[3] == 4);
}

TEST_CASE("softmax of a row with a masked entry", "[ops]") {
  float row[6] = {1, 2, std::numeric_limits<float>::lowest(), 0, 0, 0};
  core::ops::softmax_rows(row, 2, 3);
  CHECK_THAT(row[0], WithinAbs(0.26894142, 1e-6));
  CHECK_THAT(row[1], WithinAbs(0.73105858, 1e-6));
  CHECK(row[2] == 0.0f);
  CHECK_THAT(row[3], WithinAbs(1.0 / 3, 1e-6));
}

TEST_CASE("SwiGLU and argmax", "[ops]") {
  core::Matrix gate(1, 3), up(1, 3);
  gate << 0, 1, -2;
  up << 5, 2, 3;
  core::ops::silu_mul(gate, up, 1);
  CHECK_THAT(gate(0, 0), WithinAbs(0.0, 1e-7));
  CHECK_THAT(gate(0, 1), WithinAbs(2 * 0.73105858, 1e-6));       // silu(1) = 1 * sigmoid(1)
  CHECK_THAT(gate(0, 2), WithinAbs(3 * -2 * 0.11920292, 1e-6));  // silu(-2) = -2 * sigmoid(-2)
  const float ties[4] = {1, 7, 7, 2};
  CHECK(core::ops::argmax(ties, 4) == 1);  // the first of equal maxima, as torch.argmax
}

TEST_CASE("repeat_kv: query head h reads kv head h / n_rep, as the trace's values show", "[ops][gqa]") {
  const core::LlamaConfig c = small_config(8, 2);
  core::LlamaModel model(c, core::random_weights(c, 5));
  const Recorded r = record(model, {{1, 2, 3}}, {core::CacheMode::Uncached, core::PrefillScheme::All, 1},
                            {true, true, 1 << 20});
  const trace::Event* keys = nullptr;
  const trace::Event* repeated = nullptr;
  for (const auto& e : r.run.events) {
    if (e.layer != 1) continue;
    if (e.name == "pos_key_states") keys = &e;
    if (e.name == "repeated_key_states") repeated = &e;
  }
  REQUIRE(keys);
  REQUIRE(repeated);
  CHECK(keys->shape == std::vector<int64_t>{2, 3, 8});
  CHECK(repeated->shape == std::vector<int64_t>{8, 3, 8});
  CHECK(repeated->inputs == std::vector<int>{keys->id});
  const auto& k = *keys->values;
  CHECK(repeated->values_from_inputs);  // a view of the keys: rebuilt from them, not stored again
  const auto rep = *trace::event_values(r.run, *repeated);
  for (int h = 0; h < 8; ++h)
    for (int i = 0; i < 3 * 8; ++i)
      CHECK(rep[static_cast<size_t>(h * 24 + i)] == k[static_cast<size_t>((h / 4) * 24 + i)]);
}
