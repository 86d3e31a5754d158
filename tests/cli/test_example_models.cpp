// The example model files the README's GGUF and llama2.c commands use (assets/examples): they work as the README
// says, and they are exactly what scripts/make-example-models writes from the shipped kjv-char, so they cannot
// drift from the writers or from kjv-char.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "run_cli.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

namespace fs = std::filesystem;
using kvscope::test::read_file;
using kvscope::test::TempDir;

namespace {

const fs::path kExamples = fs::path(KVSCOPE_SOURCE_DIR) / "assets" / "examples";

std::string generated_text(const std::string& model_args) {
  const CliResult r = run_cli("generate " + model_args + " --prompt 'And God said' -n 20");
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  const std::string marker = "text (prompt + generated):\n  ";
  const size_t at = r.out.rfind(marker);
  REQUIRE(at != std::string::npos);
  return r.out.substr(at + marker.size(), r.out.find('\n', at + marker.size()) - at - marker.size());
}

}  // namespace

TEST_CASE("the example files are what scripts/make-example-models writes from kjv-char", "[cli][examples]") {
  TempDir dir("examples");
  const std::string command = std::string(KVSCOPE_MAKE_EXAMPLE_MODELS) + " " + dir.path.string() + " > /dev/null";
  REQUIRE(std::system(command.c_str()) == 0);
  for (const char* file :
       {"kjv-char.Q8_0.gguf", "kjv-char.Q4_K_M.gguf", "kjv-char-llama2c/model.bin", "kjv-char-llama2c/tokenizer.bin"}) {
    INFO(file);
    const std::string committed = read_file(kExamples / file);
    CHECK(committed.size() > 900);
    CHECK(read_file(dir.path / file) == committed);
  }
}

TEST_CASE("the README's example GGUF and llama2.c files generate text on their own", "[cli][examples]") {
  const std::string float32 = generated_text("--model kjv-char");
  CHECK(float32 == "\"And God said unto him, The son o\"");
  // Q8_0 and llama2.c's int8 groups keep kjv-char's answer; Q4_K_M's coarser weights change it.
  CHECK(generated_text("--model " + (kExamples / "kjv-char.Q8_0.gguf").string()) == float32);
  CHECK(generated_text("--model " + (kExamples / "kjv-char-llama2c" / "model.bin").string()) == float32);
  CHECK(generated_text("--model " + (kExamples / "kjv-char.Q4_K_M.gguf").string()) ==
        "\"And God said, The son of the LOR\"");

  TempDir dir("examples-trace");
  const CliResult r = run_cli("trace --model " + (kExamples / "kjv-char.Q4_K_M.gguf").string() +
                              " --prompt 'And' -n 1 --format json -o " + dir.file("t.json"));
  REQUIRE(r.exit_code == 0);
  const nlohmann::json weights = nlohmann::json::parse(read_file(dir.file("t.json"))).at("weights");
  CHECK(weights.at("format") == "gguf");
  // llama-quantize's use_more_bits gives the last eighth of the layers (here layer 1 of 2) Q6_K for ffn_down
  CHECK(weights.at("stored_as").at("model.layers.1.mlp.down_proj.weight") == "Q6_K");
  CHECK(weights.at("stored_as").at("model.layers.0.mlp.down_proj.weight") == "Q4_K");
  CHECK(weights.at("stored_as").at("model.layers.0.mlp.up_proj.weight") == "Q4_K");
  CHECK(weights.at("stored_as").at("lm_head.weight") == "Q6_K");
  CHECK(weights.at("stored_as").at("model.norm.weight") == "F32");
}
