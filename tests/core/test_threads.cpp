// Work is split by output features, never inside a sum: the thread count changes the speed, not one bit.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "core/config.h"
#include "core/generator.h"
#include "core/model.h"
#include "core/ops.h"
#include "core/thread_pool.h"
#include "core/weights.h"
#include "tests/core/test_helpers.h"

using namespace kvscope;

namespace {

Outcome generate_six(core::LlamaModel& model, core::CacheMode mode) {
  core::GenerationOptions options;
  options.mode = mode;
  options.prefill = core::PrefillScheme::All;
  options.new_tokens = 6;
  return generate_outcome(model, {{5, 17, 33, 2, 9, 61, 40}, {8, 8, 1, 90, 3, 3, 12}}, options);
}

}  // namespace

TEST_CASE("tokens and logits are bitwise identical for 1, 2 and 3 threads, cached and uncached", "[threads]") {
  const core::LlamaConfig c = odd_sizes_config();
  core::LlamaModel model(c, core::random_weights(c, 11));
  for (const core::CacheMode mode : {core::CacheMode::Cached, core::CacheMode::Uncached}) {
    INFO((mode == core::CacheMode::Cached ? "cached" : "uncached"));
    model.set_threads(1);
    const Outcome one = generate_six(model, mode);
    REQUIRE(one.logits.size() == 2u * 6u * 101u);
    for (const int threads : {2, 3}) {
      INFO(threads << " threads");
      model.set_threads(threads);
      CHECK(model.threads() == threads);
      const Outcome many = generate_six(model, mode);
      CHECK(many.sequences == one.sequences);
      CHECK(same_bits(many.logits, one.logits));
    }
  }
}

TEST_CASE("a linear layer gives the same bits for any thread count and any number of rows", "[threads]") {
  const int in = 77, out = 45, rows = 5;
  core::Matrix w(out, in), x(rows, in);
  for (int i = 0; i < w.size(); ++i) w.data()[i] = static_cast<float>((i * 37) % 101 - 50) / 37.0f;
  for (int i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>((i * 53) % 89 - 44) / 29.0f;
  const core::WeightMatrix wm{core::Matrix(w)};
  core::ThreadPool one(1);
  core::Matrix all(rows, out);
  core::ops::linear(x, wm, all, rows, one);
  // Close to the plain product, and equal bit for bit however it is split.
  const core::Matrix plain = x * w.transpose();
  CHECK(all.isApprox(plain, 1e-5f));
  for (const int threads : {2, 3, 7}) {
    core::ThreadPool pool(threads);
    core::Matrix y(rows, out);
    core::ops::linear(x, wm, y, rows, pool);
    CHECK(std::memcmp(y.data(), all.data(), sizeof(float) * static_cast<size_t>(y.size())) == 0);
    // Row r alone (a decode step) equals row r of the batch (a prefill).
    for (int r = 0; r < rows; ++r) {
      core::Matrix single = x.row(r);
      core::Matrix yr(1, out);
      core::ops::linear(single, wm, yr, 1, pool);
      CHECK(std::memcmp(yr.data(), all.row(r).data(), sizeof(float) * out) == 0);
    }
  }
}

TEST_CASE("a thread count below 1 is refused", "[threads]") {
  const core::LlamaConfig c = core::preset_config("seed-tiny");
  core::LlamaModel model(c, std::nullopt);
  CHECK_THROWS_WITH(model.set_threads(0), "threads must be at least 1, got 0");
}
