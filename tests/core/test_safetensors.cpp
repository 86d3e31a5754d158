#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/config.h"
#include "core/hf_weights.h"
#include "core/safetensors.h"
#include "core/weights.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

namespace fs = std::filesystem;
using namespace kvscope::core;
using Catch::Matchers::Contains;

namespace {

using kvscope::test::read_file;
using kvscope::test::TempDir;
using kvscope::test::write_binary_file;

std::string u64_le(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(v >> (8 * i));
  return s;
}

// A hand-made file: header length, header text as given (no padding), then `data`.
std::string raw_file(const std::string& header, const std::string& data) {
  return u64_le(header.size()) + header + data;
}

std::string floats_le(std::initializer_list<float> values) {
  std::string s;
  for (float v : values) s.append(reinterpret_cast<const char*>(&v), 4);
  return s;
}

// The message of the WeightsError `f` throws; fails the test when it throws none.
std::string weights_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const WeightsError& e) {
    return e.what();
  }
  FAIL("expected a WeightsError");
  return {};
}

LlamaConfig tiny_config(bool tied) {
  LlamaConfig c;
  c.name = "st-tiny";
  c.vocab_size = 16;
  c.hidden_size = 8;
  c.intermediate_size = 12;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 2;
  c.num_key_value_heads = 1;
  c.max_position_embeddings = 64;
  c.tie_word_embeddings = tied;
  return c;
}

std::vector<float> copy_of(const NamedTensor& t) {
  size_t n = 1;
  for (int64_t d : t.shape) n *= static_cast<size_t>(d);
  return std::vector<float>(t.data, t.data + n);
}

// Every tensor's name and values, in checkpoint order.
std::vector<std::pair<std::string, std::vector<float>>> contents(LlamaWeights& w) {
  std::vector<std::pair<std::string, std::vector<float>>> out;
  for (const NamedTensor& t : named_tensors(w)) out.emplace_back(t.name, copy_of(t));
  return out;
}

float through(DType dtype, float v) {
  switch (dtype) {
    case DType::F32: return v;
    case DType::F16: return f16_to_float(float_to_f16(v));
    case DType::BF16: return bf16_to_float(float_to_bf16(v));
  }
  return v;
}

// Writes `weights` as one safetensors file after `edit` has had its way with the tensor list.
void write_edited(const std::string& path, LlamaWeights& weights,
                  const std::function<void(std::vector<TensorToWrite>&)>& edit) {
  std::vector<TensorToWrite> tensors;
  for (const NamedTensor& t : named_tensors(weights)) {
    size_t n = 1;
    for (int64_t d : t.shape) n *= static_cast<size_t>(d);
    tensors.push_back({t.name, DType::F32, t.shape, std::span<const float>(t.data, n)});
  }
  edit(tensors);
  write_safetensors(path, tensors, {{"format", "pt"}});
}

}  // namespace

TEST_CASE("F16 bit patterns widen to the values they encode", "[safetensors]") {
  CHECK(f16_to_float(0x3c00) == 1.0f);
  CHECK(f16_to_float(0xc100) == -2.5f);
  CHECK(f16_to_float(0x7bff) == 65504.0f);
  CHECK(f16_to_float(0x0400) == std::ldexp(1.0f, -14));     // smallest normal
  CHECK(f16_to_float(0x0001) == std::ldexp(1.0f, -24));     // smallest subnormal
  CHECK(f16_to_float(0x03ff) == std::ldexp(1023.0f, -24));  // largest subnormal
  CHECK(f16_to_float(0x8001) == -std::ldexp(1.0f, -24));
  CHECK(std::signbit(f16_to_float(0x8000)));
  CHECK(f16_to_float(0x8000) == 0.0f);
  CHECK(f16_to_float(0x7c00) == std::numeric_limits<float>::infinity());
  CHECK(f16_to_float(0xfc00) == -std::numeric_limits<float>::infinity());
  CHECK(std::isnan(f16_to_float(0x7e00)));
  CHECK(std::isnan(f16_to_float(0x7c01)));
}

