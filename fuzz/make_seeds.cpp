// Writes the generated part of fuzz/corpus: tiny valid and near-valid files of every binary format, made with
// kvscope's own writers and the tests' (tests/support). Run by hand when a format changes:
//   build-fuzz/fuzz/make_fuzz_seeds fuzz/corpus
// The seeds copied from the repository (the presets' and kjv-char's config.json, kjv-char's tokenizer.json, the
// tokenizer fixtures kjv-bpe.model and kjv-bpe.bin), a tiny model's trace (kvscope trace --meta) and the GUI
// scripts are committed as they are.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/gguf.h"
#include "core/hf_weights.h"
#include "core/quant.h"
#include "core/weights.h"
#include "tests/support/gguf_model_writer.h"
#include "tests/support/gguf_writer.h"
#include "tests/support/llama2c_writer.h"
#include "tests/support/quantize.h"
#include "tests/tokenizer/hf_files.h"

namespace {

namespace fs = std::filesystem;
using namespace kvscope;
using core::GgufArray;
using core::GgufValue;

fs::path root;

void put(const std::string& harness, const std::string& name, const std::string& bytes) {
  fs::create_directories(root / harness);
  std::ofstream out(root / harness / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + (root / harness / name).string());
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

core::LlamaConfig tiny(int hidden) {
  core::LlamaConfig c;
  c.name = "tiny";
  c.vocab_size = 8;
  c.hidden_size = hidden;
  c.intermediate_size = 2 * hidden;
  c.num_hidden_layers = 1;
  c.num_attention_heads = 2;
  c.num_key_value_heads = 1;
  c.max_position_embeddings = 16;
  return c;
}

// A safetensors file from a header and data, the header padded as the reference writer pads it.
std::string safetensors(std::string header, const std::string& data) {
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(static_cast<uint64_t>(header.size()) >> (8 * i));
  return out + header + data;
}

void safetensors_seeds() {
  const fs::path dir = fs::temp_directory_path() / "kvscope-fuzz-seeds";
  fs::create_directories(dir);
  for (const auto& [name, dtype] :
       {std::pair("tiny-bf16", core::DType::BF16), std::pair("tiny-f16", core::DType::F16)}) {
    core::LlamaConfig c = tiny(8);
    core::LlamaWeights w = core::random_weights(c, 1);
    core::save_hf_weights(dir.string(), c, w, dtype);
    put("fuzz_safetensors", std::string(name) + ".safetensors", slurp(dir / "model.safetensors"));
  }
  fs::remove_all(dir);
  put("fuzz_safetensors", "empty-header.safetensors", safetensors("{}", ""));
  put("fuzz_safetensors", "metadata.safetensors",
      safetensors(R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                  std::string("\0\0\x80?\0\0\0@", 8)));
  put("fuzz_safetensors", "dtypes.safetensors",
      safetensors(R"({"f16":{"dtype":"F16","shape":[1,2],"data_offsets":[0,4]},)"
                  R"("bf16":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]},)"
                  R"("i64":{"dtype":"I64","shape":[1],"data_offsets":[8,16]},)"
                  R"("bool":{"dtype":"BOOL","shape":[],"data_offsets":[16,17]},)"
                  R"("empty":{"dtype":"F32","shape":[0,3],"data_offsets":[17,17]}})",
                  std::string("\x00\x3c\x00\xc0\x80\x3f\x00\x7f\x01\x00\x00\x00\x00\x00\x00\x80\x01", 17)));
  put("fuzz_safetensors", "overlap.safetensors",
      safetensors(
          R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})",
          std::string(8, '\0')));
  put("fuzz_safetensors", "short.safetensors", std::string("\x40\0\0\0\0\0\0\0{", 9));
}

void shard_index_seeds() {
  nlohmann::ordered_json map = nlohmann::ordered_json::object();
  for (const core::ParameterShape& p : core::parameter_shapes(tiny(8)))
    map[p.name] = "model-00001-of-00002.safetensors";
  map["lm_head.weight"] = "model-00001-of-00002.safetensors";
  nlohmann::ordered_json index = {{"metadata", {{"total_size", 1234}}}, {"weight_map", map}};
  put("fuzz_shard_index", "all-in-shard-1.json", index.dump(2));
  index["weight_map"]["model.norm.weight"] = "model-00002-of-00002.safetensors";
  put("fuzz_shard_index", "bad-shard-2.json", index.dump());
  index["weight_map"]["model.norm.weight"] = "model-00003-of-00002.safetensors";
  put("fuzz_shard_index", "missing-shard.json", index.dump());
  put("fuzz_shard_index", "not-a-name.json", R"({"weight_map": {"lm_head.weight": 3}})");
  put("fuzz_shard_index", "empty.json", R"({"weight_map": {}})");
}

