// Hugging Face tokenizer.json. There is no reference implementation in Debian (no `tokenizers` crate or Python
// module), so the files are small and their expected ids are worked out by hand in the comments below, following
// the rules of the tokenizers library (hf_files.h lists each file's ids and merges).
#include <catch2/catch.hpp>

#include "tests/support/temp_dir.h"
#include "tests/tokenizer/hf_files.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"

using namespace kvscope;
using namespace kvscope::tokenizer;
using Ids = std::vector<int>;

namespace {

std::string with_pre_tokenizer(const std::string& pre_tokenizer) {
  std::string json = test::kByteLevelJson;
  json.replace(json.find("PRE_TOKENIZER"), 13, pre_tokenizer);
  return json;
}

// The SentencePiece-style expectations, shared by the file and by the same vocabulary built in memory.
void check_sentencepiece_style(const Tokenizer& t) {
  CHECK(t.kind() == "hf-bpe");
  CHECK(t.vocab_size() == 25);
  CHECK(t.bos_id() == 1);
  CHECK(t.eos_id() == 2);
  CHECK(t.unk_id() == 0);
  CHECK(t.adds_bos());
  // "the and" -> "▁the▁and" -> ▁ t h e ▁ a n d; ranks 0 ▁t, 1 he, 2 ▁the, 3 an, 4 and, 5 ▁and.
  CHECK(t.encode("the and") == Ids{1, 20, 23});
  CHECK(t.encode("the and", false) == Ids{20, 23});
  // " the" -> "▁▁the": ▁ ▁ t h e. The leftmost pair ▁▁ has rank 6; ▁t (rank 0) goes first, then he, then ▁the,
  // and "▁ ▁the" is no merge: [▁, ▁the].
  CHECK(t.encode(" the", false) == Ids{11, 20});
  // "  " -> "▁▁▁": two ▁▁ pairs of rank 6, the leftmost merges: [▁▁, ▁].
  CHECK(t.encode("  ", false) == Ids{24, 11});
  CHECK(t.encode("", false).empty());
  CHECK(t.encode("") == Ids{1});
  // Byte fallback: "\n" is not in the vocabulary, <0x0A> is; 🙂 is F0 9F 99 82, 中 is E4 B8 AD.
  CHECK(t.encode("the\n", false) == Ids{20, 3});
  CHECK(t.encode("\n", false) == Ids{11, 3});
  CHECK(t.encode("🙂", false) == Ids{11, 4, 5, 6, 7});
  CHECK(t.encode("中", false) == Ids{11, 8, 9, 10});
  // "x" has neither a token nor a byte token (<0x78>): <unk>; fuse_unk makes "xx" one <unk>.
  CHECK(t.encode("x", false) == Ids{11, 0});
  CHECK(t.encode("xx", false) == Ids{11, 0});
  CHECK(t.encode("xtx", false) == Ids{11, 0, 12, 0});
  // Added tokens are split out first; the text after <s> is normalized on its own, so it gets its own ▁.
  CHECK(t.encode("<s>the", false) == Ids{1, 20});
  CHECK(t.encode("<s>the") == Ids{1, 1, 20});

  // Decoder: Replace ▁ -> " ", ByteFallback, Fuse, Strip one leading space; <s>, </s>, <unk> skipped.
  CHECK(t.decode(Ids{1, 20, 23, 2}) == "the and");
  CHECK(t.decode(Ids{11, 20}) == " the");
  CHECK(t.decode(Ids{24, 11}) == "  ");
  CHECK(t.decode(Ids{11, 4, 5, 6, 7}) == "🙂");
  CHECK(t.decode(Ids{20, 3, 11, 8, 9, 10}) == "the\n 中");
  CHECK(t.decode(Ids{4, 5}) == "\xEF\xBF\xBD\xEF\xBF\xBD");  // an incomplete character: U+FFFD for each byte
  CHECK(t.decode(Ids{20, 0, 23}) == "the and");
  CHECK(t.piece(20) == "▁the");
  CHECK(t.piece(3) == "<0x0A>");
  CHECK(t.is_special(1));
  CHECK_FALSE(t.is_special(20));
}

void check_byte_level_gpt2(const Tokenizer& t) {
  CHECK(t.kind() == "hf-byte-level-bpe");
  CHECK(t.vocab_size() == 30);
  CHECK(t.bos_id() == -1);
  CHECK_FALSE(t.adds_bos());
  CHECK(t.unk_id() == -1);
  // GPT-2's pattern: "Hello" " world" " 42" "!" -> Hello; Ġworld (Ġw, or, Ġwor, Ġworl, Ġworld); Ġ 4 2: "Ġ 4" has
  // rank 0, "4 2" rank 10, so [Ġ4, 2]; and !.
  CHECK(t.encode("Hello world 42!") == Ids{21, 24, 26, 9, 10});
  // "Hello  world": \s+(?!\S) takes the first space alone, the second goes with "world".
  CHECK(t.encode("Hello  world") == Ids{21, 4, 24});
  CHECK(t.encode("Hello\n") == Ids{21, 11});
  CHECK(t.encode("🙂") == Ids{27, 28});  // ð Ł Ļ Ĥ: merges 11 and 12
  CHECK(t.encode("Hello<|endoftext|>Hello") == Ids{21, 29, 21});
  CHECK(t.decode(Ids{21, 24, 26, 9, 10}) == "Hello world 42!");
  CHECK(t.decode(Ids{21, 4, 24, 11}) == "Hello  world\n");
  CHECK(t.decode(Ids{27, 28}) == "🙂");
  CHECK(t.decode(Ids{27}) == "\xEF\xBF\xBD");  // F0 9F, an incomplete character: one U+FFFD (from_utf8_lossy)
  CHECK(t.decode(Ids{21, 29}) == "Hello");     // <|endoftext|> is special
  CHECK(t.piece(24) == "Ġworld");
}

}  // namespace

