// llama2.c checkpoints (core/llama2c.h): looks_like_llama2c, read_llama2c_header and, when the header accounts
// for the file, read_llama2c (legacy float32, version 1, version 2's int8 groups) and map_llama2c_weights, whose
// embeddings must be the ones read. Rejection: WeightsError.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/llama2c.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kvscope;
  const auto path = fuzz::input_file(data, size, "model.bin");
  KVSCOPE_FUZZ_GUARD({
    (void)core::looks_like_llama2c(path.string());
    try {
      const core::Llama2cHeader header = core::read_llama2c_header(path.string());
      if (header.file_bytes != static_cast<int64_t>(size)) {
        std::fprintf(stderr, "fuzz_llama2c: header says %lld bytes, the file has %zu\n",
                     static_cast<long long>(header.file_bytes), size);
        std::abort();
      }
      // The header's sizes add up to the file's length, so the weights are bounded by the input.
      const core::Llama2cCheckpoint checkpoint = core::read_llama2c(path.string());
      (void)checkpoint.config.parameter_count();
      // The same weights mapped in place (float32 files) must be the ones read.
      const core::LlamaWeights mapped = core::map_llama2c_weights(path.string()).dequantized();
      const auto& a = mapped.embed_tokens;
      const auto& b = checkpoint.weights.embed_tokens;  // compared as bits: a NaN weight is the same NaN
      if (a.size() != b.size() || std::memcmp(a.data(), b.data(), static_cast<size_t>(a.size()) * sizeof(float)) != 0) {
        std::fprintf(stderr, "fuzz_llama2c: the mapped embeddings differ from the ones read\n");
        std::abort();
      }
    } catch (const core::WeightsError&) {
    }
  })
  return 0;
}