void config_seeds() {
  put("fuzz_config", "tiny.json", core::config_to_json(tiny(8)).dump(2));
  core::LlamaConfig c = tiny(16);
  c.head_dim = 4;
  c.tie_word_embeddings = true;
  put("fuzz_config", "head-dim-tied.json", core::config_to_json(c).dump());
}

// Every metadata value type, arrays nested, an explicit alignment, and one tensor of each type kvscope
// dequantizes, one block (or row) each.
void gguf_container_seed() {
  test::GgufWriter w;
  w.set_alignment(64);
  w.add("general.architecture", GgufValue(std::string("llama")));
  w.add("u8", GgufValue(uint8_t{7}));
  w.add("i8", GgufValue(int8_t{-7}));
  w.add("u16", GgufValue(uint16_t{700}));
  w.add("i16", GgufValue(int16_t{-700}));
  w.add("u32", GgufValue(uint32_t{70000}));
  w.add("i32", GgufValue(int32_t{-70000}));
  w.add("f32", GgufValue(1.5f));
  w.add("bool", GgufValue(true));
  w.add("u64", GgufValue(uint64_t{1} << 40));
  w.add("i64", GgufValue(-(int64_t{1} << 40)));
  w.add("f64", GgufValue(2.5));
  w.add("strings", GgufValue(GgufArray{std::vector<std::string>{"a", "bc", ""}}));
  w.add("floats", GgufValue(GgufArray{std::vector<float>{1.0f, -2.0f}}));
  w.add("ints", GgufValue(GgufArray{std::vector<int32_t>{1, -2, 3}}));
  w.add("nested", GgufValue(GgufArray{std::vector<GgufArray>{GgufArray{std::vector<uint8_t>{1, 2}},
                                                             GgufArray{std::vector<std::string>{"x"}}}}));
  std::vector<float> values(256);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i % 17) - 8.0f;
  for (const uint32_t type : {0u, 1u, 30u, 2u, 3u, 6u, 7u, 8u, 12u, 13u, 14u}) {
    const int64_t n = core::block_layout(type)->elements == 256 ? 256 : 32;
    const std::vector<float> v(values.begin(), values.begin() + n);
    const std::vector<uint8_t> bytes = test::quantize(type, v);
    w.add_tensor({"t" + std::to_string(type),
                  {static_cast<uint64_t>(n)},
                  type,
                  std::string(bytes.begin(), bytes.end()),
                  std::nullopt});
  }
  put("fuzz_gguf", "every-type.gguf", w.build().bytes);
  test::GgufWriter v2;
  v2.version = 2;
  v2.add("general.architecture", GgufValue(std::string("llama")));
  put("fuzz_gguf", "v2-no-tensors.gguf", v2.build().bytes);
}

void gguf_model_seeds() {
  const fs::path path = fs::temp_directory_path() / "kvscope-fuzz-seed.gguf";
  const core::LlamaConfig c = tiny(32);
  const core::LlamaWeights w = core::random_weights(c, 2);
  for (const auto& [name, type] :
       {std::pair("tiny-f32", 0u), std::pair("tiny-q8_0", 8u), std::pair("tiny-q4_0", 2u), std::pair("tiny-f16", 1u)}) {
    test::GgufModelOptions options;
    options.types = test::all_matrices(type);
    test::write_gguf_model(path, c, w, options);
    put("fuzz_gguf", std::string(name) + ".gguf", slurp(path));
  }
  core::LlamaConfig tied = c;
  tied.tie_word_embeddings = true;
  test::write_gguf_model(path, tied, core::random_weights(tied, 3));
  put("fuzz_gguf", "tiny-tied-f32.gguf", slurp(path));
  fs::remove(path);
}

