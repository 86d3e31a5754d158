#include <catch2/catch.hpp>

#include <map>

#include <nlohmann/json.hpp>

#include "hand_built_run.h"
#include "trace/compare.h"
#include "trace/macs.h"
#include "trace/text_format.h"

using namespace kvscope;

namespace {

const trace::Event& named(const trace::Run& run, int step, int layer, const std::string& name) {
  for (const trace::Event& e : run.events)
    if (e.step == step && e.layer == layer && e.name == name) return e;
  FAIL("no event " << name);
  throw;
}

// The hand-built layer (hidden 8, 2 heads of 4, vocab 10) over t new tokens and s positions: q, k, v and
// o_proj are 8x8 linears, scores contract the head size, weights.v the positions.
int64_t layer_macs(int64_t t, int64_t s) { return 4 * t * 8 * 8 + 2 * (2 * t * s * 4); }

}  // namespace

TEST_CASE("multiply-accumulates are counted from each event's shape and its inputs' shapes") {
  const trace::Run run = test::cached_run(5, 1, 1);
  CHECK(trace::event_macs(run, named(run, 1, 0, "query_states")) == 2 * 1 * 4 * 8);
  CHECK(trace::event_macs(run, named(run, 1, 0, "unmasked_attn_weights")) == 2 * 1 * 5 * 4);
  CHECK(trace::event_macs(run, named(run, 1, 0, "attn_tmp_output1")) == 2 * 1 * 4 * 5);
  CHECK(trace::event_macs(run, named(run, 1, -1, "logits")) == 10 * 8);
  CHECK(trace::event_macs(run, named(run, 1, 0, "attn_weights")) == 0);
  CHECK(trace::event_macs(run, named(run, 0, 0, "prefill_unmasked_attn_weights")) == 2 * 4 * 4 * 4);
  CHECK(trace::step_macs(run, run.steps[0]) == layer_macs(4, 4));
  CHECK(trace::step_macs(run, run.steps[1]) == layer_macs(1, 5) + 10 * 8);

  trace::Run broken = run;
  for (trace::Event& e : broken.events)
    if (e.name == "logits") e.inputs.clear();
  CHECK_THROWS_WITH(trace::step_macs(broken, broken.steps[1]), Catch::Contains("'logits', linear) has no input"));
}

TEST_CASE("compare counts each mode's work per generated token") {
  const trace::Run cached = test::cached_run(5, 2, 3);
  const trace::Run uncached = test::uncached_run(5, 2, 3);
  const trace::Comparison c = trace::compare_runs(cached, uncached);
  REQUIRE(c.tokens.size() == 3);
  CHECK(c.tokens_agree());
  // Token 0 carries the prefill: 4 prompt tokens, then the last one through the decode path.
  CHECK(c.tokens[0].cached.steps == std::vector<int>{0, 1});
  CHECK(c.tokens[0].cached.tokens_in == 5);
  CHECK(c.tokens[0].cached.macs == 2 * layer_macs(4, 4) + 2 * layer_macs(1, 5) + 80);
  CHECK(c.tokens[0].uncached.macs == 2 * layer_macs(5, 5) + 5 * 80);
  CHECK(c.tokens[2].cached.tokens_in == 1);
  CHECK(c.tokens[2].uncached.tokens_in == 7);
  CHECK(c.tokens[2].cached.macs == 2 * layer_macs(1, 7) + 80);
  CHECK(c.tokens[2].uncached.macs == 2 * layer_macs(7, 7) + 7 * 80);
  CHECK(c.tokens[2].cached.kv_cache_bytes == 7 * 2 * 2 * 2 * 4 * 4);
  CHECK(c.tokens[2].uncached.kv_cache_bytes == 0);
  CHECK(c.cached_total.ms == Approx(1.0 + 3 * 0.5));
  CHECK(c.uncached_total.ms == Approx(2.0 + 4.0 + 6.0));
  CHECK(c.speedup() == Approx(12.0 / 2.5));
  CHECK(c.work_ratio() == Approx(static_cast<double>(c.uncached_total.macs) / c.cached_total.macs));

  // Tensors are matched by key: the decode step's pos_more_key_states is the uncached pos_key_states of
  // one token; the cache history it is appended to (cached_key_states) has no uncached counterpart.
  std::map<std::string, std::string> diffs;
  for (const auto& d : c.tokens[1].differences)
    diffs[d.key] = trace::x_list(d.cached) + " vs " + trace::x_list(d.uncached);
  CHECK(diffs["query_states"] == "2x1x4 vs 2x6x4");
  CHECK(diffs["pos_key_states"] == "2x1x4 vs 2x6x4");
  CHECK(diffs.count("cached_key_states") == 0);
}

