#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "app/common/recording.h"
#include "core/config.h"
#include "core/model.h"
#include "tests/support/files.h"
#include "trace/document_json.h"
#include "trace/tensor_names.h"

using namespace kvscope;
using trace::Phase;
using trace::Role;

namespace {

// The README's table of trace names: one row per key, its name in each phase, the shape and the ops.
struct ReadmeRow {
  std::string key;
  std::array<std::string, 3> names;  // "" for —
  std::string ops;
};

std::string unquote(std::string cell) {
  const auto first = cell.find_first_not_of(' '), last = cell.find_last_not_of(' ');
  cell = first == std::string::npos ? "" : cell.substr(first, last - first + 1);
  if (cell == "—") return "";
  if (cell.size() >= 2 && cell.front() == '`' && cell.back() == '`') return cell.substr(1, cell.size() - 2);
  return cell;
}

std::vector<ReadmeRow> readme_rows() {
  std::istringstream in(test::read_file(std::string(KVSCOPE_SOURCE_DIR) + "/README.md"));
  std::vector<ReadmeRow> rows;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| key | cached prefill", 0) == 0) {
      inside = true;
      continue;
    }
    if (!inside || line.rfind("|---", 0) == 0) continue;
    if (line.empty() || line[0] != '|') break;
    std::vector<std::string> cells;
    std::stringstream cols(line.substr(1));
    for (std::string cell; std::getline(cols, cell, '|');) cells.push_back(unquote(cell));
    REQUIRE(cells.size() == 6);
    rows.push_back({cells[0], {cells[1], cells[2], cells[3]}, cells[5]});
  }
  return rows;
}

// Every kind of pass: both cached schemes, uncached, and GQA (repeat_kv), in meta mode; from text and from ids.
std::vector<trace::Run> every_kind_of_run() {
  core::LlamaConfig c = core::preset_config("tinyllama-1.1b");
  c.num_hidden_layers = 2;
  core::LlamaModel model(c, std::nullopt);
  std::vector<trace::Run> runs;
  for (auto [mode, prefill] : {std::pair{trace::CacheMode::Cached, trace::PrefillScheme::AllButLast},
                               std::pair{trace::CacheMode::Cached, trace::PrefillScheme::All},
                               std::pair{trace::CacheMode::Uncached, trace::PrefillScheme::AllButLast}}) {
    for (bool text : {false, true}) {
      core::GenerationOptions options{mode, prefill, 3};
      if (text) options.prompt_text = "the text of ids 1 to 5";
      app::RecordedGeneration gen(model, {{1, 2, 3, 4, 5}}, options, {});
      gen.run_to_end();
      runs.push_back(gen.take_run());
    }
  }
  return runs;
}

}  // namespace

TEST_CASE("the naming table: keys unique, names unique within a phase, classify inverts it") {
  std::set<std::string_view> keys;
  for (int p = 0; p < 3; ++p) {
    const auto phase = static_cast<Phase>(p);
    std::set<std::string_view> names;
    for (const trace::TensorName& row : trace::tensor_names()) {
      if (p == 0) CHECK(keys.insert(row.key).second);
      const std::string_view name = row.names[static_cast<size_t>(p)];
      if (name.empty()) continue;
      INFO(row.key << " in " << trace::phase_name(phase));
      CHECK(names.insert(name).second);
      const auto back = trace::classify(phase, name);
      REQUIRE(back);
      CHECK(back->key == row.key);
      CHECK(back->role == row.roles[static_cast<size_t>(p)]);
      CHECK(trace::name_in(row.tensor, phase) == name);
    }
  }
  CHECK(keys.size() == trace::tensor_names().size());
  CHECK_FALSE(trace::classify(Phase::Decode, "no_such_tensor"));
  CHECK_THROWS_WITH(trace::name_in(trace::Tensor::causal_mask, Phase::Decode),
                    "causal_mask has no name in the decode phase");
}

