// Writes the example model files the README's GGUF and llama2.c commands use, from the shipped kjv-char model:
// kvscope has no converter of its own, so the tests' writers (which write what llama.cpp's convert_hf_to_gguf.py
// and llama-quantize, and llama2.c's export.py and tokenizer.py, write) make them. Run by
// scripts/make-example-models; the files are committed, so neither users nor CI run this.
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "core/model_source.h"
#include "core/quant.h"
#include "tests/support/files.h"
#include "tests/support/gguf_model_writer.h"
#include "tests/support/llama2c_writer.h"

using namespace kvscope;
namespace fs = std::filesystem;

namespace {

template <typename T>
std::vector<T> array_of(const test::GgufEntries& entries, const std::string& key) {
  for (const auto& [k, value] : entries)
    if (k == key) return std::get<std::vector<T>>(std::get<core::GgufArray>(value.value).items);
  throw std::runtime_error("the vocabulary has no " + key);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_example_models OUTPUT_DIR\n";
    return 2;
  }
  try {
    const fs::path out = argv[1];
    fs::create_directories(out / "kjv-char-llama2c");
    const core::ModelSource source = core::resolve_model("kjv-char");
    const core::LlamaModel model = core::load_model(source, 0, false);
    const core::LlamaConfig& config = model.config();
    const core::LlamaWeights weights = model.weights().dequantized();
    const test::GgufEntries vocabulary = test::llama_vocabulary_from_char_level_json(
        test::read_file(fs::path(source.path) / "tokenizer.json"));

    test::GgufModelOptions q8;
    q8.types = test::all_matrices(static_cast<uint32_t>(core::GgmlType::Q8_0));
    q8.vocabulary = vocabulary;
    test::write_gguf_model(out / "kjv-char.Q8_0.gguf", config, weights, q8);

    test::GgufModelOptions q4_k_m;
    q4_k_m.types = test::q4_k_m_like(config);
    q4_k_m.vocabulary = vocabulary;
    test::write_gguf_model(out / "kjv-char.Q4_K_M.gguf", config, weights, q4_k_m);

    // llama2.c: version 2 (int8 in groups of 64, what runq.c reads) and its tokenizer.bin.
    core::LlamaWeights layout = test::llama2c_layout(config, weights);
    test::write_binary_file(out / "kjv-char-llama2c" / "model.bin", test::llama2c_version2_file(config, layout, 64));
    test::write_binary_file(out / "kjv-char-llama2c" / "tokenizer.bin",
                            test::llama2c_tokenizer_file(array_of<std::string>(vocabulary, "tokenizer.ggml.tokens"),
                                                         array_of<float>(vocabulary, "tokenizer.ggml.scores")));
    std::cout << "wrote the example models to " << out.string() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "make_example_models: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