TEST_CASE("floats narrow to F16 rounding to nearest, ties to even", "[safetensors]") {
  CHECK(float_to_f16(1.0f) == 0x3c00);
  CHECK(float_to_f16(-2.5f) == 0xc100);
  CHECK(float_to_f16(65504.0f) == 0x7bff);
  CHECK(float_to_f16(65519.0f) == 0x7bff);  // just under the midpoint to 65536
  CHECK(float_to_f16(65520.0f) == 0x7c00);  // the midpoint: the even neighbour is 65536, infinity
  CHECK(float_to_f16(1e9f) == 0x7c00);
  CHECK(float_to_f16(-std::numeric_limits<float>::infinity()) == 0xfc00);
  const uint16_t nan = float_to_f16(std::numeric_limits<float>::quiet_NaN());
  CHECK((nan & 0x7c00) == 0x7c00);
  CHECK((nan & 0x03ff) != 0);
  // A NaN whose payload sits only in the low bits must not become infinity.
  CHECK((float_to_f16(std::bit_cast<float>(0x7f800001u)) & 0x03ff) != 0);

  CHECK(float_to_f16(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);                          // tie, 0x3c00 is even
  CHECK(float_to_f16(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3c02);                      // tie, 0x3c02 is even
  CHECK(float_to_f16(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)) == 0x3c01);  // above the tie

  CHECK(float_to_f16(std::ldexp(1.0f, -24)) == 0x0001);
  CHECK(float_to_f16(std::ldexp(1.0f, -25)) == 0x0000);     // tie between 0 and 1 subnormal
  CHECK(float_to_f16(std::ldexp(3.0f, -26)) == 0x0001);     // 0.75 units rounds up
  CHECK(float_to_f16(std::ldexp(3.0f, -25)) == 0x0002);     // 1.5 units: tie to even 2
  CHECK(float_to_f16(std::ldexp(5.0f, -25)) == 0x0002);     // 2.5 units: tie to even 2
  CHECK(float_to_f16(std::ldexp(2047.0f, -25)) == 0x0400);  // 1023.5 units rounds up into the normals
  CHECK(float_to_f16(-std::ldexp(1.0f, -30)) == 0x8000);
}

TEST_CASE("every F16 value survives widening and narrowing unchanged", "[safetensors]") {
  int mismatches = 0;
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    const bool is_nan = (h & 0x7c00) == 0x7c00 && (h & 0x03ff) != 0;
    if (!is_nan && float_to_f16(f16_to_float(static_cast<uint16_t>(h))) != h) ++mismatches;
  }
  CHECK(mismatches == 0);
}

TEST_CASE("BF16 widens exactly and narrows rounding to nearest, ties to even", "[safetensors]") {
  CHECK(bf16_to_float(0x3f80) == 1.0f);
  CHECK(bf16_to_float(0xc020) == -2.5f);
  CHECK(bf16_to_float(0x0001) == std::ldexp(1.0f, -133));  // smallest subnormal
  CHECK(bf16_to_float(0x7f80) == std::numeric_limits<float>::infinity());
  CHECK(std::isnan(bf16_to_float(0x7fc0)));

  CHECK(float_to_bf16(1.0f) == 0x3f80);
  CHECK(float_to_bf16(-2.5f) == 0xc020);
  CHECK(float_to_bf16(65504.0f) == 0x4780);  // 65504 needs 11 bits: rounds to 65536
  CHECK(float_to_bf16(1.0f + std::ldexp(1.0f, -8)) == 0x3f80);
  CHECK(float_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)) == 0x3f82);
  CHECK(float_to_bf16(1.0f + std::ldexp(1.0f, -8) + std::ldexp(1.0f, -20)) == 0x3f81);
  CHECK(float_to_bf16(std::numeric_limits<float>::max()) == 0x7f80);
  CHECK(float_to_bf16(std::numeric_limits<float>::denorm_min()) == 0x0000);
  CHECK(float_to_bf16(std::ldexp(1.0f, -133)) == 0x0001);
  CHECK(float_to_bf16(-std::numeric_limits<float>::infinity()) == 0xff80);
  CHECK(float_to_bf16(std::bit_cast<float>(0x7f800001u)) == 0x7fc0);  // NaN stays NaN
  CHECK(float_to_bf16(std::bit_cast<float>(0xffffffffu)) == 0xffff);

  int mismatches = 0;
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    const bool is_nan = (h & 0x7f80) == 0x7f80 && (h & 0x007f) != 0;
    if (!is_nan && float_to_bf16(bf16_to_float(static_cast<uint16_t>(h))) != h) ++mismatches;
  }
  CHECK(mismatches == 0);
}

