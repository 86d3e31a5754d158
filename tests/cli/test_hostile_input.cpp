// Bad input from a new user, through the binary: one line naming the flag, file or field, a non-zero exit.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include "run_cli.h"
#include "tests/support/temp_dir.h"

using kvscope::test::TempDir;

namespace {

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace

TEST_CASE("integer flags out of range say so in words and exit non-zero", "[cli][hostile]") {
  const std::pair<std::string, std::string> cases[] = {
      {"generate --steps 0", "--new-tokens: must be at least 1, got 0"},
      {"generate --steps -1", "--new-tokens: must be at least 1, got -1"},
      {"generate --batch 0", "--batch: must be at least 1, got 0"},
      {"generate --prompt-len 0", "--prompt-len: must be at least 1, got 0"},
      {"trace --values-max -1", "--values-max: must be at least 0, got -1"},
      {"generate --seed -1", "--seed: must be at least 0, got -1"},
      {"generate --steps 2147483647", "--new-tokens: must be at most 2097152, got 2147483647"},
      {"generate --steps abc", "--new-tokens: must be a whole number, got 'abc'"},
  };
  for (const auto& [args, message] : cases) {
    INFO(args);
    const CliResult r = run_cli(args);
    CHECK(r.exit_code != 0);
    CHECK(r.out.rfind(message, 0) == 0);
    CHECK(r.out.find("179769") == std::string::npos);  // never CLI11's 309-digit range
  }
  const CliResult unknown = run_cli("frobnicate");
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.out ==
        "kvscope: error: unknown command 'frobnicate'; the commands are generate, trace, export, compare, tokenize, "
        "eval (kvscope --help)\n");
}

TEST_CASE("a config with a 64-bit vocabulary or layer count is refused with the value the file holds",
          "[cli][hostile]") {
  TempDir dir("hostile-config");
  write(dir.file("config.json"),
        R"({"vocab_size": 4294967396, "hidden_size": 8, "intermediate_size": 6, "num_hidden_layers": 1,
            "num_attention_heads": 4})");
  const CliResult r = run_cli("generate --model " + dir.path.string() + " --meta");
  CHECK(r.exit_code == 1);
  CHECK(r.out ==
        "kvscope: error: " + dir.file("config.json") + ": field 'vocab_size' is 4294967396, outside 1..2097152\n");
}

TEST_CASE("a shard index naming a file outside the model directory is refused without opening it", "[cli][hostile]") {
  for (const std::string shard : {"/etc/passwd", "../../x", "..", ""}) {
    TempDir dir("hostile-index");
    write(dir.file("config.json"),
          R"({"vocab_size": 10, "hidden_size": 8, "intermediate_size": 6, "num_hidden_layers": 1,
              "num_attention_heads": 4})");
    write(dir.file("model.safetensors.index.json"),
          R"({"weight_map": {"model.embed_tokens.weight": ")" + shard + R"("}})");
    const CliResult r = run_cli("generate --ids 1,2 --model " + dir.path.string());
    INFO(shard);
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("names '" + shard + "': shard files must be plain file names inside the model directory") !=
          std::string::npos);
    CHECK(r.out.find("root:") == std::string::npos);  // nothing of /etc/passwd is shown
  }
}

TEST_CASE("export --from a directory says it is a directory", "[cli][hostile]") {
  TempDir dir("hostile-from");
  const CliResult r = run_cli("export --from " + dir.path.string());
  CHECK(r.exit_code == 1);
  CHECK(r.out.find(dir.path.string() + ": is a directory, not a trace file") != std::string::npos);
}
