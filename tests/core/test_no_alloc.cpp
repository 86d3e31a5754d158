// The decode loop allocates nothing: every buffer is sized once, before the first step.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <new>

#include "core/model_source.h"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
}  // namespace

// Every replaceable form, so no allocation is paired with another allocator's delete (ASan checks).
void* operator new(std::size_t n) {
  if (g_counting) ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  if (g_counting) ++g_allocations;
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& tag) noexcept { return operator new(n, tag); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

using namespace kvscope;

TEST_CASE("a cached decode step without a sink allocates nothing", "[model][alloc]") {
  const auto c = core::preset_config("seed-tiny");
  core::LlamaModel model(c, core::random_weights(c, 0));
  core::KvCache cache(c, 1, 40, true);
  model.reserve(1, 4, 40);
  std::vector<int32_t> ids{1, 2, 3, 4};
  core::PassInput in;
  in.phase = trace::Phase::Prefill;
  in.tokens = 4;
  in.ids = ids;
  model.forward(in, &cache, nullptr);
  in.phase = trace::Phase::Decode;
  in.tokens = 1;
  int32_t token = 5;
  g_allocations = 0;
  g_counting = true;
  for (int step = 1; step < 30; ++step) {
    in.step = step;
    in.ids = std::span<const int32_t>(&token, 1);
    token = model.forward(in, &cache, nullptr).next_tokens[0];
  }
  g_counting = false;
  CHECK(g_allocations == 0);
  CHECK(cache.length() == 4 + 29);
}
