// llama2.c's tokenizer.bin (tokenizer/tokenizer.h, load_llama2c): with the vocabulary size inferred from the
// file and with one the checkpoint would give (the first byte, 1 to 64), then load_tokenizer's recognition by
// content on the same file; every tokenizer returned is put to work (fuzz/tokenizer_exercise.h). Rejection:
// TokenizerError from the loaders.
#include <cstring>
#include <memory>
#include <optional>

#include "fuzz/fuzz_util.h"
#include "fuzz/tokenizer_exercise.h"
#include "tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kvscope;
  const auto path = fuzz::input_file(data, size, "tokenizer.bin");
  const std::string text = fuzz::input_text(data, size);
  KVSCOPE_FUZZ_GUARD({
    // Known finding (fuzz/regressions/fuzz_tokenizer_bin/timeout-huge-token): a token length up to
    // max_token_length is allocated before it is checked against the bytes left, so a 12-byte file allocates
    // gigabytes. Long runs skip files whose max_token_length exceeds their size.
    if (fuzz::skip_known() && size >= 4) {
      int32_t max_len;
      std::memcpy(&max_len, data, 4);
      if (max_len > static_cast<int64_t>(size)) return 0;
    }
    const auto load = [&](auto loader) -> std::unique_ptr<tokenizer::Tokenizer> {
      try {
        return loader();
      } catch (const tokenizer::TokenizerError&) {
        return nullptr;
      }
    };
    const std::optional<int> sizes[] = {std::nullopt, size > 0 ? std::optional<int>(data[0] % 64 + 1) : std::nullopt};
    for (const std::optional<int>& vocab_size : sizes) {
      if (auto t = load([&] { return tokenizer::load_llama2c(path, vocab_size); })) fuzz::exercise_tokenizer(*t, text);
    }
    if (auto t = load([&] { return tokenizer::load_tokenizer(path); })) fuzz::exercise_tokenizer(*t, text);
  })
  return 0;
}
