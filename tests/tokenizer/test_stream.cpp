// StreamDecoder: generated ids turned into text as they come, only at whole UTF-8 characters, adding up to
// decode() of all the ids, for every kind of tokenizer.
#include <catch2/catch.hpp>
#include <fstream>

#include "tests/support/temp_dir.h"
#include "tests/tokenizer/hf_files.h"
#include "tests/tokenizer/reference.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

using namespace kvscope;
using namespace kvscope::tokenizer;
using Ids = std::vector<int>;

namespace {

bool whole_utf8(const std::string& s) { return utf8::lossy(s) == s; }

// Streams `ids` and checks each piece is whole UTF-8 without U+FFFD (when the full text has none) and that the
// pieces add up to decode(). Returns the pieces.
std::vector<std::string> stream(const Tokenizer& t, const Ids& ids) {
  StreamDecoder decoder(t);
  std::vector<std::string> pieces;
  std::string all;
  const std::string expected = t.decode(ids);
  const bool clean = expected.find(utf8::kReplacement) == std::string::npos;
  for (int id : ids) {
    pieces.push_back(decoder.push(id));
    CHECK(whole_utf8(pieces.back()));
    if (clean) CHECK(pieces.back().find(utf8::kReplacement) == std::string::npos);
    all += pieces.back();
  }
  all += decoder.finish();
  CHECK(all == expected);
  return pieces;
}

}  // namespace

TEST_CASE("streamed text appears at whole characters and adds up to decode(), for every reference string") {
  test::TempDir dir("tokenizer");
  std::ofstream(dir / "tokenizer.json") << test::kSpStyleJson;
  const auto sp = load_tokenizer(test::fixture("kjv-bpe.model"));
  const auto bin = load_tokenizer(test::fixture("kjv-bpe.bin"));
  const auto hf = load_tokenizer(dir.path);
  const auto ref = test::reference();
  for (const auto& c : ref.encode) {
    INFO("text: \"" << c.text << "\"");
    stream(*sp, c.ids_bos);
    stream(*bin, bin->encode(c.text));
    stream(*hf, hf->encode(c.text));
  }
}

TEST_CASE("an emoji made of four byte tokens streams once, with its last byte") {
  const auto sp = load_tokenizer(test::fixture("kjv-bpe.model"));
  // "emoji 🙂 smile": ▁e m o j i ▁ <0xF0> <0x9F> <0x99> <0x82> ▁sm i le (reference.json)
  const Ids ids = sp->encode("emoji 🙂 smile");
  REQUIRE(ids == Ids{1, 315, 960, 954, 996, 957, 948, 243, 162, 156, 133, 935, 957, 371});
  const auto pieces = stream(*sp, ids);
  CHECK(pieces == std::vector<std::string>{"", "e", "m", "o", "j", "i", " ", "", "", "", "🙂", " sm", "i", "le"});
}

TEST_CASE("a byte-level character split across two tokens streams once") {
  test::TempDir dir("tokenizer");
  std::string json = test::kByteLevelJson;
  json.replace(json.find("PRE_TOKENIZER"), 13, test::kGpt2PreTokenizer);
  std::ofstream(dir / "tokenizer.json") << json;
  const auto t = load_tokenizer(dir.path);
  CHECK(stream(*t, Ids{21, 27, 28, 24}) == std::vector<std::string>{"Hello", "", "🙂", " world"});
}

TEST_CASE("finish() gives what an incomplete character left, as decode() does") {
  const auto sp = load_tokenizer(test::fixture("kjv-bpe.model"));
  StreamDecoder decoder(*sp);
  CHECK(decoder.push(262) == "a");   // ▁a
  CHECK(decoder.push(243).empty());  // <0xF0>: the start of a 4-byte character
  CHECK(decoder.finish() == utf8::kReplacement);
  CHECK(decoder.ids() == Ids{262, 243});
}
