// Every bad input gets one clear line naming the flag or file, a non-zero exit, and no output file.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "app/common/token_ids.h"
#include "tests/cli/run_cli.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

namespace fs = std::filesystem;

namespace {
void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }
}  // namespace

TEST_CASE("unknown preset names the argument and lists the presets", "[cli]") {
  const CliResult r = run_cli("generate --model no-such-model");
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.out, Catch::Contains("no-such-model") && Catch::Contains("seed-tiny"));
}

TEST_CASE("a token id outside the vocabulary is refused", "[cli]") {
  const CliResult r = run_cli("generate --ids 1,2,100");
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.out, Catch::Contains("--ids") && Catch::Contains("100") && Catch::Contains("[0, 100)"));
}

TEST_CASE("a malformed prompt names the bad item", "[cli]") {
  const CliResult r = run_cli("generate --ids 1,x,3");
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.out, Catch::Contains("'x'"));
  CHECK(run_cli("generate --ids 1,,3").exit_code != 0);
  CHECK(run_cli("generate --ids=-4").exit_code != 0);
}

TEST_CASE("a negative token id is refused as it is parsed, in the app's words", "[cli]") {
  std::string words;
  try {
    kvscope::app::parse_token_ids("12,-5");
  } catch (const std::invalid_argument& e) {
    words = e.what();
  }
  REQUIRE_THAT(words, Catch::Contains("'-5' is not a token id"));
  const CliResult r = run_cli("generate --ids=12,-5");
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.out, Catch::Contains("--ids: " + words));
}

TEST_CASE("the tokens to generate are set by --new-tokens, by -n, and by its old name --steps", "[cli]") {
  for (const std::string flag : {"--new-tokens 2", "-n 2", "--steps 2"}) {
    const CliResult r = run_cli("generate " + flag);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("2 new tokens") && Catch::Contains("step 2 ("));
    CHECK_THAT(r.out, !Catch::Contains("step 3 ("));
  }
}

TEST_CASE("a prompt longer than max_position_embeddings is refused", "[cli]") {
  const CliResult r = run_cli("generate --model stories15m --meta --prompt-len 250 --steps 10");
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.out, Catch::Contains("max_position_embeddings 256"));
}

TEST_CASE("bad flag values exit non-zero", "[cli]") {
  CHECK(run_cli("generate --new-tokens 0").exit_code != 0);
  CHECK(run_cli("generate --batch -1").exit_code != 0);
  CHECK(run_cli("generate --prefill sideways").exit_code != 0);
  CHECK(run_cli("trace --format yaml").exit_code != 0);
  CHECK(run_cli("generate --no-such-flag").exit_code != 0);
  const CliResult r = run_cli("generate --batch 3 --ids '1,2;3,4'");
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.out, Catch::Contains("--batch is 3"));
}

TEST_CASE("model directory errors name the file and field", "[cli]") {
  const kvscope::test::TempDir tmp("cli-config");
  const fs::path& dir = tmp.path;
  SECTION("missing config.json") {
    const CliResult r = run_cli("generate --model " + dir.string());
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.out, Catch::Contains("config.json"));
  }
  SECTION("malformed JSON") {
    write(dir / "config.json", "{\"vocab_size\": 10,");
    const CliResult r = run_cli("generate --model " + dir.string());
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.out, Catch::Contains("config.json") && Catch::Contains("not valid JSON"));
  }
  SECTION("heads not dividing hidden") {
    write(dir / "config.json",
          R"({"vocab_size": 10, "hidden_size": 30, "intermediate_size": 8, "num_hidden_layers": 1,
              "num_attention_heads": 4})");
    const CliResult r = run_cli("generate --model " + dir.string());
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.out, Catch::Contains("config.json") && Catch::Contains("not divisible by num_attention_heads"));
  }
  SECTION("missing weights") {
    write(dir / "config.json",
          R"({"vocab_size": 10, "hidden_size": 8, "intermediate_size": 8, "num_hidden_layers": 1,
              "num_attention_heads": 2})");
    const CliResult r = run_cli("generate --ids 1,2,3 --model " + dir.string());
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.out, Catch::Contains("model.safetensors"));
  }
}

TEST_CASE("a failed write leaves no partial output file", "[cli]") {
  const kvscope::test::TempDir tmp("cli-atomic");
  const fs::path& dir = tmp.path;
  const fs::path out = dir / "missing-subdir" / "trace.json";
  const CliResult r = run_cli("trace -o " + out.string());
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.out, Catch::Contains(out.string()));
  CHECK_FALSE(fs::exists(out));
  // An existing file survives a run that fails before writing.
  const fs::path keep = dir / "keep.json";
  write(keep, "precious");
  CHECK(run_cli("trace --ids 1,2,999 -o " + keep.string()).exit_code != 0);
  CHECK(kvscope::test::read_file(keep) == "precious");
  for (const auto& entry : fs::directory_iterator(dir))
    CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
}

TEST_CASE("a text prompt for a model without a tokenizer names --ids and --tokenizer", "[cli]") {
  const CliResult r = run_cli("generate --model seed-tiny --prompt 'In the beginning'");
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.out, Catch::Contains("--prompt") && Catch::Contains("--ids") && Catch::Contains("--tokenizer"));
  CHECK(run_cli("generate --prompt 'In the' --ids 1,2").exit_code != 0);
  const CliResult eos = run_cli("generate --model seed-tiny --stop-at-eos");
  CHECK(eos.exit_code != 0);
  CHECK_THAT(eos.out, Catch::Contains("--stop-at-eos") && Catch::Contains("--tokenizer"));
}

TEST_CASE("generate streams the text of a text prompt, then logs its pieces", "[cli]") {
  const nlohmann::json ref = nlohmann::json::parse(kvscope::test::read_file(kModelDir + "/reference.json"));
  const std::string prompt = ref.at("prompt").get<std::string>();
  const std::string continuation = ref.at("greedy_text").get<std::string>().substr(0, 10);
  const CliResult r = run_cli("generate --prompt '" + prompt + "' --new-tokens 10 --stop-at-eos");
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("text: " + prompt + continuation + "\n", 0) == 0);  // first, before the log
  CHECK_THAT(r.out, Catch::Contains("input pieces [[\"<s>\", \"A\", \"n\", \"d\", \"␣\""));
  CHECK_THAT(r.out, Catch::Contains("\"" + prompt + continuation + "\""));
  CHECK_THAT(r.out, !Catch::Contains("stopped at EOS"));  // kjv-char does not write </s> here
}
