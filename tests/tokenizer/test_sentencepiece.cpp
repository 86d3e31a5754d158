// SentencePiece's tokenizer.model through libsentencepiece, and the same vocabulary held in memory (SpmVocab, the
// path a GGUF file's vocabulary takes), against the reference encodings of SentencePiece's Python library.
#include <catch2/catch.hpp>
#include <cstring>

#include "tests/tokenizer/reference.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"
#include "tokenizer/vocab.h"

using namespace kvscope;
using namespace kvscope::tokenizer;

namespace {

// What a GGUF file carries for this model: pieces, scores and token types. The pieces come from the model
// (through libsentencepiece), the scores from the llama2.c export that make-fixtures.sh wrote with the model's
// scores; the types follow from the pieces as spm_train assigns them.
SpmVocab kjv_spm_vocab() {
  const auto model = load_sentencepiece(test::fixture("kjv-bpe.model"));
  const std::string bin = test::read_file(test::fixture("kjv-bpe.bin"));
  SpmVocab v;
  size_t at = 4;
  for (int id = 0; id < model->vocab_size(); ++id) {
    float score;
    int32_t len;
    std::memcpy(&score, bin.data() + at, 4);
    std::memcpy(&len, bin.data() + at + 4, 4);
    at += 8 + static_cast<size_t>(len);
    const std::string p = model->piece(id);
    v.pieces.push_back(p);
    v.scores.push_back(score);
    v.types.push_back(id == 0                          ? TokenType::unknown
                      : id == 1 || id == 2             ? TokenType::control
                      : utf8::byte_piece_value(p) >= 0 ? TokenType::byte
                                                       : TokenType::normal);
  }
  return v;
}

void check_against_reference(const Tokenizer& t) {
  const auto ref = test::reference();
  REQUIRE(t.vocab_size() == ref.vocab_size);
  CHECK(t.bos_id() == ref.bos_id);
  CHECK(t.eos_id() == ref.eos_id);
  CHECK(t.unk_id() == ref.unk_id);
  CHECK(t.adds_bos());
  REQUIRE(ref.encode.size() == 29);
  for (const auto& c : ref.encode) {
    INFO("text: \"" << c.text << "\"");
    CHECK(t.encode(c.text, false) == c.ids);
    CHECK(t.encode(c.text, true) == c.ids_bos);
    CHECK(t.encode(c.text) == c.ids_bos);
    std::vector<std::string> pieces;
    for (int id : c.ids) pieces.push_back(t.piece(id));
    CHECK(pieces == c.pieces);
    CHECK(t.decode(c.ids) == c.decoded);
    CHECK(t.decode(c.ids_bos) == c.decoded);
  }
  REQUIRE(ref.decode.size() == 7);
  for (const auto& c : ref.decode) {
    INFO("ids: " << Catch::Detail::stringify(c.ids));
    CHECK(t.decode(c.ids) == c.decoded);
  }
}

}  // namespace

TEST_CASE("tokenizer.model through libsentencepiece equals SentencePiece's Python library") {
  const auto t = load_tokenizer(test::fixture("kjv-bpe.model"));
  CHECK(t->kind() == "sentencepiece");
  check_against_reference(*t);
  CHECK(t->piece(13) == "<0x0A>");
  CHECK(t->is_special(1));
  CHECK_FALSE(t->is_special(13));
}

TEST_CASE("an in-memory SentencePiece vocabulary (the GGUF path) equals SentencePiece's Python library") {
  const auto t = make_spm_tokenizer(kjv_spm_vocab(), "kjv vocabulary");
  CHECK(t->kind() == "spm-vocab");
  check_against_reference(*t);
}

TEST_CASE("ids outside the vocabulary are an error naming the id") {
  const auto t = load_tokenizer(test::fixture("kjv-bpe.model"));
  CHECK_THROWS_WITH(t->decode(std::vector<int>{5, 1000}), Catch::Contains("1000") && Catch::Contains("0..999"));
  CHECK_THROWS_AS(t->piece(-1), TokenizerError);
}
