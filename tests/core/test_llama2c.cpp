// llama2.c checkpoints: files written (tests/support/llama2c_writer.h) as karpathy/llama2.c's export.py writes them
// (legacy, version 1 float32, version 2 int8 groups; Q and K rows in the interleaved rotary order) read back into
// kvscope's HF layout, checked weight by weight and through the forward pass against run.c's own arithmetic; and a
// catalogue of malformed files.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/config.h"
#include "core/llama2c.h"
#include "core/model.h"
#include "core/rng.h"
#include "core/weights.h"
#include "tests/core/reference_llama.h"
#include "tests/core/test_helpers.h"
#include "tests/support/files.h"
#include "tests/support/llama2c_writer.h"
#include "tests/support/temp_dir.h"

using namespace kvscope::core;
using Catch::Matchers::Contains;
using kvscope::test::llama2c_layout;
using kvscope::test::TempDir;
using kvscope::test::to_interleaved;
using kvscope::test::write_binary_file;

namespace {

// 4 query heads on 2 kv heads of size 8: GQA and both un-permutations (Q per 4 heads, K per 2) are exercised.
LlamaConfig l2c_config(bool shared) {
  LlamaConfig c;
  c.name = "l2c-tiny";
  c.vocab_size = 64;
  c.hidden_size = 32;
  c.intermediate_size = 48;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 0;
  c.rms_norm_eps = 1e-5;  // what run.c assumes
  c.rope_theta = 10000.0;
  c.max_position_embeddings = 64;
  c.tie_word_embeddings = shared;
  c.validate("l2c_config");
  return c;
}

// Random projections with sharp attention (so the rotary pairing moves the logits far beyond float noise) and
// norms that differ from each other and from one (so a swapped or misplaced norm shows).
LlamaWeights l2c_weights(const LlamaConfig& c, uint64_t seed) {
  LlamaWeights w = random_weights(c, seed);
  Rng rng(seed ^ 0x5eed);
  auto randomise = [&](Vector& v) {
    for (Eigen::Index i = 0; i < v.size(); ++i) v(i) = static_cast<float>(0.5 + rng.uniform());
  };
  for (LayerWeights& l : w.layers) {
    l.q_proj *= 20.0f;
    l.k_proj *= 20.0f;
    randomise(l.input_layernorm);
    randomise(l.post_attention_layernorm);
  }
  randomise(w.norm);
  return w;
}

std::vector<float> values(const NamedTensor& t) {
  size_t n = 1;
  for (int64_t d : t.shape) n *= static_cast<size_t>(d);
  return std::vector<float>(t.data, t.data + n);
}

// Every tensor equal, name by name and shape by shape.
void check_same_weights(LlamaWeights& got, LlamaWeights& want) {
  REQUIRE(got.tied == want.tied);
  const std::vector<NamedTensor> g = named_tensors(got), w = named_tensors(want);
  REQUIRE(g.size() == w.size());
  for (size_t i = 0; i < g.size(); ++i) {
    INFO(w[i].name);
    REQUIRE(g[i].name == w[i].name);
    REQUIRE(g[i].shape == w[i].shape);
    CHECK(values(g[i]) == values(w[i]));
  }
}

void check_config(const Llama2cCheckpoint& read, const LlamaConfig& want, const std::string& name) {
  CHECK(read.config.name == name);
  CHECK(config_to_json(read.config) == config_to_json(want));
  CHECK(read.header.config.name == read.config.name);
  CHECK(config_to_json(read.header.config) == config_to_json(want));
  CHECK(read.header.shared_classifier == want.tie_word_embeddings);
}

const std::vector<int32_t> kIds{3, 14, 15, 9, 26, 5, 35, 63, 0, 32, 38, 46};

// From float32 weights, or the weights a loader maps (ModelWeights).
template <class Weights>
std::vector<float> kvscope_logits(const LlamaConfig& c, Weights w) {
  LlamaModel model(c, std::move(w));
  const int T = static_cast<int>(kIds.size());
  model.reserve(1, T, T);
  PassInput in;
  in.phase = kvscope::trace::Phase::Full;
  in.batch = 1;
  in.tokens = T;
  in.ids = kIds;
  model.forward(in, nullptr, nullptr);
  const std::span<const float> logits = model.logits(0);
  return std::vector<float>(logits.begin(), logits.end());
}

// run.c's forward on the weights as the file holds them: rotary pairs (2i, 2i+1) with frequency
// 10000^(-2i/head_size), RMSNorm eps 1e-5 (the naive reference's GPT-J pairing is exactly that).
std::vector<double> llama2c_logits(const LlamaConfig& c, const LlamaWeights& file_layout, bool interleaved = true) {
  reference::Mistakes rope;
  rope.interleaved_rope = interleaved;
  std::vector<double> flat;
  for (const auto& row : reference::logits(c, file_layout, kIds, rope)) flat.insert(flat.end(), row.begin(), row.end());
  return flat;
}

// The WeightsError message of reading `path`; fails the test when none is thrown.
std::string read_error(const std::string& path) {
  try {
    read_llama2c(path);
  } catch (const WeightsError& e) {
    return e.what();
  }
  FAIL("expected a WeightsError from " << path);
  return {};
}

void poke_i32(std::string& bytes, size_t offset, int32_t v) {
  REQUIRE(offset + 4 <= bytes.size());
  std::memcpy(bytes.data() + offset, &v, 4);
}

}  // namespace

