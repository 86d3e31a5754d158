// The tokenizer loader load_sentencepiece (tokenizer/tokenizer.h) on the input as tokenizer.model, then the tokenizer
// it returns put to work (fuzz/tokenizer_exercise.h). Rejection: TokenizerError from the loader.
#include "fuzz/fuzz_util.h"
#include "fuzz/tokenizer_exercise.h"
#include "tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kvscope;
  const auto path = fuzz::input_file(data, size, "tokenizer.model");
  KVSCOPE_FUZZ_GUARD({
    std::unique_ptr<tokenizer::Tokenizer> t;
    try {
      t = tokenizer::load_sentencepiece(path);
    } catch (const tokenizer::TokenizerError&) {
      return 0;
    } catch (const std::exception&) {
      // Known finding (fuzz/regressions/fuzz_tokenizer_model/crash-empty-piece): libsentencepiece's double-array
      // builder throws Darts::Details::Exception ("zero-length key") through load_sentencepiece.
      if (!fuzz::skip_known()) throw;
      return 0;
    }
    fuzz::exercise_tokenizer(*t, fuzz::input_text(data, size));
  })
  return 0;
}
