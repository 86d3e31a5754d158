// The KV cache refuses what would overflow it, and the forward pass what it was not given.
#include <catch2/catch.hpp>

#include <vector>

#include "core/kv_cache.h"
#include "core/model.h"
#include "tests/core/test_helpers.h"

using namespace kvscope;

TEST_CASE("the KV cache stores rows where they belong and refuses an overflowing write before writing") {
  const core::LlamaConfig c = small_config(4, 2);  // 2 kv heads of 8
  core::KvCache cache(c, /*batch=*/1, /*max_len=*/3, /*allocate=*/true);
  const int row = c.num_key_value_heads * c.head_size();
  std::vector<float> keys(2 * row), values(2 * row);
  for (size_t i = 0; i < keys.size(); ++i) keys[i] = static_cast<float>(i), values[i] = -static_cast<float>(i);
  cache.write(0, keys.data(), values.data(), 2);
  cache.advance(2);
  // kv head 1 of position 1 is element row + hd of the input rows, and position 1 of head 1's block.
  const int hd = c.head_size();
  CHECK(cache.keys(0)[(1 * 3 + 1) * hd] == keys[static_cast<size_t>(row + hd)]);
  CHECK(cache.values(0)[(1 * 3 + 1) * hd] == values[static_cast<size_t>(row + hd)]);

  const float before = cache.keys(0)[2 * hd];
  CHECK_THROWS_AS(cache.write(0, keys.data(), values.data(), 2), std::length_error);
  CHECK_THROWS_WITH(cache.write(0, keys.data(), values.data(), 2),
                    "KV cache: writing 2 positions after 2 overflows its 3 reserved positions");
  CHECK(cache.keys(0)[2 * hd] == before);
  CHECK(cache.length() == 2);

  core::KvCache meta(c, 1, 3, /*allocate=*/false);
  CHECK(meta.keys(0) == nullptr);
  CHECK_THROWS_AS(meta.write(0, nullptr, nullptr, 4), std::length_error);
}

TEST_CASE("a cached pass needs a cache that can hold it") {
  const core::LlamaConfig c = small_config();
  core::LlamaModel model(c, core::random_weights(c, 1));
  model.reserve(1, 4, 8);
  const std::vector<int32_t> ids{1, 2, 3, 4};
  core::PassInput in;
  in.phase = trace::Phase::Prefill;
  in.tokens = 4;
  in.ids = ids;
  CHECK_THROWS_WITH(model.forward(in, nullptr, nullptr), "a cached pass needs a KV cache");
  core::KvCache small(c, 1, 3, true);
  CHECK_THROWS_AS(model.forward(in, &small, nullptr), std::length_error);
  core::KvCache fits(c, 1, 4, true);
  const core::PassOutput out = model.forward(in, &fits, nullptr);
  CHECK(fits.length() == 4);
  CHECK(out.next_tokens.size() == 1);
}
