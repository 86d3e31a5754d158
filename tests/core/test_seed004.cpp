// Seed 004: the shapes of generation without a cache (HF model) and with one (the batch-4 toy module).
#include <catch2/catch.hpp>

#include "core/model_source.h"
#include "tests/cli/run_cli.h"
#include "tests/core/test_helpers.h"

using namespace kvscope;

namespace {
std::vector<int64_t> shape_of(const trace::Run& run, int step, const std::string& name, int layer) {
  for (const auto& e : run.events)
    if (e.step == step && std::string(e.name) == name && e.layer == layer) return e.shape;
  return {};
}
}  // namespace

TEST_CASE("seed 004 part 1: uncached steps re-run the whole sequence", "[seed004]") {
  const core::LlamaConfig c = core::preset_config("seed-tiny");
  core::LlamaModel model(c, core::random_weights(c, 0));
  const Recorded r = record(model, {{12, 81, 92, 52, 65}}, {core::CacheMode::Uncached, core::PrefillScheme::All, 3});
  REQUIRE(r.results.size() == 3);
  for (int g = 0; g < 3; ++g) {
    const int64_t len = 5 + g;
    CHECK(r.results[g].input_ids_shape == std::vector<int64_t>{1, len});
    CHECK(r.results[g].logits_shape == std::vector<int64_t>{1, len, 100});
    // Trace shapes carry no batch axis for B = 1, as seed 000 draws them.
    CHECK(shape_of(r.run, g, "input_ids", -1) == std::vector<int64_t>{len});
    CHECK(shape_of(r.run, g, "logits", -1) == std::vector<int64_t>{len, 100});
    CHECK(shape_of(r.run, g, "attn_weights", 1) == std::vector<int64_t>{4, len, len});
    CHECK(shape_of(r.run, g, "next_tokens", -1) == std::vector<int64_t>{1});
  }
}

TEST_CASE("seed 004 part 1 through the CLI log", "[seed004][cli]") {
  const CliResult r = run_cli("generate --model seed-tiny --ids 12,81,92,52,65 --steps 3 --no-cache");
  REQUIRE(r.exit_code == 0);
  for (const char* line : {"input_ids shape [1, 5]", "input_ids shape [1, 6]", "input_ids shape [1, 7]",
                           "logits shape [1, 5, 100]", "logits shape [1, 6, 100]", "logits shape [1, 7, 100]"})
    CHECK_THAT(r.out, Catch::Contains(line));
}

TEST_CASE("seed 004 part 2: batch 4, 10 prompt tokens, cache grows one position per step", "[seed004]") {
  const core::LlamaConfig c = core::preset_config("seed-tiny");
  core::LlamaModel model(c, core::random_weights(c, 0));
  app::RunSpec spec;
  spec.batch = 4;
  spec.prompt_len = 10;
  const auto prompts = app::make_prompts(spec, c, nullptr).ids;
  REQUIRE(prompts.size() == 4);
  CHECK(prompts[0] != prompts[1]);  // like torch.randint(0, V, (B, L)): every sequence its own
  const Recorded r = record(model, prompts, {core::CacheMode::Cached, core::PrefillScheme::All, 4});
  REQUIRE(r.results.size() == 4);
  const int64_t nh = c.num_attention_heads, hd = c.head_size();
  for (int s = 0; s < 4; ++s) {
    const int64_t S = 10 + s, T = s == 0 ? 10 : 1;
    INFO("step " << s);
    CHECK(r.results[s].key_cache_shape == std::vector<int64_t>{4, nh, S, hd});
    CHECK(r.results[s].attn_shape == std::vector<int64_t>{4, nh, T, S});
    CHECK(r.results[s].record.next_tokens.size() == 4);
    if (s == 0) {
      CHECK(shape_of(r.run, 0, "prefill_pos_key_states", 0) == std::vector<int64_t>{4, nh, 10, hd});
      CHECK(shape_of(r.run, 0, "prefill_attn_weights", 0) == std::vector<int64_t>{4, nh, 10, 10});
      CHECK(shape_of(r.run, 0, "prefill_causal_mask", 0) == std::vector<int64_t>{4, 1, 10, 10});
      CHECK(shape_of(r.run, 0, "prefill_next_tokens", -1) == std::vector<int64_t>{4});
    } else {
      CHECK(shape_of(r.run, s, "pos_key_states", 0) == std::vector<int64_t>{4, nh, S, hd});
      CHECK(shape_of(r.run, s, "attn_weights", 0) == std::vector<int64_t>{4, nh, 1, S});
      CHECK(shape_of(r.run, s, "next_tokens", -1) == std::vector<int64_t>{4});
    }
  }
}