TEST_CASE("a hand-written file reads back, unaligned data and metadata included", "[safetensors]") {
  TempDir dir;
  const std::string path = dir.file("hand.safetensors");
  // A 5-byte-longer header than needed puts the data section at an odd offset.
  const std::string header =
      R"({"__metadata__":{"format":"pt"},"half":{"dtype":"F16","shape":[2],"data_offsets":[8,12]},)"
      R"("full":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}     )";
  REQUIRE(header.size() % 4 != 0);
  write_binary_file(path, raw_file(header, floats_le({1.5f, -2.0f}) + std::string("\x00\x3c\x00\xc1", 4)));

  SafetensorsFile file(path);
  CHECK(file.metadata().at("format") == "pt");
  REQUIRE(file.tensors().size() == 2);
  CHECK(file.tensors()[0].name == "full");  // file order
  const TensorInfo* half = file.find("half");
  REQUIRE(half);
  CHECK(half->dtype == DType::F16);
  CHECK(half->shape == std::vector<int64_t>{2});
  CHECK(file.find("absent") == nullptr);

  std::vector<float> values(2);
  file.read_into(*file.find("full"), values);
  CHECK(values == std::vector<float>{1.5f, -2.0f});
  file.read_into(*half, values);
  CHECK(values == std::vector<float>{1.0f, -2.5f});

  std::vector<float> wrong_size(3);
  CHECK_THAT(weights_error([&] { file.read_into(*half, wrong_size); }), Contains("half") && Contains(path));
}

TEST_CASE("write_safetensors pads the header and keeps tensor order", "[safetensors]") {
  TempDir dir;
  const std::string path = dir.file("out.safetensors");
  const std::vector<float> a = {1.0f, -2.5f, 65504.0f}, b = {0.5f, 3.0f};
  write_safetensors(path, {{"zeta", DType::BF16, {3}, a}, {"alpha", DType::F16, {1, 2}, b}}, {{"format", "pt"}});

  const std::string bytes = read_file(path);
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | static_cast<unsigned char>(bytes[i]);
  CHECK((8 + header_len) % 8 == 0);
  CHECK(bytes.size() == 8 + header_len + 3 * 2 + 2 * 2);
  const auto header = nlohmann::json::parse(bytes.substr(8, header_len));
  CHECK(header["zeta"]["dtype"] == "BF16");
  CHECK(header["zeta"]["data_offsets"] == nlohmann::json::array({0, 6}));
  CHECK(header["alpha"]["data_offsets"] == nlohmann::json::array({6, 10}));
  CHECK(header["__metadata__"]["format"] == "pt");

  SafetensorsFile file(path);
  CHECK(file.tensors()[0].name == "zeta");
  std::vector<float> out(3);
  file.read_into(*file.find("zeta"), out);
  CHECK(out == std::vector<float>{1.0f, -2.5f, 65536.0f});

  const std::vector<float> short_data = {1.0f};
  CHECK_THAT(weights_error([&] {
               write_safetensors(path, {{"short", DType::F32, {2}, short_data}}, {});
             }),
             Contains("short") && Contains(path));

  // Renaming over a directory fails after the data is written: the temporary file must go.
  const std::string taken = dir.file("taken");
  fs::create_directory(taken);
  CHECK_THAT(weights_error([&] { write_safetensors(taken, {{"zeta", DType::F32, {3}, a}}, {}); }), Contains(taken));
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path)) ++entries;
  CHECK(entries == 2);
}

