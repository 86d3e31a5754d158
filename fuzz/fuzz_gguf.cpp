// The GGUF container (core/gguf.h) and the LLaMA model in it (core/gguf_model.h): GgufFile::open validates the
// file; then every metadata value is read through the typed getters, every tensor's bytes are located and, in
// the types kvscope reads, dequantized; then the llama config and the weights are loaded as `--model x.gguf`
// does. Rejection: GgufError (the container, a key), ConfigError (the config the metadata describes).
#include <vector>

#include "core/gguf.h"
#include "core/gguf_model.h"
#include "core/quant.h"
#include "fuzz/fuzz_util.h"

namespace {

using namespace kvscope;

// Every getter on every key: each either returns or throws GgufError.
void read_metadata(const core::GgufFile& file) {
  for (const auto& entry : file.metadata()) {
    const std::string& key =
        entry.first;  // a variable, not a structured binding: clang 14's lambdas cannot capture those
    (void)core::gguf_type_name(entry.second.type());
    const auto attempt = [&](auto getter) {
      try {
        getter();
      } catch (const core::GgufError&) {
      }
    };
    attempt([&] { (void)file.get_u32(key); });
    attempt([&] { (void)file.get_i32(key); });
    attempt([&] { (void)file.get_u64(key); });
    attempt([&] { (void)file.get_i64(key); });
    attempt([&] { (void)file.get_f32(key); });
    attempt([&] { (void)file.get_bool(key); });
    attempt([&] { (void)file.get_string(key); });
    attempt([&] { (void)file.get_string_array(key); });
    attempt([&] { (void)file.get_f32_array(key); });
    attempt([&] { (void)file.get_i32_array(key); });
  }
}

// A validated tensor lies inside the file in whole blocks: dequantize() must take it without complaint.
void read_tensors(const core::GgufFile& file) {
  for (const core::GgufTensorInfo& t : file.tensors()) {
    const std::span<const uint8_t> bytes = file.data(t);
    if (!core::block_layout(t.type) || t.elements > (int64_t{1} << 22)) continue;
    if (static_cast<int64_t>(bytes.size()) != core::tensor_bytes(t.type, t.elements)) {
      std::fprintf(stderr, "fuzz_gguf: tensor '%s' has %zu bytes, its type needs %lld\n", t.name.c_str(), bytes.size(),
                   static_cast<long long>(core::tensor_bytes(t.type, t.elements)));
      std::abort();
    }
    std::vector<float> out(static_cast<size_t>(t.elements));
    core::dequantize(t.type, bytes.data(), t.elements, out.data());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = fuzz::input_file(data, size, "model.gguf");
  KVSCOPE_FUZZ_GUARD({
    (void)core::looks_like_gguf(path);
    try {
      const core::GgufFile file = core::GgufFile::open(path);
      read_metadata(file);
      read_tensors(file);
      const core::LlamaConfig config = core::gguf_llama_config(file);
      (void)core::gguf_weights(file, config);
      // Bounded by the file: every tensor was found inside it, but keep a hostile config from allocating much.
      if (config.parameter_count() <= (int64_t{1} << 24)) (void)core::load_gguf_weights(file, config);
    } catch (const core::GgufError&) {
    } catch (const core::ConfigError&) {
    }
  })
  return 0;
}