TEST_CASE("llama2.c's interleaved Q/K rows go back to rotate_half order", "[llama2c]") {
  // Two heads of 4 rows, row r holding r: each head's even rows, then its odd rows.
  Matrix rows(8, 2);
  for (int r = 0; r < 8; ++r) rows.row(r) << static_cast<float>(r), static_cast<float>(100 + r);
  const Matrix hf = rotary_rows_from_interleaved(rows, 2);
  std::vector<float> order;
  for (int r = 0; r < 8; ++r) order.push_back(hf(r, 0));
  CHECK(order == std::vector<float>{0, 2, 1, 3, 4, 6, 5, 7});
  CHECK(hf(2, 1) == 101.0f);  // whole rows move

  // One head of 6: [0, 2, 4, 1, 3, 5].
  Matrix six(6, 1);
  for (int r = 0; r < 6; ++r) six(r, 0) = static_cast<float>(r);
  const Matrix back = rotary_rows_from_interleaved(six, 1);
  CHECK(std::vector<float>(back.data(), back.data() + 6) == std::vector<float>{0, 2, 4, 1, 3, 5});

  // The inverse of export.py's permute_reverse, for Q (4 heads) and K (2 heads) shapes.
  const LlamaConfig c = l2c_config(true);
  const LlamaWeights w = l2c_weights(c, 1);
  CHECK((rotary_rows_from_interleaved(to_interleaved(w.layers[0].q_proj, 4), 4) == w.layers[0].q_proj));
  CHECK((rotary_rows_from_interleaved(to_interleaved(w.layers[1].k_proj, 2), 2) == w.layers[1].k_proj));
  CHECK((to_interleaved(w.layers[0].q_proj, 4) != w.layers[0].q_proj));

  CHECK_THROWS_AS(rotary_rows_from_interleaved(Matrix(6, 2), 4), std::invalid_argument);  // not whole heads
  CHECK_THROWS_AS(rotary_rows_from_interleaved(Matrix(6, 2), 2), std::invalid_argument);  // odd head size
  CHECK_THROWS_AS(rotary_rows_from_interleaved(Matrix(6, 2), 0), std::invalid_argument);
}

