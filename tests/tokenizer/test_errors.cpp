// A tokenizer file that is malformed gets one error, on one line, naming the file and what is wrong.
#include <catch2/catch.hpp>

#include "tests/support/temp_dir.h"
#include "tests/tokenizer/hf_files.h"
#include "tests/tokenizer/reference.h"
#include "tokenizer/tokenizer.h"

using namespace kvscope;
using namespace kvscope::tokenizer;

namespace {

// The message load_tokenizer throws for `path`; checks it is one line naming the file.
std::string error_of(const std::filesystem::path& path, const LoadOptions& options = {}) {
  try {
    load_tokenizer(path, options);
  } catch (const TokenizerError& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(what.find('\n') == std::string::npos);
    CHECK(what.find(path.string()) != std::string::npos);
    return what;
  }
  FAIL("no error for " << path);
  return "";
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  s.replace(s.find(from), from.size(), to);
  return s;
}

}  // namespace

TEST_CASE("a truncated SentencePiece model") {
  test::TempDir dir("tokenizer");
  const std::string model = test::read_file(test::fixture("kjv-bpe.model"));
  CHECK_THAT(error_of(dir.write("tokenizer.model", model.substr(0, 1000))),
             Catch::Contains("not a valid SentencePiece model"));
  CHECK_THAT(error_of(dir.write("x.model", "\x0A\xFF\xFF\xFF")), Catch::Contains("SentencePiece"));
}

TEST_CASE("tokenizer.json with a JSON syntax error, or not a BPE tokenizer") {
  test::TempDir dir("tokenizer");
  CHECK_THAT(error_of(dir.write("tokenizer.json", R"({"model": {"type": "BPE", "vocab": {"a": 0,}}})")),
             Catch::Contains("not valid JSON") && Catch::Contains("line 1"));
  CHECK_THAT(error_of(dir.write("t.json", "{\"model\": \n")), Catch::Contains("not valid JSON"));
  // Found by fuzz_tokenizer_json: a number too large for a double was the JSON library's own exception.
  CHECK_THAT(error_of(dir.write("big.json", "[4444444.8888e888]")),
             Catch::Contains("big.json") && Catch::Contains("not valid JSON") && Catch::Contains("number overflow"));
  CHECK_THAT(error_of(dir.write("wp.json", R"({"model": {"type": "WordPiece", "vocab": {"a": 0}}})")),
             Catch::Contains("model type \"WordPiece\" is not supported"));
  CHECK_THAT(error_of(dir.write("u.json", R"({"model": {"type": "Unigram", "vocab": [["a", 0.0]]}})")),
             Catch::Contains("\"Unigram\""));
  CHECK_THAT(error_of(dir.write("nomodel.json", R"({"version": "1.0"})")), Catch::Contains("no \"model\""));
  CHECK_THAT(error_of(dir.write("vocab.json", R"({"model": {"type": "BPE", "vocab": ["a"]}})")),
             Catch::Contains("model.vocab is not an object"));
  CHECK_THAT(
      error_of(dir.write("norm.json", replace(test::kSpStyleJson, "\"Prepend\", \"prepend\": \"▁\"", "\"NFKC\""))),
      Catch::Contains("normalizer type \"NFKC\" is not supported"));
  CHECK_THAT(
      error_of(dir.write("regex.json",
                         replace(test::kByteLevelJson, "PRE_TOKENIZER",
                                 R"({"type": "Split", "pattern": {"Regex": "(\\p{L}+"}, "behavior": "Isolated"})"))),
      Catch::Contains("regex does not compile"));
}

TEST_CASE("tokenizer.json whose merges name unknown tokens") {
  test::TempDir dir("tokenizer");
  CHECK_THAT(error_of(dir.write("tokenizer.json", replace(test::kSpStyleJson, "\"h e\"", "\"h q\""))),
             Catch::Contains("merge 1 (\"h q\") names \"q\", which is not in the vocabulary"));
  // The merged token must be in the vocabulary too.
  CHECK_THAT(error_of(dir.write("t2.json", replace(test::kSpStyleJson, "\"▁ ▁\"", "\"t t\""))),
             Catch::Contains("makes \"tt\""));
  CHECK_THAT(error_of(dir.write("t3.json", replace(test::kSpStyleJson, "\"▁ ▁\"", "\"▁▁\""))),
             Catch::Contains("not two tokens separated by one space"));
}

TEST_CASE("a truncated llama2.c tokenizer.bin") {
  test::TempDir dir("tokenizer");
  const std::string bin = test::read_file(test::fixture("kjv-bpe.bin"));
  CHECK_THAT(error_of(dir.write("tokenizer.bin", bin.substr(0, 500))), Catch::Contains("truncated"));
  CHECK_THAT(error_of(dir.write("short.bin", bin.substr(0, 2))), Catch::Contains("truncated"));
  CHECK_THAT(error_of(dir.write("big.bin", bin), {.vocab_size = 2000}), Catch::Contains("truncated"));
}

TEST_CASE("empty files, files of no tokenizer format, missing paths, directories without tokenizer files") {
  test::TempDir dir("tokenizer");
  for (const char* name : {"tokenizer.json", "tokenizer.model", "tokenizer.bin", "vocab.txt"}) {
    CHECK_THAT(error_of(dir.write(name, "")), Catch::Contains("empty file"));
  }
  CHECK_THAT(error_of(dir.write("notes.txt", "just some text\n")), Catch::Contains("not a tokenizer"));
  CHECK_THAT(error_of(dir / "missing.json"), Catch::Contains("no such file or directory"));
  test::TempDir empty("tokenizer");
  empty.write("config.json", "{}");
  CHECK_THAT(error_of(empty.path), Catch::Contains("no tokenizer.json, tokenizer.model or tokenizer.bin"));
}

TEST_CASE("files are recognised by content, whatever their names") {
  test::TempDir dir("tokenizer");
  CHECK(load_tokenizer(dir.write("a", test::read_file(test::fixture("kjv-bpe.model"))))->kind() == "sentencepiece");
  CHECK(load_tokenizer(dir.write("b", test::read_file(test::fixture("kjv-bpe.bin"))))->kind() == "llama2.c");
  CHECK(load_tokenizer(dir.write("c", test::kCharJson))->kind() == "hf-bpe");
  // A directory prefers tokenizer.json to tokenizer.model.
  dir.write("tokenizer.model", test::read_file(test::fixture("kjv-bpe.model")));
  CHECK(load_tokenizer(dir.path)->kind() == "sentencepiece");
  dir.write("tokenizer.json", test::kCharJson);
  CHECK(load_tokenizer(dir.path)->kind() == "hf-bpe");
}
