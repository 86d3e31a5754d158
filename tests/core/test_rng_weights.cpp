// The weights of a seed are the same bytes everywhere: pinned here as golden values (checked identical
// with GCC 12 at -O0 and -O2 and with clang 14 at -O2 -march=native).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

#include "core/config.h"
#include "core/rng.h"
#include "core/weights.h"

using namespace kvscope;

namespace {
uint64_t fnv1a(const float* data, int64_t n, uint64_t h = 1469598103934665603ull) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(data);
  for (int64_t i = 0; i < n * 4; ++i) h = (h ^ bytes[i]) * 1099511628211ull;
  return h;
}
}  // namespace

TEST_CASE("portable_log agrees with libm", "[rng]") {
  for (double x : {1e-300, 1e-9, 0.001, 0.25, 0.5, 0.7, 1.0, 1.5, 2.0, 3.14159, 1e6, 1e300}) {
    INFO(x);
    CHECK(std::abs(core::portable_log(x) - std::log(x)) <= 4e-16 * std::max(1.0, std::abs(std::log(x))));
  }
}

TEST_CASE("normal() has mean 0 and standard deviation 1", "[rng]") {
  core::Rng rng(123);
  double sum = 0, sum_sq = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double x = rng.normal();
    sum += x;
    sum_sq += x * x;
  }
  CHECK(std::abs(sum / n) < 0.01);
  CHECK(std::abs(std::sqrt(sum_sq / n) - 1.0) < 0.01);
}

TEST_CASE("golden values: the same seed gives the same bits", "[rng]") {
  core::Rng rng(42);
  CHECK(rng.next_u64() == 0xBDD732262FEB6E95ull);
  const double n = core::Rng(42).normal();
  uint64_t bits;
  std::memcpy(&bits, &n, sizeof bits);
  CHECK(bits == 0x3FDF8C80E851C08Cull);
  core::LlamaWeights w = core::random_weights(core::preset_config("seed-tiny"), 0);
  uint64_t h = 1469598103934665603ull;
  for (const auto& t : core::named_tensors(w)) {
    int64_t count = 1;
    for (int64_t s : t.shape) count *= s;
    h = fnv1a(t.data, count, h);
  }
  CHECK(h == 0xF5116F007CC2AC50ull);
  CHECK(w.layers[0].input_layernorm.isOnes());
  CHECK(std::abs(w.embed_tokens.norm() / std::sqrt(100.0 * 256) - 0.02) < 0.001);  // std 0.02
}