TEST_CASE("float32 llama2.c checkpoints read back exactly and compute run.c's logits", "[llama2c]") {
  TempDir dir("llama2c");
  struct Case {
    const char* what;
    int version;
    bool shared;
  };
  for (const Case& k : {Case{"legacy, shared classifier", 0, true}, Case{"legacy, unshared classifier", 0, false},
                        Case{"version 1, shared classifier", 1, true}, Case{"version 1, unshared", 1, false}}) {
    INFO(k.what);
    const LlamaConfig c = l2c_config(k.shared);
    LlamaWeights hf = l2c_weights(c, 11);
    const LlamaWeights file_layout = llama2c_layout(c, hf);
    const std::string path = dir.file("stories-tiny.bin");
    const std::string bytes = k.version == 0 ? kvscope::test::llama2c_legacy_file(c, file_layout)
                                             : kvscope::test::llama2c_version1_file(c, file_layout);
    write_binary_file(path, bytes);

    CHECK(looks_like_llama2c(path));
    const Llama2cHeader header = read_llama2c_header(path);
    CHECK(header.version == k.version);
    CHECK(header.group_size == 0);
    CHECK(header.file_bytes == static_cast<int64_t>(bytes.size()));

    Llama2cCheckpoint read = read_llama2c(path);
    CHECK(read.header.version == k.version);
    check_config(read, c, "stories-tiny");
    check_same_weights(read.weights, hf);

    // run.c's arithmetic on the file's own layout is what kvscope computes on the converted weights.
    const std::vector<float> ours = kvscope_logits(read.config, read.weights);
    const std::vector<double> theirs = llama2c_logits(c, file_layout);
    CHECK(max_abs_diff(ours, theirs) < 1e-5);
    CHECK(max_abs_diff(ours, kvscope_logits(c, hf)) <= 1e-5);
    // The pairing matters on this model: reading the rows without un-permuting them would be caught.
    CHECK(max_abs_diff(theirs, llama2c_logits(c, file_layout, false)) > 1e-2);

    // What a model loads: the file mapped, Q and K read through a row order, the same weights and logits.
    ModelWeights mapped = map_llama2c_weights(path);
    CHECK(mapped.layers[0].q_proj.type() == GgmlType::F32);
    LlamaWeights widened = mapped.dequantized();
    check_same_weights(widened, hf);
    CHECK(kvscope_logits(c, std::move(mapped)) == ours);
  }
}

TEST_CASE("version 2 int8 groups are dequantized as runq.c does", "[llama2c]") {
  TempDir dir("llama2c");
  for (bool shared : {true, false}) {
    for (int group : {32, 16}) {
      INFO((shared ? "shared" : "unshared") << " classifier, group size " << group);
      const LlamaConfig c = l2c_config(shared);
      LlamaWeights hf = l2c_weights(c, 23);
      LlamaWeights file_layout = llama2c_layout(c, hf);  // dequantized in place by the writer
      const std::string path = dir.file("q80.bin");
      write_binary_file(path, kvscope::test::llama2c_version2_file(c, file_layout, group));

      CHECK(looks_like_llama2c(path));
      Llama2cCheckpoint read = read_llama2c(path);
      CHECK(read.header.version == 2);
      CHECK(read.header.group_size == group);
      check_config(read, c, "q80");

      // Exactly q * scale, back in HF's row order.
      LlamaWeights read_in_file_layout = llama2c_layout(c, read.weights);
      check_same_weights(read_in_file_layout, file_layout);
      // And within half a quantization step of the float weights: |w - q*s| <= s/2 <= max|w| / 254.
      std::vector<NamedTensor> got = named_tensors(read.weights), want = named_tensors(hf);
      REQUIRE(got.size() == want.size());
      for (size_t i = 0; i < got.size(); ++i) {
        INFO(want[i].name);
        const std::vector<float> g = values(got[i]), w = values(want[i]);
        float wmax = 0;
        for (float v : w) wmax = std::max(wmax, std::fabs(v));
        const bool norm = want[i].shape.size() == 1;  // kept in float32
        CHECK(max_abs_diff(g, w) <= (norm ? 0.0 : wmax / 254.0 * (1 + 1e-3)));
      }

      const std::vector<float> ours = kvscope_logits(read.config, read.weights);
      CHECK(max_abs_diff(ours, llama2c_logits(c, file_layout)) < 1e-5);
    }
  }
}