TEST_CASE("compare reports tokens on which the modes disagree") {
  const trace::Run cached = test::cached_run(5, 1, 2);
  trace::Run uncached = test::uncached_run(5, 1, 2);
  uncached.steps[1].next_tokens = {99};
  const trace::Comparison c = trace::compare_runs(cached, uncached);
  CHECK(c.tokens[0].agree);
  CHECK_FALSE(c.tokens[1].agree);
  CHECK_FALSE(c.tokens_agree());
  CHECK(trace::comparison_table(c).find("TOKENS DISAGREE") != std::string::npos);
  CHECK_THROWS(trace::compare_runs(uncached, cached));
}

TEST_CASE("compare writes a table, JSON and CSV") {
  const trace::Comparison c = trace::compare_runs(test::cached_run(5, 1, 2), test::uncached_run(5, 1, 2));
  const std::string table = trace::comparison_table(c);
  CHECK(table.rfind("token  cached id  uncached id  tokens in c/u", 0) == 0);
  CHECK(table.find("\n0              3            3            5/5 ") != std::string::npos);
  CHECK(table.find("work ratio (uncached MACs / cached MACs): ") != std::string::npos);
  CHECK(table.find("tensors whose shapes differ for token 1 (cached vs uncached): ") != std::string::npos);
  const auto j = trace::comparison_json(c);
  CHECK(j["tokens"].size() == 2);
  CHECK(j["tokens"][1]["cached"]["macs"] == c.tokens[1].cached.macs);
  CHECK(j["tokens_agree"] == true);
  CHECK(j["work_ratio"].get<double>() == Approx(c.work_ratio()));
  const std::string csv = trace::comparison_csv(c);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 3);
  const trace::Comparison meta = trace::compare_runs(test::cached_run(5, 1, 2), test::uncached_run(5, 1, 2),
                                                     /*shapes_only=*/true);
  const std::string meta_table = trace::comparison_table(meta);
  CHECK(meta_table.find("\n0              -            -            5/5 ") != std::string::npos);
  CHECK(meta_table.find("speed-up") == std::string::npos);
  CHECK(trace::comparison_json(meta)["shapes_only"] == true);
  CHECK(csv.find("1,4,4,1,6," + std::to_string(c.tokens[1].cached.macs) + ",") != std::string::npos);
}

TEST_CASE("a shape-only comparison leaves out the tokens and times it never computed, in JSON and CSV too") {
  const trace::Comparison real = trace::compare_runs(test::cached_run(5, 1, 2), test::uncached_run(5, 1, 2));
  const trace::Comparison meta = trace::compare_runs(test::cached_run(5, 1, 2), test::uncached_run(5, 1, 2),
                                                     /*shapes_only=*/true);
  const auto j = trace::comparison_json(meta);
  for (const char* key : {"tokens_agree", "speedup"}) {
    CHECK(trace::comparison_json(real).contains(key));
    CHECK_FALSE(j.contains(key));
  }
  CHECK(j["work_ratio"].get<double>() == Approx(real.work_ratio()));
  for (const auto& t : j["tokens"]) {
    CHECK_FALSE(t.contains("agree"));
    for (const char* mode : {"cached", "uncached"}) {
      CHECK_FALSE(t[mode].contains("tokens"));
      CHECK_FALSE(t[mode].contains("ms"));
      CHECK(t[mode].contains("macs"));
    }
  }
  CHECK_FALSE(j["totals"]["cached"].contains("ms"));
  // The real run's row 1 reads "1,4,4,1,6,<macs>,...,<ms>,<ms>,..."; the shape-only one keeps the columns empty.
  const std::string csv = trace::comparison_csv(meta);
  CHECK(csv.find("\n1,,,1,6," + std::to_string(meta.tokens[1].cached.macs) + ",") != std::string::npos);
  const std::string kv = std::to_string(meta.tokens[1].cached.kv_cache_bytes);
  CHECK(csv.find("," + kv + ",,,") != std::string::npos);
}