TEST_CASE("weights round-trip through a model directory in every dtype", "[safetensors]") {
  const LlamaConfig config = tiny_config(false);
  LlamaWeights original = random_weights(config, 42);
  const auto expected = contents(original);
  REQUIRE(expected.size() == 21);  // embed, 9 per layer, norm, lm_head

  for (DType dtype : {DType::F32, DType::F16, DType::BF16}) {
    DYNAMIC_SECTION("dtype " << dtype_name(dtype)) {
      TempDir dir;
      const std::string model_dir = dir.file("model");  // save creates it
      save_hf_weights(model_dir, config, original, dtype);

      const auto config_json = nlohmann::json::parse(read_file(model_dir + "/config.json"));
      CHECK(config_json["hidden_size"] == 8);
      CHECK(config_json["num_key_value_heads"] == 1);

      SafetensorsFile file(model_dir + "/model.safetensors");
      CHECK(file.tensors().size() == 21);
      CHECK(file.metadata().at("format") == "pt");
      for (const TensorInfo& t : file.tensors()) CHECK(t.dtype == dtype);
      CHECK(file.find("model.layers.1.self_attn.k_proj.weight")->shape == std::vector<int64_t>{4, 8});

      LlamaWeights loaded = load_hf_weights(model_dir, config);
      CHECK_FALSE(loaded.tied);
      const auto actual = contents(loaded);
      REQUIRE(actual.size() == expected.size());
      // F16 keeps 11 significant bits and BF16 8, so rounding moves a value by at most half an ulp:
      // 2^-11 or 2^-8 of it. Below F16's normals the ulp is fixed at 2^-24.
      const float relative = dtype == DType::F32   ? 0.0f
                             : dtype == DType::F16 ? std::ldexp(1.0f, -11)
                                                   : std::ldexp(1.0f, -8);
      const float absolute = dtype == DType::F16 ? std::ldexp(1.0f, -25) : 0.0f;
      int not_rounded = 0, too_far = 0;
      for (size_t i = 0; i < expected.size(); ++i) {
        REQUIRE(actual[i].first == expected[i].first);
        for (size_t j = 0; j < expected[i].second.size(); ++j) {
          const float want = expected[i].second[j], got = actual[i].second[j];
          if (got != through(dtype, want)) ++not_rounded;
          if (std::fabs(got - want) > std::max(relative * std::fabs(want), absolute)) ++too_far;
        }
      }
      CHECK(not_rounded == 0);
      CHECK(too_far == 0);
      if (dtype != DType::F32) CHECK(actual != expected);  // the narrowing did happen
    }
  }
}

TEST_CASE("tied embeddings are saved without lm_head and load tied", "[safetensors]") {
  TempDir dir;
  const LlamaConfig config = tiny_config(true);
  LlamaWeights original = random_weights(config, 7);
  REQUIRE(original.tied);
  save_hf_weights(dir.file("m"), config, original, DType::F32);
  CHECK(SafetensorsFile(dir.file("m/model.safetensors")).find("lm_head.weight") == nullptr);

  LlamaWeights loaded = load_hf_weights(dir.file("m"), config);
  CHECK(loaded.tied);
  CHECK(loaded.lm_head.size() == 0);
  CHECK(loaded.head() == original.embed_tokens);

  SECTION("an lm_head.weight in the file is ignored, as HF's tie_weights does") {
    LlamaConfig untied = tiny_config(false);
    LlamaWeights other = random_weights(untied, 8);
    save_hf_weights(dir.file("u"), untied, other, DType::F32);
    LlamaWeights as_tied = load_hf_weights(dir.file("u"), config);
    CHECK(as_tied.tied);
    CHECK(as_tied.head() == other.embed_tokens);
  }
  SECTION("an untied config needs lm_head.weight") {
    const std::string message = weights_error([&] { load_hf_weights(dir.file("m"), tiny_config(false)); });
    CHECK_THAT(message, Contains("lm_head.weight") && Contains(dir.file("m/model.safetensors")));
  }
  SECTION("weights and config must agree on tying before saving") {
    CHECK_THAT(weights_error([&] { save_hf_weights(dir.file("x"), tiny_config(false), original, DType::F32); }),
               Contains("tie_word_embeddings"));
  }
}