TEST_CASE("looks_like_llama2c recognises checkpoints by content only", "[llama2c]") {
  TempDir dir("llama2c");
  const LlamaConfig c = l2c_config(true);
  const LlamaWeights m = llama2c_layout(c, l2c_weights(c, 5));
  const std::string legacy = kvscope::test::llama2c_legacy_file(c, m);
  auto looks = [&](const std::string& bytes) {
    const std::string path = dir.file("model.gguf");  // the extension plays no part
    write_binary_file(path, bytes);
    return looks_like_llama2c(path);
  };
  CHECK(looks(legacy));
  CHECK(looks(kvscope::test::llama2c_version1_file(c, m)));
  CHECK_FALSE(looks(legacy.substr(0, legacy.size() - 4)));  // a legacy header must account for every byte
  CHECK_FALSE(looks(legacy + "x"));
  CHECK_FALSE(looks(""));
  CHECK_FALSE(looks("GGUF\x03\x00\x00\x00"));
  CHECK_FALSE(looks(std::string(4096, '\x07')));
  std::string versioned_but_broken = kvscope::test::llama2c_version1_file(c, m).substr(0, 300);
  CHECK(looks(versioned_but_broken));  // the magic says what it is meant to be; reading it says what is wrong
  CHECK_FALSE(looks_like_llama2c(dir.path.string()));
  CHECK_FALSE(looks_like_llama2c(dir.file("absent.bin")));
}

