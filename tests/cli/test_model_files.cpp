// `kvscope` on the model files people have: the shipped kjv-char model converted to GGUF (its character-level
// vocabulary embedded as a SentencePiece `llama` vocabulary, as a converter writes it) and to a llama2.c checkpoint
// with a tokenizer.bin, run through the binary as a user would, and compared with `--model kjv-char` itself.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/model.h"
#include "core/model_source.h"
#include "core/quant.h"
#include "tests/cli/run_cli.h"
#include "tests/support/files.h"
#include "tests/support/gguf_model_writer.h"
#include "tests/support/gguf_writer.h"
#include "tests/support/llama2c_writer.h"
#include "tests/support/temp_dir.h"

namespace {

using namespace kvscope;

struct Kjv {
  core::LlamaConfig config;
  core::LlamaWeights weights;
};

const Kjv& kjv_char() {
  static const Kjv k = [] {
    core::LlamaModel model = core::load_model(core::resolve_model("kjv-char"), 0, false);
    return Kjv{model.config(), model.weights().dequantized()};
  }();
  return k;
}

test::GgufEntries kjv_vocabulary() {
  return test::llama_vocabulary_from_char_level_json(test::read_file(kModelDir + "/tokenizer.json"));
}

// kjv-char written as a GGUF file of `type` with its vocabulary, as `name` in `dir`.
std::string kjv_gguf(const test::TempDir& dir, const std::string& name, core::GgmlType type) {
  test::GgufModelOptions options;
  options.types = test::all_matrices(static_cast<uint32_t>(type));
  options.vocabulary = kjv_vocabulary();
  const std::string path = dir.file(name);
  test::write_gguf_model(path, kjv_char().config, kjv_char().weights, options);
  return path;
}

// The ids of generate's "tokens (prompt + generated):" line, the first sequence's.
std::vector<int> generated_ids(const std::string& out) {
  const std::string marker = "tokens (prompt + generated):\n";
  const size_t at = out.find(marker);
  REQUIRE(at != std::string::npos);
  const size_t open = out.find('[', at), close = out.find(']', at);
  REQUIRE(close != std::string::npos);
  std::string list = out.substr(open + 1, close - open - 1);
  for (char& c : list)
    if (c == ',') c = ' ';
  std::istringstream in(list);
  std::vector<int> ids;
  for (int id; in >> id;) ids.push_back(id);
  return ids;
}

// kjv-char's character ids: newline 4, printable ASCII from 5.
std::vector<int> char_ids(const std::string& text) {
  std::vector<int> ids;
  for (char c : text) ids.push_back(c == '\n' ? 4 : 5 + (c - 0x20));
  return ids;
}

std::vector<int> concat(std::vector<int> a, const std::vector<int>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Every position's logits of one full pass, [T, V].
std::vector<float> all_logits(core::LlamaModel& model, const std::vector<int32_t>& ids) {
  const int T = static_cast<int>(ids.size());
  model.reserve(1, T, T);
  core::PassInput in;
  in.phase = trace::Phase::Full;
  in.batch = 1;
  in.tokens = T;
  in.ids = ids;
  model.forward(in, nullptr, nullptr);
  const auto out = model.logits(0);
  return std::vector<float>(out.begin(), out.end());
}

}  // namespace

TEST_CASE("generate on kjv-char as a float32 GGUF with its own vocabulary gives the safetensors model's tokens",
          "[cli][gguf]") {
  test::TempDir dir("cli-gguf");
  const std::string gguf = kjv_gguf(dir, "kjv-char-F32.gguf", core::GgmlType::F32);
  const CliResult want = run_cli("generate --model kjv-char --prompt 'And God said' -n 16");
  REQUIRE(want.exit_code == 0);
  // No --tokenizer: the GGUF file brings its vocabulary.
  const CliResult got = run_cli("generate --model " + gguf + " --prompt 'And God said' -n 16");
  INFO(got.out);
  REQUIRE(got.exit_code == 0);
  const std::vector<int> ids = generated_ids(got.out);
  CHECK(ids.size() == 1 + 12 + 16);
  CHECK(std::vector<int>(ids.begin(), ids.begin() + 13) == concat({1}, char_ids("And God said")));
  CHECK(ids == generated_ids(want.out));
  CHECK_THAT(got.out, Catch::Contains("text (prompt + generated):\n  \"And God said"));
  CHECK_THAT(got.out, Catch::Contains("model kjv-char-F32,"));  // the file's name
}

TEST_CASE("generate on kjv-char as a Q8_0 GGUF tokenizes with the embedded vocabulary and generates", "[cli][gguf]") {
  test::TempDir dir("cli-gguf");
  const std::string gguf = kjv_gguf(dir, "kjv-char-Q8_0.gguf", core::GgmlType::Q8_0);
  const CliResult got = run_cli("generate --model " + gguf + " --prompt 'And God said' -n 16");
  INFO(got.out);
  REQUIRE(got.exit_code == 0);
  const std::vector<int> ids = generated_ids(got.out);
  REQUIRE(ids.size() == 1 + 12 + 16);
  CHECK(std::vector<int>(ids.begin(), ids.begin() + 13) == concat({1}, char_ids("And God said")));
  for (int id : ids) CHECK((id >= 0 && id < 100));
  // The same tokens as the float32 model. Q8_0 computes with the weights' 8-bit rounding and, as ggml does, the
  // activations' too; both move kjv-char's logits by up to ~0.1 here, so at every position of the float32 model's
  // continuation (fed to both, in process) the Q8_0 model's top token must be the float32 model's.
  const std::vector<int> want = generated_ids(run_cli("generate --model kjv-char --prompt 'And God said' -n 16").out);
  REQUIRE(want.size() == ids.size());
  const std::vector<int32_t> sequence(want.begin(), want.end());
  core::LlamaModel float32(kjv_char().config, kjv_char().weights);
  core::LlamaModel q8 = core::load_model(core::resolve_model(gguf), 0, false);
  const std::vector<float> a = all_logits(float32, sequence), b = all_logits(q8, sequence);
  const int vocab = kjv_char().config.vocab_size;
  for (size_t row = 12; row + 1 < sequence.size(); ++row) {
    const auto first = static_cast<std::ptrdiff_t>(row * vocab), last = first + vocab;
    const auto top_a = std::max_element(a.begin() + first, a.begin() + last) - (a.begin() + first);
    const auto top_b = std::max_element(b.begin() + first, b.begin() + last) - (b.begin() + first);
    double moved = 0;
    for (auto j = first; j < last; ++j) moved = std::max(moved, std::abs(double(a[j]) - b[j]));
    INFO("position " << row << ": Q8_0 moves the logits by up to " << moved);
    CHECK(top_b == top_a);
    CHECK(top_a == sequence[row + 1]);
  }
  CHECK(ids == want);
}

TEST_CASE("generate on a llama2.c checkpoint with --tokenizer tokenizer.bin", "[cli][llama2c]") {
  test::TempDir dir("cli-llama2c");
  const Kjv& kjv = kjv_char();
  const std::string model = dir.file("model.bin"), tokenizer = dir.file("kjv-tokenizer.bin");
  test::write_binary_file(model,
                          test::llama2c_version1_file(kjv.config, test::llama2c_layout(kjv.config, kjv.weights)));
  // tokenizer.py's export of the vocabulary: SentencePiece spells the space "▁", the exporter turns it back.
  std::vector<std::string> pieces;
  std::vector<float> scores;
  for (const auto& [key, value] : kjv_vocabulary()) {
    if (key == "tokenizer.ggml.tokens")
      pieces = std::get<std::vector<std::string>>(std::get<core::GgufArray>(value.value).items);
    if (key == "tokenizer.ggml.scores")
      scores = std::get<std::vector<float>>(std::get<core::GgufArray>(value.value).items);
  }
  REQUIRE(pieces.size() == 100);
  test::write_binary_file(tokenizer, test::llama2c_tokenizer_file(pieces, scores));

  const CliResult got = run_cli("generate --model " + model + " --tokenizer " + tokenizer +
                                " --prompt 'And God said' -n 16");
  INFO(got.out);
  REQUIRE(got.exit_code == 0);
  const std::vector<int> ids = generated_ids(got.out);
  REQUIRE(ids.size() == 1 + 1 + 12 + 16);
  // run.c's encoding: BOS, the dummy-prefix space, then each character.
  const std::vector<int> prompt = concat({1, 5}, char_ids("And God said"));
  CHECK(std::vector<int>(ids.begin(), ids.begin() + 14) == prompt);
  // The same ids through the safetensors model continue the same way (llama2.c's eps is 1e-5 where kjv-char's is
  // 1e-6: a relative change of ~1e-5 in the norms, far below the margins of these steps).
  std::string csv;
  for (int id : prompt) csv += (csv.empty() ? "" : ",") + std::to_string(id);
  const CliResult want = run_cli("generate --model kjv-char --ids " + csv + " -n 16");
  REQUIRE(want.exit_code == 0);
  CHECK(ids == generated_ids(want.out));

  const CliResult trace = run_cli("trace --model " + model + " --tokenizer " + tokenizer +
                                  " --prompt 'And' -n 1 --format json -o " + dir.file("trace.json"));
  REQUIRE(trace.exit_code == 0);
  const nlohmann::json doc = nlohmann::json::parse(test::read_file(dir.file("trace.json")));
  CHECK(doc.at("weights").at("format") == "llama2.c");
  CHECK(doc.at("weights").at("stored_as").at("model.layers.1.mlp.up_proj.weight") == "F32");
}

TEST_CASE("tokenize --tokenizer takes a vocabulary-only GGUF file", "[cli][gguf]") {
  test::TempDir dir("cli-gguf");
  test::GgufWriter w;
  w.add("general.architecture", core::GgufValue(std::string("llama")));
  for (const auto& [key, value] : kjv_vocabulary()) w.add(key, value);
  const std::string vocab = dir.file("ggml-vocab-kjv-char.gguf");
  w.write(vocab);

  const std::string text = "In the beginning God created the heaven and the earth.";
  const CliResult got = run_cli("tokenize --tokenizer " + vocab + " --text '" + text + "' --format json");
  INFO(got.out);
  REQUIRE(got.exit_code == 0);
  const nlohmann::json j = nlohmann::json::parse(got.out);
  CHECK(j.at("ids").get<std::vector<int>>() == concat({1}, char_ids(text)));
  CHECK(j.at("text") == text);
  CHECK(j.at("pieces").at(3) == "\xE2\x96\x81");  // "▁": the space as SentencePiece spells it
  // The shipped tokenizer.json gives the same ids.
  const CliResult shipped = run_cli("tokenize --text '" + text + "' --format json");
  REQUIRE(shipped.exit_code == 0);
  CHECK(nlohmann::json::parse(shipped.out).at("ids") == j.at("ids"));
}

TEST_CASE("trace of a Q4_K GGUF records the gguf format and each weight's stored type", "[cli][gguf]") {
  test::TempDir dir("cli-gguf");
  const std::string gguf = kjv_gguf(dir, "kjv-char-Q4_K.gguf", core::GgmlType::Q4_K);
  const std::string out = dir.file("trace.json");
  const CliResult r = run_cli("trace --model " + gguf + " --prompt 'And God' -n 2 --format json -o " + out);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  const nlohmann::json doc = nlohmann::json::parse(test::read_file(out));
  const nlohmann::json& weights = doc.at("weights");
  CHECK(weights.at("format") == "gguf");
  CHECK(weights.at("path") == gguf);
  const nlohmann::json& stored = weights.at("stored_as");
  CHECK(stored.size() == core::parameter_shapes(kjv_char().config).size());
  CHECK(stored.at("model.layers.0.self_attn.q_proj.weight") == "Q4_K");
  CHECK(stored.at("lm_head.weight") == "Q4_K");
  CHECK(stored.at("model.layers.1.post_attention_layernorm.weight") == "F32");
  for (const auto& [name, as] : stored.items()) {
    INFO(name);
    CHECK(as == (name.find("norm") != std::string::npos ? "F32" : "Q4_K"));
  }
  CHECK(doc.at("model").at("name") == "kjv-char-Q4_K");
}