TEST_CASE("a sharded checkpoint loads through its index", "[safetensors]") {
  TempDir dir;
  const LlamaConfig config = tiny_config(false);
  LlamaWeights original = random_weights(config, 3);
  const auto expected = contents(original);

  // Shard 1: the first ten tensors plus a buffer older checkpoints carry; shard 2, in BF16: the rest.
  std::vector<TensorToWrite> first, second;
  nlohmann::json weight_map = nlohmann::json::object();
  const std::vector<float> inv_freq = {1.0f, 0.1f};
  first.push_back({"model.layers.0.self_attn.rotary_emb.inv_freq", DType::F32, {2}, inv_freq});
  weight_map["model.layers.0.self_attn.rotary_emb.inv_freq"] = "model-00001-of-00002.safetensors";
  const auto named = named_tensors(original);
  for (size_t i = 0; i < expected.size(); ++i) {
    const auto& [name, values] = expected[i];
    const bool in_first = i < 10;
    (in_first ? first : second).push_back({name, in_first ? DType::F32 : DType::BF16, named[i].shape, values});
    weight_map[name] = in_first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
  }
  write_safetensors(dir.file("model-00001-of-00002.safetensors"), first, {{"format", "pt"}});
  write_safetensors(dir.file("model-00002-of-00002.safetensors"), second, {{"format", "pt"}});
  nlohmann::json index = {{"metadata", {{"total_size", 0}}}, {"weight_map", weight_map}};
  write_binary_file(dir.file("model.safetensors.index.json"), index.dump(2));

  LlamaWeights loaded = load_hf_weights(dir.path.string(), config);
  const auto actual = contents(loaded);
  REQUIRE(actual.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    std::vector<float> want = expected[i].second;
    if (i >= 10) {
      for (float& v : want) v = through(DType::BF16, v);
    }
    CHECK(actual[i].first == expected[i].first);
    CHECK(actual[i].second == want);
  }

  SECTION("a tensor the index does not list") {
    index["weight_map"].erase("model.norm.weight");
    write_binary_file(dir.file("model.safetensors.index.json"), index.dump());
    CHECK_THAT(weights_error([&] { load_hf_weights(dir.path.string(), config); }),
               Contains("model.norm.weight") && Contains("model.safetensors.index.json"));
  }
  SECTION("a shard that is not there") {
    fs::remove(dir.file("model-00002-of-00002.safetensors"));
    CHECK_THAT(weights_error([&] { load_hf_weights(dir.path.string(), config); }),
               Contains("model-00002-of-00002.safetensors") && Contains(expected[10].first));
  }
  SECTION("an index without a weight_map") {
    write_binary_file(dir.file("model.safetensors.index.json"), R"({"metadata": {}})");
    CHECK_THAT(weights_error([&] { load_hf_weights(dir.path.string(), config); }),
               Contains("model.safetensors.index.json") && Contains("weight_map"));
  }
}

TEST_CASE("model directories with missing or mis-shaped tensors are refused by name", "[safetensors]") {
  TempDir dir;
  const LlamaConfig config = tiny_config(false);
  LlamaWeights weights = random_weights(config, 5);
  const std::string file = dir.file("model.safetensors");

  SECTION("no checkpoint at all") {
    CHECK_THAT(weights_error([&] { load_hf_weights(dir.path.string(), config); }),
               Contains(dir.path.string()) && Contains("model.safetensors"));
  }
  SECTION("a missing tensor") {
    write_edited(file, weights, [](std::vector<TensorToWrite>& t) {
      std::erase_if(t, [](const TensorToWrite& x) { return x.name == "model.layers.1.mlp.up_proj.weight"; });
    });
    CHECK_THAT(weights_error([&] { load_hf_weights(dir.path.string(), config); }),
               Contains("model.layers.1.mlp.up_proj.weight") && Contains(file));
  }
  SECTION("a tensor of the wrong shape") {
    const std::vector<float> four = {1, 2, 3, 4};
    write_edited(file, weights, [&](std::vector<TensorToWrite>& t) {
      for (TensorToWrite& x : t) {
        if (x.name == "model.norm.weight") x = {x.name, DType::F32, {4}, four};
      }
    });
    CHECK_THAT(weights_error([&] { load_hf_weights(dir.path.string(), config); }),
               Contains("model.norm.weight") && Contains(file) && Contains("[4]") && Contains("[8]"));
  }
  SECTION("a transposed projection") {
    write_edited(file, weights, [&](std::vector<TensorToWrite>& t) {
      for (TensorToWrite& x : t) {
        if (x.name == "model.layers.0.mlp.down_proj.weight") x.shape = {12, 8};
      }
    });
    CHECK_THAT(weights_error([&] { load_hf_weights(dir.path.string(), config); }),
               Contains("model.layers.0.mlp.down_proj.weight") && Contains("[12, 8]") && Contains("[8, 12]"));
  }
  SECTION("a tensor in a dtype that is not a float") {
    const std::string header =
        R"({"model.embed_tokens.weight":{"dtype":"I64","shape":[16,8],"data_offsets":[0,1024]}})";
    write_binary_file(file, raw_file(header, std::string(1024, '\0')));
    // Tied, so the missing lm_head.weight is not the first complaint.
    CHECK_THAT(weights_error([&] { load_hf_weights(dir.path.string(), tiny_config(true)); }),
               Contains("model.embed_tokens.weight") && Contains("I64") && Contains(file));
  }
}

