// The loss of a text (core/evaluate.h): every position's logits of one full pass give what the cached decode
// path's last_logits give one step at a time, and the chunks follow the held-out definition.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "core/evaluate.h"
#include "core/kv_cache.h"
#include "tests/core/test_helpers.h"

using namespace kvscope;

namespace {

const std::vector<int32_t> kIds{3, 17, 42, 8, 99, 0, 56, 23, 61, 5};

// -log p(target) written out as the definition reads, from one row of logits.
double hand_neg_log_prob(std::span<const float> logits, int32_t target) {
  double sum = 0.0;
  for (float x : logits) sum += std::exp(static_cast<double>(x));
  return -std::log(std::exp(static_cast<double>(logits[static_cast<size_t>(target)])) / sum);
}

// The same loss from the cached path: prefill the first id, then decode one id a step, each step's
// last_logits predicting the next id.
double cached_total(core::LlamaModel& model, const std::vector<int32_t>& ids) {
  const int n = static_cast<int>(ids.size());
  core::KvCache cache(model.config(), 1, n, true);
  model.reserve(1, 1, n);
  double total = 0.0;
  for (int t = 0; t + 1 < n; ++t) {
    core::PassInput in;
    in.phase = t == 0 ? trace::Phase::Prefill : trace::Phase::Decode;
    in.step = t;
    in.tokens = 1;
    in.ids = std::span<const int32_t>(&ids[static_cast<size_t>(t)], 1);
    model.forward(in, &cache, nullptr);
    total += hand_neg_log_prob(model.last_logits(0), ids[static_cast<size_t>(t) + 1]);
  }
  return total;
}

}  // namespace

TEST_CASE("a sequence's loss equals the cached path's per-step -log p, by hand", "[evaluate]") {
  const core::LlamaConfig c = small_config();
  core::LlamaModel full(c, sharp_weights(c, 3));
  core::LlamaModel cached(c, sharp_weights(c, 3));
  const core::Loss loss = core::sequence_loss(full, kIds);
  const double expected = cached_total(cached, kIds);
  CHECK(loss.predicted == static_cast<int64_t>(kIds.size()) - 1);
  CHECK(loss.sequences == 1);
  CHECK(loss.total == Approx(expected).margin(1e-5 * loss.predicted));
  CHECK(loss.mean() == Approx(expected / loss.predicted).margin(1e-5));
}

TEST_CASE("logits(b) holds every row of sequence b, the last one being last_logits(b)", "[evaluate][model]") {
  const core::LlamaConfig c = small_config();
  core::LlamaModel model(c, sharp_weights(c, 3));
  const std::vector<int32_t> ids{3, 17, 42, 8, 99, 0};  // two sequences of three
  auto full_pass = [&model](std::span<const int32_t> batch_ids, int batch) {
    const int tokens = static_cast<int>(batch_ids.size()) / batch;
    model.reserve(batch, tokens, tokens);
    core::PassInput in;
    in.phase = trace::Phase::Full;
    in.batch = batch;
    in.tokens = tokens;
    in.ids = batch_ids;
    model.forward(in, nullptr, nullptr);
  };
  full_pass(ids, 2);
  const size_t v = static_cast<size_t>(c.vocab_size);
  for (int b = 0; b < 2; ++b) {
    const std::span<const float> rows = model.logits(b), last = model.last_logits(b);
    REQUIRE(rows.size() == 3 * v);
    CHECK(std::equal(last.begin(), last.end(), rows.begin() + 2 * static_cast<std::ptrdiff_t>(v)));
  }
  const std::vector<float> second(model.logits(1).begin(), model.logits(1).end());
  full_pass(std::span<const int32_t>(ids).subspan(3), 1);  // sequence 1 on its own
  const std::span<const float> alone = model.logits(0);
  REQUIRE(alone.size() == second.size());
  double worst = 0.0;
  for (size_t i = 0; i < second.size(); ++i)
    worst = std::max(worst, std::abs(static_cast<double>(alone[i]) - second[i]));
  CHECK(worst < 1e-5);
}

TEST_CASE("with BOS, every id is predicted, in chunks of context - 1 after BOS", "[evaluate]") {
  const core::LlamaConfig c = small_config();
  core::LlamaModel model(c, sharp_weights(c, 3));
  const int32_t bos = 1;
  const core::Loss loss = core::chunked_loss(model, kIds, 4, bos);  // chunks of 3, 3, 3 and 1 ids
  double expected = 0.0;
  for (size_t first = 0; first < kIds.size(); first += 3) {
    std::vector<int32_t> window{bos};
    for (size_t i = first; i < std::min(first + 3, kIds.size()); ++i) window.push_back(kIds[i]);
    expected += core::sequence_loss(model, window).total;
  }
  CHECK(loss.sequences == 4);
  CHECK(loss.predicted == static_cast<int64_t>(kIds.size()));
  CHECK(loss.total == Approx(expected).epsilon(1e-12));
}

TEST_CASE("without BOS, chunks of context ids are predicted from their second id", "[evaluate]") {
  const core::LlamaConfig c = small_config();
  core::LlamaModel model(c, sharp_weights(c, 3));
  const core::Loss ten = core::chunked_loss(model, kIds, 4, std::nullopt);  // 4, 4 and 2 ids
  CHECK(ten.sequences == 3);
  CHECK(ten.predicted == 3 + 3 + 1);
  const std::vector<int32_t> nine(kIds.begin(), kIds.end() - 1);  // 4, 4 and a lone id, which predicts nothing
  const core::Loss loss = core::chunked_loss(model, nine, 4, std::nullopt);
  CHECK(loss.sequences == 2);
  CHECK(loss.predicted == 6);
  const double first = core::sequence_loss(model, std::vector<int32_t>(kIds.begin(), kIds.begin() + 4)).total;
  const double second = core::sequence_loss(model, std::vector<int32_t>(kIds.begin() + 4, kIds.begin() + 8)).total;
  CHECK(loss.total == Approx(first + second).epsilon(1e-12));
}

TEST_CASE("a loss is refused without weights, without two ids, or with an id outside the vocabulary", "[evaluate]") {
  const core::LlamaConfig c = small_config();
  core::LlamaModel meta(c, std::nullopt);
  CHECK_THROWS_AS(core::sequence_loss(meta, kIds), std::invalid_argument);
  core::LlamaModel model(c, sharp_weights(c, 3));
  CHECK_THROWS_AS(core::sequence_loss(model, std::vector<int32_t>{5}), std::invalid_argument);
  CHECK_THROWS_WITH(core::sequence_loss(model, std::vector<int32_t>{5, 100}), Catch::Contains("token id 100"));
  CHECK_THROWS_AS(core::chunked_loss(model, kIds, 1, std::nullopt), std::invalid_argument);
}
