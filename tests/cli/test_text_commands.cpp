// `kvscope tokenize` and `kvscope eval` on the shipped kjv-char model: ids checked against its committed
// tokenizer.json, the held-out loss against the training script's own figure in reference.json.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/cli/run_cli.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

namespace {

nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(kvscope::test::read_file(path)); }

// What a character-level tokenizer gives: each character's id in tokenizer.json's vocabulary.
std::vector<int> vocabulary_ids(const std::string& text) {
  const nlohmann::json vocab = read_json(kModelDir + "/tokenizer.json").at("model").at("vocab");
  std::vector<int> ids;
  for (char c : text) ids.push_back(vocab.at(std::string(1, c)).get<int>());
  return ids;
}

std::vector<std::string> characters(const std::string& text) {
  std::vector<std::string> out;
  for (char c : text) out.emplace_back(1, c);
  return out;
}

// A failure is one line on the terminal.
bool one_line(const std::string& out) { return std::count(out.begin(), out.end(), '\n') == 1; }

}  // namespace

TEST_CASE("the shipped vocabulary is BOS 1, newline 4, then printable ASCII from id 5", "[cli][tokenize]") {
  // The script's layout, so the ids below are not read back from the file the command reads.
  CHECK(vocabulary_ids("A\n ~") == std::vector<int>{5 + (0x41 - 0x20), 4, 5, 5 + (0x7E - 0x20)});
  CHECK(vocabulary_ids("A")[0] == 38);
}

TEST_CASE("tokenize gives BOS, then one id per character of the vocabulary", "[cli][tokenize]") {
  const std::string text = "And God said, Let there be light";
  const CliResult r = run_cli("tokenize --text '" + text + "' --format json");
  REQUIRE(r.exit_code == 0);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  std::vector<int> expected{1};
  for (int id : vocabulary_ids(text)) expected.push_back(id);
  CHECK(j.at("ids").get<std::vector<int>>() == expected);
  std::vector<std::string> pieces{"<s>"};
  for (const std::string& c : characters(text)) pieces.push_back(c);
  CHECK(j.at("pieces").get<std::vector<std::string>>() == pieces);
  CHECK(j.at("text") == text);
  CHECK(j.at("tokenizer") == "hf-bpe");  // a character-level BPE: no merges
}

TEST_CASE("tokenize --no-bos leaves BOS out", "[cli][tokenize]") {
  const CliResult r = run_cli("tokenize --text 'In the beginning' --no-bos --format json");
  REQUIRE(r.exit_code == 0);
  CHECK(nlohmann::json::parse(r.out).at("ids").get<std::vector<int>>() == vocabulary_ids("In the beginning"));
}

TEST_CASE("tokenize prints a table with whitespace made visible, the ids and the counts", "[cli][tokenize]") {
  const CliResult r = run_cli("tokenize --text \"$(printf 'Be light\\nA')\"");
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("BOS added"));
  CHECK_THAT(r.out, Catch::Contains("    0   1  <s>\n"));
  CHECK_THAT(r.out, Catch::Contains("    3   5  ␣\n"));
  CHECK_THAT(r.out, Catch::Contains("    9   4  ↵\n"));
  CHECK_THAT(r.out, Catch::Contains("   10  38  A\n"));
  CHECK_THAT(r.out, Catch::Contains("ids [1, 39, 74, 5, 81, 78, 76, 77, 89, 4, 38]"));
  CHECK_THAT(r.out, Catch::Contains("11 tokens for 10 characters"));
}

TEST_CASE("tokenize --decode turns the ids back into the text, with their pieces", "[cli][tokenize]") {
  const std::string text = "Let there be light: and there was light.";
  const CliResult encoded = run_cli("tokenize --text '" + text + "' --format json");
  REQUIRE(encoded.exit_code == 0);
  std::string ids;
  for (int id : nlohmann::json::parse(encoded.out).at("ids").get<std::vector<int>>())
    ids += (ids.empty() ? "" : ",") + std::to_string(id);
  const CliResult decoded = run_cli("tokenize --decode " + ids + " --format json");
  REQUIRE(decoded.exit_code == 0);
  const nlohmann::json j = nlohmann::json::parse(decoded.out);
  CHECK(j.at("text") == text);  // BOS is left out of the text
  CHECK(j.at("pieces") == nlohmann::json::parse(encoded.out).at("pieces"));
  CHECK_THAT(run_cli("tokenize --decode 1,38,83,73").out, Catch::Contains("text \"And\""));
}

