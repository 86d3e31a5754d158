// export and compare through the built binary: what a user types, what lands in files, how errors read.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "plain_mermaid.h"
#include "tests/cli/run_cli.h"
#include "tests/support/files.h"
#include "tests/support/mermaid_reader.h"
#include "tests/support/temp_dir.h"
#include "trace/document_json.h"
#include "trace/export_dot.h"
#include "trace/text_format.h"

using namespace kvscope;

namespace {

int count_lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

TEST_CASE("export --from a JSON trace draws what the run itself draws") {
  test::TempDir dir("export");
  const std::string run = "--model seed-tiny --ids 12,81,92,52,65 --steps 2";
  REQUIRE(run_cli("trace " + run + " --both --format json -o " + dir.file("t.json")).exit_code == 0);
  for (const std::string flags :
       {"--mode cached --labels zh", "--mode both --unfold", "--mode uncached --step 1", "--format dot --mode both"}) {
    INFO(flags);
    REQUIRE(run_cli("export " + run + " " + flags + " -o " + dir.file("direct")).exit_code == 0);
    REQUIRE(run_cli("export --from " + dir.file("t.json") + " " + flags + " -o " + dir.file("from")).exit_code == 0);
    const std::string direct = test::read_file(dir.file("direct"));
    CHECK(count_lines(direct) > 40);
    CHECK(test::read_file(dir.file("from")) == direct);
  }
  // JSON out of export is the trace document, and reads back to the same document.
  REQUIRE(run_cli("export --from " + dir.file("t.json") + " --format json --mode both -o " + dir.file("again.json"))
              .exit_code == 0);
  const auto original = nlohmann::json::parse(test::read_file(dir.file("t.json")));
  const auto again = nlohmann::json::parse(test::read_file(dir.file("again.json")));
  CHECK(again == original);
  CHECK(again["schema_version"] == trace::Document::kSchemaVersion);
}

TEST_CASE("an unfolded export beyond Mermaid's limits warns and names --fold; folded exports do not") {
  test::TempDir dir("export");
  const auto unfolded = run_cli("export --model openllama-3b --meta --prompt-len 7 --steps 1 --unfold -o " +
                                dir.file("u.mmd"));
  CHECK(unfolded.exit_code == 0);
  CHECK(unfolded.out.find("beyond Mermaid's default limits") != std::string::npos);
  CHECK(unfolded.out.find("--fold") != std::string::npos);
  CHECK(unfolded.out.find("--format svg, png or dot draws it whole") != std::string::npos);
  const auto folded = run_cli("export --model openllama-3b --meta --prompt-len 7 --steps 1 --mode both -o " +
                              dir.file("f.mmd"));
  CHECK(folded.exit_code == 0);
  CHECK(folded.out.empty());
}

TEST_CASE("export and compare errors name the flag or file, on one line, with a non-zero exit") {
  test::TempDir dir("export");
  const std::vector<std::pair<std::string, std::string>> cases{
      {"export --from " + dir.file("missing.json"), "--from " + dir.file("missing.json") + ": cannot open the file"},
      {"export --from " + dir.file("missing.json") + " --model seed-tiny", "--model describes a new run"},
      {"export --format json --labels zh", "--labels applies to --format mermaid and dot; --format json holds"},
      {"export --layer 2", "--layer: the cached run: layer 2 is not in the run (it has layers 0-1)"},
      {"export --steps 2 --step 5", "--step: the cached run: step 5 is not in the run (it has steps 0-2)"},
      {"export --format gif", "--format"},
      {"export --format dot --seed-loop", "--seed-loop applies to --format mermaid"},
      {"export --format svg --seed-loop", "--seed-loop applies to --format mermaid"},
      {"export --format json --seed-loop", "--seed-loop applies to --format mermaid; --format json"},
      {"export --format svg -o " + dir.file("no/such/dir/g.svg"), dir.file("no/such/dir/g.svg")},
      {"compare --from " + dir.file("missing.json"), "--from"},
  };
  for (const auto& [args, message] : cases) {
    INFO(args);
    const CliResult r = run_cli(args);
    CHECK(r.exit_code != 0);
    CHECK(r.out.find(message) != std::string::npos);
    CHECK(count_lines(r.out) <= 2);
  }
}

TEST_CASE("compare counts multiply-accumulates that match the model's arithmetic") {
  test::TempDir dir("export");
  const CliResult r = run_cli("compare --model seed-tiny --ids 12,81,92,52,65 --steps 4 --format json -o " +
                              dir.file("c.json"));
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(test::read_file(dir.file("c.json")));
  CHECK(j["tokens_agree"] == true);
  REQUIRE(j["tokens"].size() == 4);
  // seed-tiny: hidden 256, intermediate 512, 2 layers, 4 heads of 64, vocab 100. A pass over t new tokens
  // attending to s positions: q, k, v, o (256x256 each), gate, up, down (256x512 each), scores and weights.v
  // (4 heads x t x s x 64 each), per layer; the lm_head over the rows it computes.
  auto pass = [](int64_t t, int64_t s, int64_t logit_rows) {
    return 2 * (t * (4 * 256 * 256 + 3 * 256 * 512) + 2 * 4 * t * s * 64) + logit_rows * 256 * 100;
  };
  CHECK(j["tokens"][0]["cached"]["macs"] == pass(4, 4, 0) + pass(1, 5, 1));
  for (int k = 0; k < 4; ++k) {
    INFO("token " << k);
    const int64_t s = 5 + k;
    CHECK(j["tokens"][k]["uncached"]["macs"] == pass(s, s, s));
    if (k > 0) CHECK(j["tokens"][k]["cached"]["macs"] == pass(1, s, 1));
    CHECK(j["tokens"][k]["cached"]["kv_cache_bytes"] == 2 * 2 * 4 * (s)*64 * 4);
    CHECK(j["tokens"][k]["cached"]["tokens"] == j["tokens"][k]["uncached"]["tokens"]);
  }

  const CliResult table = run_cli("compare --model seed-tiny --ids 12,81,92,52,65 --steps 4");
  REQUIRE(table.exit_code == 0);
  CHECK(table.out.find("query_states 4x1x64 vs 4x8x64") != std::string::npos);
  CHECK(table.out.find("tokens: the two modes agree on every token") != std::string::npos);
  const CliResult csv = run_cli("compare --model seed-tiny --ids 12,81,92,52,65 --steps 4 --csv");
  REQUIRE(csv.exit_code == 0);
  CHECK(count_lines(csv.out) == 5);
  CHECK(csv.out.rfind("token,cached_token,uncached_token,", 0) == 0);
}

TEST_CASE("the committed seed-tiny example is what the binary draws now") {
  const std::string command = std::string(KVSCOPE_SOURCE_DIR) + "/scripts/update-examples --check " + KVSCOPE_CLI;
  const int status = std::system(command.c_str());
  CHECK(WEXITSTATUS(status) == 0);
  const std::string doc = test::read_file(std::string(KVSCOPE_SOURCE_DIR) + "/docs/seed-tiny-graph.md");
  const auto graph = test::read_mermaid(test::plain_mermaid(test::mermaid_block(doc)));
  CHECK(graph.unread.empty());
  CHECK(graph.nodes.at("query_states").shape == "4, 1, 64");
  CHECK(graph.nodes.at("pos_key_states").shape == "4, 5, 64");
}

TEST_CASE("both modes side by side draw the uncached passes of the cached side's tokens") {
  test::TempDir dir("export");
  auto subgraphs = [&](const std::string& flags) {
    const CliResult r = run_cli("export --model seed-tiny --mode both --steps 3 " + flags + " -o " + dir.file("g.mmd"));
    REQUIRE(r.exit_code == 0);
    std::vector<std::string> titles =
        test::read_mermaid(test::plain_mermaid(test::read_file(dir.file("g.mmd")))).subgraphs;
    REQUIRE(!titles.empty());
    CHECK((titles.back() == "legend" || titles.back() == "图例"));
    titles.pop_back();
    return titles;
  };
  using Titles = std::vector<std::string>;
  CHECK(subgraphs("") == Titles{"cached: the KV cache keeps past keys and values", "prefill with the first 4 tokens",
                                "use token 5 to predict token 6", "uncached: the whole sequence runs again",
                                "use all 5 tokens to predict token 6"});
  CHECK(subgraphs("--prefill all") ==
        Titles{"cached: the KV cache keeps past keys and values", "prefill with the first 5 tokens, predict token 6",
               "use token 6 to predict token 7", "uncached: the whole sequence runs again",
               "use all 5 tokens to predict token 6", "use all 6 tokens to predict token 7"});
  CHECK(subgraphs("--step 3 --labels zh") == Titles{"使用 KV cache", "用第7个 token predict 第8个 token",
                                                    "不使用 KV cache, 每步重算全部 token",
                                                    "用全部7个token predict 第8个 token"});
}

TEST_CASE("a hostile prompt text reads back unchanged from the Mermaid, DOT and JSON exports") {
  test::TempDir dir("export");
  const std::string prompt = "He said \"a#b\" <c> | `d` & e\\f\nend";
  const std::string label = "\u201c" + trace::visible_text(prompt) + "\u201d";  // “He said ... e\f↵end”
  // The shell sees the prompt in single quotes; it holds none.
  const std::string run = "--prompt '" + prompt + "' --new-tokens 1 ";
  REQUIRE(run_cli("export " + run + "--format mermaid -o " + dir.file("g.mmd")).exit_code == 0);
  const test::MermaidGraph g = test::read_mermaid(test::plain_mermaid(test::read_file(dir.file("g.mmd"))));
  CHECK(g.unread.empty());
  REQUIRE(g.nodes.count("input_string") == 1);
  CHECK(g.nodes.at("input_string").text == label);
  CHECK(g.edges.front().from == "input_string");
  REQUIRE(run_cli("export " + run + "--format dot -o " + dir.file("g.dot")).exit_code == 0);
  const std::string dot = test::read_file(dir.file("g.dot"));
  CHECK(dot.find(trace::dot_quote("input_string\n" + label)) != std::string::npos);
  REQUIRE(run_cli("trace " + run + "--format json -o " + dir.file("t.json")).exit_code == 0);
  const trace::Document doc = trace::document_from_json(nlohmann::json::parse(test::read_file(dir.file("t.json"))));
  CHECK(doc.schema_version == trace::Document::kSchemaVersion);
  const trace::Event& text = doc.runs.at(0).events.at(0);
  CHECK(text.name == "input_string");
  CHECK(text.text == prompt);
  const trace::Event& ids = doc.runs.at(0).events.at(1);
  REQUIRE(ids.pieces.size() == prompt.size() + 1);
  CHECK(ids.pieces[1] == "H");
}

TEST_CASE("export --format svg and png draw the DOT export with the linked Graphviz") {
  test::TempDir dir("export");
  const std::string run = "export --model seed-tiny --meta --prompt-len 5 --steps 2 --labels zh ";
  REQUIRE(run_cli(run + "--format svg -o " + dir.file("g.svg")).exit_code == 0);
  const std::string svg = test::read_file(dir.file("g.svg"));
  CHECK(svg.find("<svg") != std::string::npos);
  CHECK(svg.find("class=\"cluster\"") != std::string::npos);
  CHECK(svg.find("图例") != std::string::npos);                    // the legend
  CHECK(svg.find("运算: linear") != std::string::npos);            // the op on the label
  CHECK(svg.find("softmax(QKᵀ/√d + mask)") != std::string::npos);  // attn_weights' tooltip
  REQUIRE(run_cli(run + "--format png -o " + dir.file("g.png")).exit_code == 0);
  const std::string png = test::read_file(dir.file("g.png"));
  CHECK(png.rfind("\x89PNG\r\n\x1a\n", 0) == 0);
  CHECK(png.size() > 10000);
}

TEST_CASE("export --seed-loop draws seed 000's loop edge; the default draws a marker") {
  test::TempDir dir("export");
  const std::string run = "export --model seed-tiny --meta --prompt-len 5 --steps 2 ";
  REQUIRE(run_cli(run + "--seed-loop -o " + dir.file("seed.mmd")).exit_code == 0);
  REQUIRE(run_cli(run + "-o " + dir.file("default.mmd")).exit_code == 0);
  const std::string seed = test::read_file(dir.file("seed.mmd"));
  const std::string marker = test::read_file(dir.file("default.mmd"));
  CHECK(seed.find("prefill_layer_output -->|\"repeat 2x\"| prefill_input_embeds") != std::string::npos);
  CHECK(marker.find("prefill_layer_output -->|") == std::string::npos);
  CHECK(marker.find("prefill_layer_output --> prefill_layer_output_loop") != std::string::npos);
}

TEST_CASE("compare --meta prints no token ids, times, agreement or speed-up in any format") {
  const std::string run = "compare --model seed-tiny --meta --prompt-len 5 --steps 2 ";
  const CliResult json = run_cli(run + "--format json");
  REQUIRE(json.exit_code == 0);
  const auto j = nlohmann::json::parse(json.out);
  CHECK(j["shapes_only"] == true);
  CHECK_FALSE(j.contains("speedup"));
  CHECK_FALSE(j.contains("tokens_agree"));
  CHECK_FALSE(j["tokens"][0]["cached"].contains("tokens"));
  CHECK_FALSE(j["tokens"][0]["cached"].contains("ms"));
  const CliResult csv = run_cli(run + "--csv");
  REQUIRE(csv.exit_code == 0);
  CHECK(csv.out.find("\n0,,,") != std::string::npos);
}
