// Seed 000: openllama-3b, 7 tokens from a text, the first 6 prefilled, the 7th predicting the 8th. Every node
// of the seed's graph exists with exactly its shape, and every edge of the seed is a path in the trace.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <deque>
#include <set>

#include "core/model_source.h"
#include "tests/core/test_helpers.h"
#include "tests/support/seed_notes.h"
#include "tokenizer/tokenizer.h"

using namespace kvscope;

namespace {

// The seed's 7 tokens come from text: any tokenizer whose ids fit the vocabulary drives a shape-only run, and
// kjv-char's reads "In the" as <s> and six characters.
Recorded seed_scenario() {
  const auto tok = tokenizer::load_tokenizer(core::assets_dir() / "models" / "kjv-char");
  const std::string text = "In the";
  const std::vector<int> ids = tok->encode(text);
  REQUIRE(ids.size() == 7);
  core::LlamaModel model(core::preset_config("openllama-3b"), std::nullopt);
  core::GenerationOptions options{core::CacheMode::Cached, core::PrefillScheme::AllButLast, 1};
  options.prompt_text = text;
  return record(model, {std::vector<int32_t>(ids.begin(), ids.end())}, options);
}

bool reaches(const trace::Run& run, const std::string& from, const std::string& to) {
  std::vector<std::vector<int>> consumers(run.events.size());
  for (const auto& e : run.events)
    for (int i : e.inputs) consumers[static_cast<size_t>(i)].push_back(e.id);
  std::vector<bool> seen(run.events.size(), false);
  std::deque<int> queue;
  for (const auto& e : run.events)
    if (e.name == from) queue.push_back(e.id), seen[static_cast<size_t>(e.id)] = true;
  while (!queue.empty()) {
    const int id = queue.front();
    queue.pop_front();
    for (int c : consumers[static_cast<size_t>(id)]) {
      if (run.events[static_cast<size_t>(c)].name == to) return true;
      if (!seen[static_cast<size_t>(c)]) seen[static_cast<size_t>(c)] = true, queue.push_back(c);
    }
  }
  return false;
}

}  // namespace

TEST_CASE("seed 000: every node with the seed's exact shape", "[seed000]") {
  const test::MermaidGraph seed = test::seed_000_graph();  // throws if the reader missed a node or an edge
  REQUIRE(seed.nodes.size() == 42);
  const Recorded r = seed_scenario();
  for (const auto& [name, node] : seed.nodes) {
    INFO(name);
    int found = 0;
    for (const auto& e : r.run.events) {
      if (e.name != name) continue;
      ++found;
      CHECK(e.shape == test::seed_shape(node));
    }
    CHECK(found > 0);
  }
}

TEST_CASE("seed 000: every edge is a path in the trace's dependency graph", "[seed000]") {
  const test::MermaidGraph seed = test::seed_000_graph();
  REQUIRE(seed.edges.size() == 57);
  const Recorded r = seed_scenario();
  for (const auto& edge : seed.edges) {
    INFO(edge.from << " --> " << edge.to);
    CHECK(reaches(r.run, edge.from, edge.to));
  }
  // The text is the run's first event, and the prompt's ids are tokenized from it.
  const trace::Event& text = r.run.events.front();
  CHECK(text.name == "input_string");
  CHECK(text.text == "In the");
  CHECK(text.shape.empty());
  CHECK(r.run.events[1].name == "input_ids");
  CHECK(r.run.events[1].op == trace::Op::Tokenize);
  CHECK(r.run.events[1].inputs == std::vector<int>{0});
}

TEST_CASE("seed 000: the zh labels are the seed's own words", "[seed000]") {
  const test::MermaidGraph seed = test::seed_000_graph();
  const Recorded r = seed_scenario();
  // The seed lists some decode labels out of the shape's order (its README says so); those must
  // still be the same words, and nothing else may differ.
  std::set<std::string> reordered;
  for (const auto& [name, node] : seed.nodes) {
    const std::vector<std::string> labels = test::seed_axis_words(node);
    for (const auto& e : r.run.events) {
      if (e.name != name) continue;
      INFO(name);
      if (e.dims_zh == labels) continue;
      std::vector<std::string> a(e.dims_zh.begin(), e.dims_zh.end()), b = labels;
      std::sort(a.begin(), a.end());
      std::sort(b.begin(), b.end());
      CHECK(a == b);
      reordered.insert(name);
    }
  }
  CHECK(reordered == std::set<std::string>{"query_states", "more_key_states", "more_value_states", "pos_query_states",
                                           "pos_more_key_states", "pos_key_states", "value_states"});
}

TEST_CASE("seed 000 in meta mode: names and order of one layer, and the cache history edges", "[seed000]") {
  const Recorded r = seed_scenario();
  REQUIRE(r.results.size() == 2);
  CHECK(r.results[0].record.cache_len == 0);
  CHECK(r.results[1].record.cache_len == 6);
  CHECK(r.results[1].key_cache_shape == std::vector<int64_t>{1, 32, 7, 100});
  // 26 layers of prefill and 26 of decode, every layer with the same node set.
  int prefill_layers = 0, decode_layers = 0;
  for (const auto& e : r.run.events) {
    if (e.name == "prefill_layer_output") ++prefill_layers;
    if (e.name == "layer_output") ++decode_layers;
  }
  CHECK(prefill_layers == 26);
  CHECK(decode_layers == 26);
  // pos_key_states of layer 5 reads exactly that layer's prefill keys and the new key.
  int found = 0;
  for (const auto& e : r.run.events) {
    if (e.name != "pos_key_states" || e.layer != 5) continue;
    ++found;
    REQUIRE(e.inputs.size() == 2);
    const auto& history = r.run.events[static_cast<size_t>(e.inputs[0])];
    CHECK(history.name == "prefill_pos_key_states");
    CHECK(history.layer == 5);
    CHECK(r.run.events[static_cast<size_t>(e.inputs[1])].name == "pos_more_key_states");
  }
  REQUIRE(found == 1);
}