TEST_CASE("tokenizer.json, SentencePiece-style BPE with byte fallback (LLaMA 2, TinyLlama)") {
  test::TempDir dir("tokenizer");
  const auto file = dir.write("tokenizer.json", test::kSpStyleJson);
  check_sentencepiece_style(*load_tokenizer(file));
  check_sentencepiece_style(*load_tokenizer(dir.path));  // a directory: its tokenizer.json
}

TEST_CASE("tokenizer.json, the older Metaspace form, merges as pairs") {
  test::TempDir dir("tokenizer");
  const auto t = load_tokenizer(dir.write("tokenizer.json", test::kMetaspaceJson));
  CHECK(t->kind() == "hf-bpe");
  CHECK(t->adds_bos());
  // Metaspace: spaces become ▁, ▁ is put first unless the text starts with one, then split before each ▁.
  CHECK(t->encode("the and") == Ids{1, 20, 23});  // "▁the" "▁and"
  CHECK(t->encode(" the", false) == Ids{20});     // already starts with ▁: nothing prepended (unlike SentencePiece)
  CHECK(t->encode("  ", false) == Ids{11, 11});   // "▁" "▁": each split on its own
  CHECK(t->encode("the\n", false) == Ids{20, 3});
  // Metaspace decoder: ▁ -> " ", the first token's ▁ dropped.
  CHECK(t->decode(Ids{1, 20, 23}) == "the and");
  CHECK(t->decode(Ids{11, 11}) == " ");
}

TEST_CASE("tokenizer.json, byte-level BPE with GPT-2's ByteLevel pre-tokenizer (SmolLM, GPT-2)") {
  test::TempDir dir("tokenizer");
  check_byte_level_gpt2(*load_tokenizer(dir.write("tokenizer.json", with_pre_tokenizer(test::kGpt2PreTokenizer))));
}

TEST_CASE("tokenizer.json, byte-level BPE with Llama 3's Split regex read from the file") {
  test::TempDir dir("tokenizer");
  const auto t = load_tokenizer(dir.write("tokenizer.json", with_pre_tokenizer(test::kLlama3PreTokenizer)));
  CHECK(t->kind() == "hf-byte-level-bpe");
  // Llama 3's pattern keeps digits apart from the space before them: "Hello" " world" " " "42" "!", so the
  // rank-0 merge "Ġ 4" never sees its pair: [Ġ, 42] where GPT-2's pattern gives [Ġ4, 2].
  CHECK(t->encode("Hello world 42!") == Ids{21, 24, 4, 25, 10});
  CHECK(t->encode("Hello  world") == Ids{21, 4, 24});
  CHECK(t->encode("🙂") == Ids{27, 28});
  CHECK(t->decode(Ids{21, 24, 4, 25, 10}) == "Hello world 42!");
}