TEST_CASE("malformed safetensors files are refused naming the file and tensor", "[safetensors]") {
  TempDir dir;
  const std::string path = dir.file("bad.safetensors");
  const std::string eight = floats_le({1.0f, 2.0f});
  auto open_error = [&](const std::string& bytes) {
    write_binary_file(path, bytes);
    return weights_error([&] { SafetensorsFile file(path); });
  };

  SECTION("shorter than the header length") {
    CHECK_THAT(open_error(std::string("\x10\x00\x00", 3)), Contains(path) && Contains("8-byte header length"));
  }
  SECTION("a header length past the end of the file") {
    CHECK_THAT(open_error(u64_le(1000) + "{}"), Contains(path) && Contains("1000"));
  }
  SECTION("a header over the 100 MB cap") {
    CHECK_THAT(open_error(u64_le(kMaxHeaderBytes + 1) + "{}"), Contains(path) && Contains("limit"));
  }
  SECTION("a header that is not JSON") {
    CHECK_THAT(open_error(raw_file(R"({"w.alpha": {"dtype": )", "")), Contains(path) && Contains("JSON"));
  }
  SECTION("a header that is not an object") {
    CHECK_THAT(open_error(raw_file("[1, 2]", "")), Contains(path) && Contains("object"));
  }
  SECTION("offsets past the data section") {
    const std::string header = R"({"w.alpha":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})";
    CHECK_THAT(open_error(raw_file(header, eight)), Contains(path) && Contains("w.alpha") && Contains("past"));
  }
  SECTION("offsets that end before they begin") {
    const std::string header = R"({"w.alpha":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})";
    CHECK_THAT(open_error(raw_file(header, eight)), Contains(path) && Contains("w.alpha"));
  }
  SECTION("overlapping tensors") {
    const std::string header = R"({"w.alpha":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                               R"("w.beta":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
    CHECK_THAT(open_error(raw_file(header, eight + "pad!")),
               Contains(path) && Contains("w.beta") && Contains("overlap") && Contains("w.alpha"));
  }
  SECTION("a gap between tensors") {
    const std::string header = R"({"w.alpha":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                               R"("w.beta":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}})";
    CHECK_THAT(open_error(raw_file(header, eight + "gap!" + eight)),
               Contains(path) && Contains("w.beta") && Contains("gap"));
  }
  SECTION("data the tensors do not cover") {
    const std::string header = R"({"w.alpha":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    CHECK_THAT(open_error(raw_file(header, eight + "tail")), Contains(path) && Contains("8 bytes of a 12-byte"));
  }
  SECTION("a byte size that does not match the shape") {
    const std::string header = R"({"w.alpha":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})";
    CHECK_THAT(open_error(raw_file(header, eight)), Contains(path) && Contains("w.alpha") && Contains("needs 12"));
  }
  SECTION("an unknown dtype") {
    const std::string header = R"({"w.alpha":{"dtype":"Q4_K","shape":[2],"data_offsets":[0,8]}})";
    CHECK_THAT(open_error(raw_file(header, eight)), Contains(path) && Contains("w.alpha") && Contains("Q4_K"));
  }
  SECTION("a negative dimension") {
    const std::string header = R"({"w.alpha":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})";
    CHECK_THAT(open_error(raw_file(header, eight)), Contains(path) && Contains("w.alpha") && Contains("-2"));
  }
  SECTION("a shape whose size overflows") {
    const std::string header = R"({"w.alpha":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})";
    CHECK_THAT(open_error(raw_file(header, eight)), Contains(path) && Contains("w.alpha") && Contains("overflow"));
  }
  SECTION("offsets missing") {
    const std::string header = R"({"w.alpha":{"dtype":"F32","shape":[2]}})";
    CHECK_THAT(open_error(raw_file(header, eight)), Contains(path) && Contains("w.alpha") && Contains("data_offsets"));
  }
  SECTION("metadata that is not a string map") {
    const std::string header =
        R"({"__metadata__":{"step":3},"w.alpha":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    CHECK_THAT(open_error(raw_file(header, eight)), Contains(path) && Contains("__metadata__"));
  }
  SECTION("a directory instead of a file") {
    CHECK_THAT(weights_error([&] { SafetensorsFile file(dir.path.string()); }), Contains(dir.path.string()));
  }
  SECTION("a file that does not exist") {
    CHECK_THAT(weights_error([&] { SafetensorsFile file(dir.file("nope.safetensors")); }),
               Contains("nope.safetensors"));
  }
}