TEST_CASE("tokenize -o writes the report to a file", "[cli][tokenize]") {
  kvscope::test::TempDir dir("tokenize");
  const CliResult r = run_cli("tokenize --text 'God' --format json -o '" + dir.file("ids.json") + "'");
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.empty());
  CHECK(read_json(dir.file("ids.json")).at("ids").size() == 4);
}

TEST_CASE("tokenize refuses, in one line, what it cannot do", "[cli][tokenize]") {
  const CliResult no_tokenizer = run_cli("tokenize --model seed-tiny --text 'And'");
  CHECK(no_tokenizer.exit_code != 0);
  CHECK_THAT(no_tokenizer.out, Catch::Contains("seed-tiny") && Catch::Contains("--tokenizer"));
  CHECK(one_line(no_tokenizer.out));

  const CliResult bad_id = run_cli("tokenize --decode 1,38,100");
  CHECK(bad_id.exit_code != 0);
  CHECK_THAT(bad_id.out, Catch::Contains("--decode") && Catch::Contains("100"));
  CHECK(one_line(bad_id.out));

  const CliResult not_ids = run_cli("tokenize --decode 1,x");
  CHECK(not_ids.exit_code != 0);
  CHECK_THAT(not_ids.out, Catch::Contains("--decode") && Catch::Contains("'x'"));

  const CliResult both = run_cli("tokenize --text 'And' --decode 1,38");
  CHECK(both.exit_code != 0);
  CHECK_THAT(both.out, Catch::Contains("--text") && Catch::Contains("--decode"));
  CHECK(one_line(both.out));

  const CliResult neither = run_cli("tokenize");
  CHECK(neither.exit_code != 0);
  CHECK_THAT(neither.out, Catch::Contains("--text") && Catch::Contains("--decode"));
  CHECK(one_line(neither.out));
}

TEST_CASE("eval reproduces the training script's held-out loss of kjv-char", "[cli][eval]") {
  const nlohmann::json heldout = read_json(kModelDir + "/reference.json").at("heldout");
  const CliResult r = run_cli("eval --text '" + kModelDir + "/" + heldout.at("file").get<std::string>() +
                              "' --format json");
  REQUIRE(r.exit_code == 0);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  CHECK(j.at("context") == heldout.at("context"));
  CHECK(j.at("predicted") == heldout.at("characters"));
  CHECK(j.at("bos") == true);
  CHECK(j.at("loss").get<double>() == Approx(heldout.at("loss").get<double>()).margin(1e-3));
  CHECK(j.at("perplexity").get<double>() == Approx(std::exp(j.at("loss").get<double>())));
}

TEST_CASE("eval prints the loss, bits per token and perplexity for people", "[cli][eval]") {
  const CliResult r = run_cli("eval --text '" + kModelDir + "/heldout.txt' --context 64");
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("model       kjv-char"));
  CHECK_THAT(r.out, Catch::Contains("nats/token") && Catch::Contains("bits/token") && Catch::Contains("perplexity"));
  CHECK_THAT(r.out, Catch::Contains("BOS + up to 63 ids each, context 64"));
}

TEST_CASE("eval refuses a missing, empty or non-UTF-8 file in one line naming it", "[cli][eval]") {
  kvscope::test::TempDir dir("eval");
  std::ofstream(dir / "empty.txt").flush();
  std::ofstream(dir / "binary.txt", std::ios::binary) << "In the \xff\xfe beginning";
  for (const std::string name : {"missing.txt", "empty.txt", "binary.txt"}) {
    const CliResult r = run_cli("eval --text '" + dir.file(name) + "'");
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.out, Catch::Contains("--text " + dir.file(name)));
    CHECK(one_line(r.out));
  }
  const CliResult context = run_cli("eval --text '" + kModelDir + "/heldout.txt' --context 1000");
  CHECK(context.exit_code != 0);
  CHECK_THAT(context.out, Catch::Contains("--context 1000"));
  const CliResult no_tokenizer = run_cli("eval --model seed-tiny --text '" + kModelDir + "/heldout.txt'");
  CHECK(no_tokenizer.exit_code != 0);
  CHECK_THAT(no_tokenizer.out, Catch::Contains("--tokenizer"));
}
