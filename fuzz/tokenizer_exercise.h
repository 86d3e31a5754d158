#pragma once
// What the tokenizer harnesses do with a tokenizer their loader accepted: encode sample texts (ASCII, UTF-8 of
// every length, invalid UTF-8, special tokens typed as text) and the input's own first bytes, decode the ids
// back, stream-decode them, and read the pieces and flags of the first ids. Tokenizers document TokenizerError
// only for ids outside the vocabulary, which this never passes, so any exception here is a finding.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace kvscope::fuzz {

inline void exercise_tokenizer(const tokenizer::Tokenizer& t, std::string_view input) {
  static const std::vector<std::string> kTexts = {"",
                                                  " ",
                                                  "And God said, Let there be light",
                                                  "  two  spaces\n\nand\ttabs\r\n",
                                                  "café 🙂 中文 ð",
                                                  std::string("\xff\xfe bad \xc3 utf8 \xe4\xb8", 17),
                                                  "<s></s><unk><|endoftext|>",
                                                  "12345 0x0A <0x0A>"};
  const int n = t.vocab_size();
  std::vector<std::string> texts = kTexts;
  texts.emplace_back(input.substr(0, std::min<size_t>(input.size(), 64)));
  for (const std::string& text : texts) {
    for (const bool bos : {false, true}) {
      const std::vector<int> ids = t.encode(text, bos);
      for (const int id : ids) {
        if (id < 0 || id >= n) {
          std::fprintf(stderr, "fuzz: %s encoded an id %d outside its vocabulary of %d\n", t.kind().c_str(), id, n);
          std::abort();
        }
      }
      (void)t.decode(ids);
      tokenizer::StreamDecoder stream(t);
      for (const int id : ids) (void)stream.push(id);
      (void)stream.finish();
    }
  }
  std::vector<int> first;
  for (int id = 0; id < std::min(n, 512); ++id) {
    (void)t.piece(id);
    (void)t.is_special(id);
    first.push_back(id);
  }
  (void)t.decode(first);
  (void)t.bos_id();
  (void)t.eos_id();
  (void)t.unk_id();
  (void)t.adds_bos();
}

}  // namespace kvscope::fuzz