void gguf_vocab_seeds(const fs::path& repo) {
  // SentencePiece-style ("llama"), from the tests' character-level tokenizer.json.
  {
    test::GgufWriter w;
    w.add("general.architecture", GgufValue(std::string("llama")));
    for (auto& [key, value] : test::llama_vocabulary_from_char_level_json(test::kCharJson)) w.add(key, value);
    put("fuzz_gguf_vocab", "llama-char.gguf", w.build().bytes);
  }
  // Byte-level ("gpt2"), as convert_hf_to_gguf.py's _set_vocab_gpt2 writes it.
  std::string json = test::kByteLevelJson;
  json.replace(json.find("PRE_TOKENIZER"), 13, test::kGpt2PreTokenizer);
  const auto j = nlohmann::json::parse(json);
  std::vector<std::string> tokens(j.at("model").at("vocab").size());
  std::vector<int32_t> types(tokens.size(), 1);
  for (const auto& [token, id] : j.at("model").at("vocab").items()) tokens.at(id.get<size_t>()) = token;
  for (const auto& a : j.at("added_tokens")) types.at(a.at("id").get<size_t>()) = 3;
  std::vector<std::string> merges;
  for (const auto& m : j.at("model").at("merges")) merges.push_back(m);
  for (const std::string pre : {"default", "llama-bpe", "smollm"}) {
    test::GgufWriter w;
    w.add("general.architecture", GgufValue(std::string("gpt2")));
    w.add("tokenizer.ggml.model", GgufValue(std::string("gpt2")));
    w.add("tokenizer.ggml.pre", GgufValue(std::string(pre)));
    w.add("tokenizer.ggml.tokens", GgufValue(GgufArray{tokens}));
    w.add("tokenizer.ggml.token_type", GgufValue(GgufArray{types}));
    w.add("tokenizer.ggml.merges", GgufValue(GgufArray{merges}));
    w.add("tokenizer.ggml.eos_token_id", GgufValue(uint32_t{29}));
    put("fuzz_gguf_vocab", "gpt2-" + pre + ".gguf", w.build().bytes);
  }
  (void)repo;
}

void llama2c_seeds() {
  const core::LlamaConfig c = tiny(8);
  const core::LlamaWeights w = core::random_weights(c, 4);
  core::LlamaWeights layout = test::llama2c_layout(c, w);
  put("fuzz_llama2c", "legacy.bin", test::llama2c_legacy_file(c, layout));
  put("fuzz_llama2c", "v1.bin", test::llama2c_version1_file(c, layout));
  put("fuzz_llama2c", "v2-group8.bin", test::llama2c_version2_file(c, layout, 8));
  core::LlamaConfig unshared = c;
  unshared.tie_word_embeddings = false;
  core::LlamaConfig shared = c;
  shared.tie_word_embeddings = true;
  core::LlamaWeights tied = test::llama2c_layout(shared, core::random_weights(shared, 5));
  put("fuzz_llama2c", "legacy-shared.bin", test::llama2c_legacy_file(shared, tied));
  put("fuzz_tokenizer_bin", "small.bin",
      test::llama2c_tokenizer_file({"<unk>", "<s>", "</s>", "<0x0A>", "▁", "a", "b", "▁a", "ab", "é"},
                                   {0, 0, 0, 0, -1, -2, -3, -4, -5, -6}));
}

void tokenizer_json_seeds() {
  put("fuzz_tokenizer_json", "sp-style.json", test::kSpStyleJson);
  put("fuzz_tokenizer_json", "metaspace.json", test::kMetaspaceJson);
  put("fuzz_tokenizer_json", "char.json", test::kCharJson);
  for (const auto& [name, pre] : {std::pair("byte-level-gpt2", test::kGpt2PreTokenizer),
                                  std::pair("byte-level-llama3", test::kLlama3PreTokenizer)}) {
    std::string json = test::kByteLevelJson;
    json.replace(json.find("PRE_TOKENIZER"), 13, pre);
    put("fuzz_tokenizer_json", std::string(name) + ".json", json);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_fuzz_seeds CORPUS_DIR (fuzz/corpus)\n");
    return 2;
  }
  root = argv[1];
  try {
    safetensors_seeds();
    shard_index_seeds();
    config_seeds();
    gguf_container_seed();
    gguf_model_seeds();
    gguf_vocab_seeds(root);
    llama2c_seeds();
    tokenizer_json_seeds();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_fuzz_seeds: %s\n", e.what());
    return 1;
  }
  std::printf("make_fuzz_seeds: wrote the generated seeds under %s\n", root.c_str());
  return 0;
}