TEST_CASE("tokenizer_config.json beside tokenizer.json sets BOS and the special tokens") {
  test::TempDir dir("tokenizer");
  dir.write("tokenizer.json", with_pre_tokenizer(test::kGpt2PreTokenizer));
  dir.write("tokenizer_config.json",
            R"({"add_bos_token": true, "bos_token": {"content": "<|endoftext|>", "special": true},
            "eos_token": "<|endoftext|>", "unk_token": null})");
  const auto t = load_tokenizer(dir.path);
  CHECK(t->adds_bos());
  CHECK(t->bos_id() == 29);
  CHECK(t->eos_id() == 29);
  CHECK(t->encode("Hello") == Ids{29, 21});
  CHECK(t->encode("Hello", false) == Ids{21});

  // add_bos_token false overrides the template's <s>.
  test::TempDir sp("tokenizer");
  sp.write("tokenizer.json", test::kSpStyleJson);
  sp.write("tokenizer_config.json", R"({"add_bos_token": false, "bos_token": "<s>", "eos_token": "</s>"})");
  const auto u = load_tokenizer(sp.path);
  CHECK_FALSE(u->adds_bos());
  CHECK(u->bos_id() == 1);
  CHECK(u->encode("the") == Ids{20});
}

TEST_CASE("tokenizer.json, character level with no merges (the trained kjv-char model's kind)") {
  test::TempDir dir("tokenizer");
  const auto t = load_tokenizer(dir.write("tokenizer.json", test::kCharJson));
  CHECK(t->kind() == "hf-bpe");
  CHECK(t->vocab_size() == 10);
  CHECK(t->adds_bos());
  CHECK(t->bos_id() == 1);
  CHECK(t->eos_id() == 2);
  CHECK(t->unk_id() == 0);
  // One id per character; no dummy prefix; Z is unknown (fuse_unk false: one <unk> per character).
  CHECK(t->encode("abc ca\n") == Ids{1, 5, 6, 7, 4, 7, 5, 3});
  CHECK(t->encode("aZZb", false) == Ids{5, 0, 0, 6});
  CHECK(t->encode("  T.", false) == Ids{4, 4, 8, 9});
  CHECK(t->encode("") == Ids{1});
  // Fuse decoder: the characters joined; <s>, </s> and <unk> (special) skipped.
  CHECK(t->decode(Ids{1, 8, 4, 5, 9, 3, 2}) == "T a.\n");
  CHECK(t->decode(Ids{5, 0, 6}) == "ab");
  CHECK(t->piece(3) == "\n");
}

TEST_CASE("a vocabulary built in memory (the GGUF path) tokenizes as the tokenizer.json it came from") {
  BpeVocab sp;
  sp.tokens = {"<unk>",  "<s>",    "</s>", "<0x0A>", "<0xF0>", "<0x9F>", "<0x99>", "<0x82>", "<0xE4>",
               "<0xB8>", "<0xAD>", "▁",    "t",      "h",      "e",      "a",      "n",      "d",
               "▁t",     "he",     "▁the", "an",     "and",    "▁and",   "▁▁"};
  sp.merges = {{"▁", "t"}, {"h", "e"}, {"▁t", "he"}, {"a", "n"}, {"an", "d"}, {"▁", "and"}, {"▁", "▁"}};
  sp.added = {{0, "<unk>", true}, {1, "<s>", true}, {2, "</s>", true}};
  sp.unk_id = 0;
  sp.fuse_unk = true;
  sp.bos_id = 1;
  sp.eos_id = 2;
  sp.add_bos = true;
  use_sentencepiece_style_pipeline(sp);
  check_sentencepiece_style(*make_bpe_tokenizer(sp, "test vocabulary"));

  BpeVocab bl;
  bl.tokens = {"H",    "e",     "l",    "o",     "Ġ",      "w",  "r",  "d",  "4",  "2",
               "!",    "Ċ",     "ð",    "Ł",     "Ļ",      "Ĥ",  "ll", "Ġw", "or", "He",
               "Hell", "Hello", "Ġwor", "Ġworl", "Ġworld", "42", "Ġ4", "ðŁ", "ĻĤ", "<|endoftext|>"};
  bl.merges = {{"Ġ", "4"},   {"l", "l"},    {"Ġ", "w"},     {"o", "r"}, {"H", "e"}, {"He", "ll"}, {"Hell", "o"},
               {"Ġw", "or"}, {"Ġwor", "l"}, {"Ġworl", "d"}, {"4", "2"}, {"ð", "Ł"}, {"Ļ", "Ĥ"}};
  bl.added = {{29, "<|endoftext|>", true}};
  bl.eos_id = 29;
  use_byte_level_pipeline(bl);  // GPT-2's pattern
  check_byte_level_gpt2(*make_bpe_tokenizer(bl, "test vocabulary"));
}