TEST_CASE("the README's table of trace names is the naming table, and its ops are the ones emitted") {
  const std::vector<ReadmeRow> rows = readme_rows();
  REQUIRE(rows.size() == trace::tensor_names().size());
  std::map<std::string, std::string> ops_of_key;
  for (size_t i = 0; i < rows.size(); ++i) {
    const trace::TensorName& row = trace::tensor_names()[i];
    INFO("README row " << i << ": " << rows[i].key);
    CHECK(rows[i].key == row.key);
    for (size_t p = 0; p < 3; ++p) CHECK(rows[i].names[p] == row.names[p]);
    ops_of_key[rows[i].key] = rows[i].ops;
  }
  int checked = 0;
  for (const trace::Run& run : every_kind_of_run())
    for (const trace::Event& e : run.events) {
      INFO(e.name << " (" << e.key << ")");
      REQUIRE(ops_of_key.count(std::string(e.key)) == 1);
      CHECK(ops_of_key[std::string(e.key)].find(trace::op_name(e.op)) != std::string::npos);
      ++checked;
    }
  CHECK(checked > 100);
}

TEST_CASE("every event carries its table key and its role in the phase it ran in") {
  std::map<Role, int> roles;
  for (const trace::Run& run : every_kind_of_run())
    for (const trace::Event& e : run.events) {
      const auto known = trace::classify(e.phase, e.name);
      INFO(e.name << " in " << trace::phase_name(e.phase));
      REQUIRE(known);
      CHECK(e.key == known->key);
      CHECK(e.role == known->role);
      ++roles[e.role];
    }
  // Cached runs hold cache history in every layer and append to it in decode steps; each pass ends in logits.
  CHECK(roles[Role::CacheHistory] > 0);
  CHECK(roles[Role::CacheAppend] > 0);
  CHECK(roles[Role::Logits] > 0);
  CHECK(roles[Role::NextTokens] == roles[Role::Logits]);
  CHECK(roles[Role::Input] > 0);
  CHECK(roles[Role::Text] == 3);  // input_string, once per run from text
}

TEST_CASE("a schema_version 1 trace is read with key and role derived from the names") {
  std::vector<trace::Run> runs = every_kind_of_run();
  trace::Document doc;
  doc.runs = runs;
  nlohmann::json j = trace::document_to_json(doc);
  j["schema_version"] = 1;
  for (auto& run : j["runs"])
    for (auto& e : run["events"]) {
      e.erase("key");
      e.erase("role");
    }
  const trace::Document back = trace::document_from_json(j);
  CHECK(back.schema_version == trace::Document::kSchemaVersion);
  REQUIRE(back.runs.size() == runs.size());
  for (size_t r = 0; r < runs.size(); ++r) {
    REQUIRE(back.runs[r].events.size() == runs[r].events.size());
    for (size_t i = 0; i < runs[r].events.size(); ++i) {
      CHECK(back.runs[r].events[i].key == runs[r].events[i].key);
      CHECK(back.runs[r].events[i].role == runs[r].events[i].role);
    }
  }
  // Version 2 requires the fields it added.
  j["schema_version"] = 2;
  CHECK_THROWS_WITH(trace::document_from_json(j), Catch::Contains("missing field 'key'"));
  j["schema_version"] = trace::Document::kSchemaVersion + 1;
  CHECK_THROWS_WITH(
      trace::document_from_json(j),
      Catch::Contains("schema_version " + std::to_string(trace::Document::kSchemaVersion + 1) + " is not supported"));
}

TEST_CASE("every key has its own one-line formula, and an unknown key has none") {
  std::set<std::string_view> seen;
  for (const trace::TensorName& row : trace::tensor_names()) {
    INFO(row.key);
    const std::string_view f = trace::formula_of(row.key);
    CHECK_FALSE(f.empty());
    CHECK(f.find('\n') == std::string_view::npos);  // a tooltip line
    CHECK(f == trace::formula(row.tensor));
    // Two keys sharing a formula would mean a row was pasted and not rewritten.
    CHECK(seen.insert(f).second);
  }
  CHECK(trace::formula_of("attn_weights") == "softmax(QKᵀ/√d + mask)");
  CHECK(trace::formula_of("activated") == "silu(gate) ⊙ up");
  CHECK(trace::formula_of("next_tokens").starts_with("argmax(logits"));
  // Seed names are not keys: the decode step's `more_key_states` is key_states.
  CHECK(trace::formula_of("more_key_states").empty());
  CHECK(trace::formula_of("").empty());
}