TEST_CASE("malformed llama2.c checkpoints are refused in one line naming the file and field", "[llama2c]") {
  TempDir dir("llama2c");
  const std::string path = dir.file("bad.bin");
  const LlamaConfig c = l2c_config(false);
  LlamaWeights m = llama2c_layout(c, l2c_weights(c, 9));
  const std::string legacy = kvscope::test::llama2c_legacy_file(c, m);  // unshared: vocab_size is stored as -64
  const std::string v1 = kvscope::test::llama2c_version1_file(c, m);
  LlamaWeights quantized = m;
  const std::string v2 = kvscope::test::llama2c_version2_file(c, quantized, 32);
  // Header field offsets: legacy fields from byte 0, versioned ones from byte 8, then the flag and group size.
  enum Field { kDim, kHidden, kLayers, kHeads, kKvHeads, kVocab, kSeq };
  auto legacy_with = [&](Field f, int32_t v) {
    std::string b = legacy;
    poke_i32(b, 4 * static_cast<size_t>(f), v);
    return b;
  };
  auto v1_with = [&](Field f, int32_t v) {
    std::string b = v1;
    poke_i32(b, 8 + 4 * static_cast<size_t>(f), v);
    return b;
  };
  auto error = [&](const std::string& bytes) {
    write_binary_file(path, bytes);
    const std::string message = read_error(path);
    CHECK(message.find('\n') == std::string::npos);
    CHECK_THAT(message, Contains(path));
    // The header alone is refused the same way.
    std::string header_message;
    try {
      read_llama2c_header(path);
    } catch (const WeightsError& e) {
      header_message = e.what();
    }
    CHECK(header_message == message);
    return message;
  };

  SECTION("an empty file") { CHECK_THAT(error(""), Contains("empty")); }
  SECTION("shorter than the legacy header") { CHECK_THAT(error(legacy.substr(0, 20)), Contains("28-byte header")); }
  SECTION("a versioned file shorter than its 256-byte header") {
    CHECK_THAT(error(v1.substr(0, 100)), Contains("256-byte header") && Contains("ak42"));
  }
  SECTION("truncated in the last tensor") {
    CHECK_THAT(error(legacy.substr(0, legacy.size() - 10)), Contains("truncated") && Contains("ends inside wcls"));
  }
  SECTION("truncated inside a layer") {
    // header, embeddings, the attention norms, layer 0's wq, 8 bytes of layer 1's.
    const size_t cut = 28 + 64 * 32 * 4 + 2 * 32 * 4 + 32 * 32 * 4 + 8;
    CHECK_THAT(error(legacy.substr(0, cut)), Contains("truncated") && Contains("ends inside wq (layer 1)"));
  }
  SECTION("a version 2 file cut short") {
    CHECK_THAT(error(v2.substr(0, v2.size() - 1)), Contains("truncated") && Contains("group_size 32"));
  }
  SECTION("bytes past the last tensor") {
    CHECK_THAT(error(v1 + std::string(12, '\0')), Contains("12 more than") && Contains("version 1 header"));
  }
  SECTION("header sizes that do not match the length") {
    CHECK_THAT(error(legacy_with(kHidden, 40)), Contains("hidden_dim 40") && Contains("more than"));
    CHECK_THAT(error(legacy_with(kLayers, 3)), Contains("n_layers 3") && Contains("truncated"));
    CHECK_THAT(error(legacy_with(kSeq, 65)), Contains("seq_len 65") && Contains("truncated"));
    CHECK_THAT(error(v1_with(kVocab, 65)), Contains("vocab_size 65") && Contains("truncated"));
  }
  SECTION("a negative or zero dimension") {
    CHECK_THAT(error(legacy_with(kDim, -32)), Contains("header field 'dim' must be positive, got -32"));
    CHECK_THAT(error(legacy_with(kHidden, 0)), Contains("'hidden_dim' must be positive, got 0"));
    CHECK_THAT(error(legacy_with(kLayers, -2)), Contains("'n_layers' must be positive, got -2"));
    CHECK_THAT(error(legacy_with(kHeads, 0)), Contains("'n_heads' must be positive"));
    CHECK_THAT(error(legacy_with(kKvHeads, -1)), Contains("'n_kv_heads' must be positive"));
    CHECK_THAT(error(legacy_with(kVocab, 0)), Contains("'vocab_size' must be positive, got 0"));
    CHECK_THAT(error(legacy_with(kSeq, -64)), Contains("'seq_len' must be positive, got -64"));
    CHECK_THAT(error(v1_with(kVocab, -64)), Contains("'vocab_size' must be positive, got -64"));  // no sign flag
  }
  SECTION("a legacy vocab_size of INT32_MIN") {
    CHECK_THAT(error(legacy_with(kVocab, std::numeric_limits<int32_t>::min())), Contains("'vocab_size' -2147483648"));
  }
  SECTION("heads that do not divide") {
    CHECK_THAT(error(legacy_with(kHeads, 5)), Contains("'n_heads' 5 does not divide 'dim' 32"));
    CHECK_THAT(error(legacy_with(kKvHeads, 3)), Contains("'n_kv_heads' 3 does not divide 'n_heads' 4"));
    CHECK_THAT(error(legacy_with(kHeads, 32)), Contains("odd head size 1"));
  }
  SECTION("sizes that overflow 64 bits") {
    std::string b = legacy_with(kDim, 1 << 30);
    poke_i32(b, 4 * kHidden, 1 << 30);
    poke_i32(b, 4 * kLayers, 1 << 30);
    poke_i32(b, 4 * kHeads, 1 << 20);
    poke_i32(b, 4 * kKvHeads, 1 << 20);
    CHECK_THAT(error(b), Contains("64-bit") && Contains("dim 1073741824"));
  }
  SECTION("an unknown version") {
    std::string b = v1;
    poke_i32(b, 4, 3);
    CHECK_THAT(error(b), Contains("header field 'version' is 3"));
    poke_i32(b, 4, 0);
    CHECK_THAT(error(b), Contains("header field 'version' is 0"));
  }
  SECTION("a shared-classifier flag that is neither 0 nor 1") {
    std::string b = v1;
    b[36] = 2;
    CHECK_THAT(error(b), Contains("header field 'shared_classifier' is 2"));
  }
  SECTION("a group size that is not positive or does not divide a tensor") {
    std::string b = v2;
    poke_i32(b, 37, 0);
    CHECK_THAT(error(b), Contains("header field 'group_size' must be positive, got 0"));
    poke_i32(b, 37, -32);
    CHECK_THAT(error(b), Contains("header field 'group_size' must be positive, got -32"));
    poke_i32(b, 37, 5);  // 64 * 32 embedding values are not groups of 5
    CHECK_THAT(error(b),
               Contains("header field 'group_size' 5 does not divide the 2048 values of token_embedding_table"));
    poke_i32(b, 37, 16);  // divides everything, but twice the scales the file holds
    CHECK_THAT(error(b), Contains("group_size 16") && Contains("truncated"));
  }
  SECTION("a directory, or no file at all") {
    CHECK_THAT(read_error(dir.path.string()), Contains(dir.path.string()) && Contains("is a directory"));
    const std::string absent = dir.file("absent.bin");
    CHECK_THAT(read_error(absent), Contains(absent) && Contains("cannot open"));
  }
}
