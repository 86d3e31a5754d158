// A GGUF file's embedded vocabulary (tokenizer.ggml.*). The files are written as llama.cpp's converters write
// them, vocabulary only (no tensors, like llama.cpp's models/ggml-vocab-*.gguf test files), from tokenizers the
// other tests already check against their references: the SentencePiece fixture (pieces, scores and types read
// with libsentencepiece, as convert_hf_to_gguf.py reads them with SentencePiece's Python module) as model
// "llama", and the byte-level tokenizer.json files of hf_files.h as model "gpt2". The GGUF tokenizer must give
// exactly the ids and text the original gives.
#include <sentencepiece_processor.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/files.h"
#include "tests/support/gguf_writer.h"
#include "tests/support/temp_dir.h"
#include "tests/tokenizer/hf_files.h"
#include "tests/tokenizer/reference.h"
#include "tokenizer/tokenizer.h"

using namespace kvscope;
using namespace kvscope::tokenizer;
using core::GgufArray;
using core::GgufValue;
using Ids = std::vector<int>;

namespace {

GgufValue str(const std::string& s) { return GgufValue(s); }
GgufValue strings(std::vector<std::string> v) { return GgufValue(GgufArray{std::move(v)}); }
GgufValue f32s(std::vector<float> v) { return GgufValue(GgufArray{std::move(v)}); }
GgufValue i32s(std::vector<int32_t> v) { return GgufValue(GgufArray{std::move(v)}); }
GgufValue u32(uint32_t v) { return GgufValue(v); }
GgufValue boolean(bool v) { return GgufValue(v); }

// The metadata of one vocabulary, in the order written; tests replace or remove single keys.
struct Vocab {
  std::vector<std::pair<std::string, GgufValue>> entries;

  Vocab& set(const std::string& key, GgufValue value) {
    for (auto& [k, v] : entries) {
      if (k == key) {
        v = std::move(value);
        return *this;
      }
    }
    entries.emplace_back(key, std::move(value));
    return *this;
  }
  Vocab& erase(const std::string& key) {
    std::erase_if(entries, [&](const auto& e) { return e.first == key; });
    return *this;
  }
  std::filesystem::path write(const std::filesystem::path& path) const {
    test::GgufWriter w;
    for (const auto& [k, v] : entries) w.add(k, v);
    w.write(path);
    return path;
  }
};

// kjv-bpe.model as convert_hf_to_gguf.py's _create_vocab_sentencepiece writes it: every piece with its score
// and type (1 normal, 2 unknown, 3 control, 5 unused, 6 byte), the special ids, add_bos and add_space_prefix.
Vocab kjv_llama_vocab() {
  sentencepiece::SentencePieceProcessor sp;
  const auto status = sp.Load(test::fixture("kjv-bpe.model"));
  REQUIRE(status.ok());
  std::vector<std::string> pieces;
  std::vector<float> scores;
  std::vector<int32_t> types;
  for (int id = 0; id < sp.GetPieceSize(); ++id) {
    pieces.push_back(sp.IdToPiece(id));
    scores.push_back(sp.GetScore(id));
    types.push_back(sp.IsUnknown(id) ? 2 : sp.IsControl(id) ? 3 : sp.IsUnused(id) ? 5 : sp.IsByte(id) ? 6 : 1);
  }
  Vocab v;
  v.set("general.architecture", str("llama"))
      .set("tokenizer.ggml.model", str("llama"))
      .set("tokenizer.ggml.tokens", strings(pieces))
      .set("tokenizer.ggml.scores", f32s(scores))
      .set("tokenizer.ggml.token_type", i32s(types))
      .set("tokenizer.ggml.bos_token_id", u32(static_cast<uint32_t>(sp.bos_id())))
      .set("tokenizer.ggml.eos_token_id", u32(static_cast<uint32_t>(sp.eos_id())))
      .set("tokenizer.ggml.unknown_token_id", u32(static_cast<uint32_t>(sp.unk_id())))
      .set("tokenizer.ggml.add_bos_token", boolean(true))
      .set("tokenizer.ggml.add_space_prefix", boolean(true));
  return v;
}

// A byte-level tokenizer.json (hf_files.h) as convert_hf_to_gguf.py's _set_vocab_gpt2 writes it: the tokens by
// id, the merges as "a b", added tokens typed 3 (special) or 4 (not), the rest 1; `pre` names the pre-tokenizer.
Vocab gpt2_vocab_from_json(const std::string& json_text, const std::string& pre) {
  const auto j = nlohmann::json::parse(json_text);
  std::vector<std::string> tokens(j.at("model").at("vocab").size());
  std::vector<int32_t> types(tokens.size(), 1);
  for (const auto& [token, id] : j.at("model").at("vocab").items()) tokens.at(id.get<size_t>()) = token;
  for (const auto& a : j.at("added_tokens")) {
    const size_t id = a.at("id");
    REQUIRE(tokens.at(id) == a.at("content").get<std::string>());
    types.at(id) = a.at("special").get<bool>() ? 3 : 4;
  }
  std::vector<std::string> merges;
  for (const auto& m : j.at("model").at("merges")) merges.push_back(m);
  Vocab v;
  v.set("general.architecture", str("gpt2"))
      .set("tokenizer.ggml.model", str("gpt2"))
      .set("tokenizer.ggml.pre", str(pre))
      .set("tokenizer.ggml.tokens", strings(tokens))
      .set("tokenizer.ggml.token_type", i32s(types))
      .set("tokenizer.ggml.merges", strings(merges))
      .set("tokenizer.ggml.eos_token_id", u32(29));
  return v;
}

std::string byte_level_json(const std::string& pre_tokenizer, bool ignore_merges = false) {
  std::string json = test::kByteLevelJson;
  json.replace(json.find("PRE_TOKENIZER"), 13, pre_tokenizer);
  if (ignore_merges) {
    const std::string off = "\"ignore_merges\": false";
    json.replace(json.find(off), off.size(), "\"ignore_merges\": true");
  }
  return json;
}

std::filesystem::path write_text(const test::TempDir& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir / name, std::ios::binary) << text;
  return dir / name;
}

// ASCII, spaces (leading, trailing, runs), newlines, tabs, accents, emoji, CJK, the empty string, special tokens
// typed as text.
const std::vector<std::string> kTexts = {
    "In the beginning God created the heaven and the earth.",
    "Hello world 42!",
    "Hello  world",
    " leading space",
    "trailing space ",
    "   runs   of    spaces   ",
    "line one\nline two\n\n",
    "\ttab\r\nCRLF",
    "café déjà vu, naïve Zoë",
    "🙂 and 👍🏽",
    "中文字符 日本語",
    "",
    " ",
    "\n",
    "it's 12345 o'clock",
    "<s>typed</s> and <|endoftext|>",
};

// The GGUF tokenizer against the original, on every text and every id.
void check_same(const Tokenizer& gguf, const Tokenizer& original) {
  REQUIRE(gguf.vocab_size() == original.vocab_size());
  CHECK(gguf.bos_id() == original.bos_id());
  CHECK(gguf.eos_id() == original.eos_id());
  CHECK(gguf.unk_id() == original.unk_id());
  CHECK(gguf.adds_bos() == original.adds_bos());
  for (int id = 0; id < original.vocab_size(); ++id) {
    INFO("id " << id);
    CHECK(gguf.piece(id) == original.piece(id));
    CHECK(gguf.is_special(id) == original.is_special(id));
  }
  for (const auto& text : kTexts) {
    INFO("text: \"" << text << "\"");
    const Ids ids = original.encode(text, false);
    CHECK(gguf.encode(text, false) == ids);
    CHECK(gguf.encode(text, true) == original.encode(text, true));
    CHECK(gguf.encode(text) == original.encode(text));
    CHECK(gguf.decode(ids) == original.decode(ids));
  }
}

// The message load_tokenizer throws for `path`: one line, starting with the file's name.
std::string load_error(const std::filesystem::path& path) {
  try {
    load_tokenizer(path);
  } catch (const TokenizerError& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(what.find('\n') == std::string::npos);
    CHECK(what.rfind(path.string() + ": ", 0) == 0);
    return what;
  }
  FAIL("no error for " << path);
  return "";
}

}  // namespace

TEST_CASE("a llama GGUF vocabulary written from tokenizer.model tokenizes as SentencePiece does") {
  test::TempDir dir("gguf-vocab");
  // Recognised by content: no .gguf extension needed (llama.cpp's test files are ggml-vocab-NAME.gguf).
  const auto file = kjv_llama_vocab().write(dir / "ggml-vocab-kjv");
  const auto t = load_tokenizer(file);
  CHECK(t->kind() == "spm-vocab");
  CHECK(load_gguf_vocabulary(file)->vocab_size() == t->vocab_size());

  // SentencePiece's Python library's ids, pieces and text on the 29 reference strings and 7 id sequences.
  const auto ref = test::reference();
  REQUIRE(t->vocab_size() == ref.vocab_size);
  CHECK(t->bos_id() == ref.bos_id);
  CHECK(t->eos_id() == ref.eos_id);
  CHECK(t->unk_id() == ref.unk_id);
  CHECK(t->adds_bos());
  REQUIRE(ref.encode.size() == 29);
  for (const auto& c : ref.encode) {
    INFO("text: \"" << c.text << "\"");
    CHECK(t->encode(c.text, false) == c.ids);
    CHECK(t->encode(c.text) == c.ids_bos);
    std::vector<std::string> pieces;
    for (int id : c.ids) pieces.push_back(t->piece(id));
    CHECK(pieces == c.pieces);
    CHECK(t->decode(c.ids_bos) == c.decoded);
  }
  for (const auto& c : ref.decode) {
    INFO("ids: " << Catch::Detail::stringify(c.ids));
    CHECK(t->decode(c.ids) == c.decoded);
  }

  // libsentencepiece on the model itself, on more texts and on every id.
  const auto original = load_tokenizer(test::fixture("kjv-bpe.model"));
  check_same(*t, *original);
  CHECK(t->encode("In the beginning", false).size() < std::string("In the beginning").size());
  CHECK(t->piece(13) == "<0x0A>");
}

TEST_CASE("a llama GGUF vocabulary's add_bos_token and add_space_prefix, and their defaults") {
  test::TempDir dir("gguf-vocab");
  const auto with = load_tokenizer(kjv_llama_vocab().write(dir / "with.gguf"));
  const auto defaults = load_tokenizer(kjv_llama_vocab()
                                           .erase("tokenizer.ggml.add_bos_token")
                                           .erase("tokenizer.ggml.add_space_prefix")
                                           .write(dir / "defaults.gguf"));
  CHECK(defaults->adds_bos());
  CHECK(defaults->encode("the earth") == with->encode("the earth"));

  const auto no_bos = load_tokenizer(
      kjv_llama_vocab().set("tokenizer.ggml.add_bos_token", boolean(false)).write(dir / "nb.gguf"));
  CHECK_FALSE(no_bos->adds_bos());
  CHECK(no_bos->encode("the earth") == with->encode("the earth", false));
  CHECK(no_bos->encode("the earth", true) == with->encode("the earth", true));

  // Without the dummy prefix, "the" is not "▁the": the first piece has no ▁.
  const auto no_prefix = load_tokenizer(
      kjv_llama_vocab().set("tokenizer.ggml.add_space_prefix", boolean(false)).write(dir / "np.gguf"));
  const Ids ids = no_prefix->encode("the earth", false);
  REQUIRE(!ids.empty());
  CHECK(no_prefix->piece(ids.front()).rfind("\xE2\x96\x81", 0) == std::string::npos);
  CHECK(with->piece(with->encode("the earth", false).front()).rfind("\xE2\x96\x81", 0) == 0);
  CHECK(no_prefix->decode(ids) == "the earth");

  // Without token types, byte pieces are told by their spelling, the rest are normal.
  const auto untyped = load_tokenizer(kjv_llama_vocab().erase("tokenizer.ggml.token_type").write(dir / "nt.gguf"));
  CHECK(untyped->encode("the earth\n") == with->encode("the earth\n"));
}

TEST_CASE("a gpt2 GGUF vocabulary written from a byte-level tokenizer.json (GPT-2's pattern)") {
  test::TempDir dir("gguf-vocab");
  const std::string json = byte_level_json(test::kGpt2PreTokenizer);
  const auto original = load_tokenizer(write_text(dir, "tokenizer.json", json));
  for (const char* pre : {"gpt2", "gpt-2", "default"}) {
    INFO("tokenizer.ggml.pre " << pre);
    const auto t = load_tokenizer(gpt2_vocab_from_json(json, pre).write(dir / "gpt2.gguf"));
    CHECK(t->kind() == "hf-byte-level-bpe");
    check_same(*t, *original);
    // The ids worked out by hand in test_hf_json.cpp.
    CHECK(t->encode("Hello world 42!") == Ids{21, 24, 26, 9, 10});
    CHECK(t->encode("Hello<|endoftext|>Hello") == Ids{21, 29, 21});
    CHECK(t->decode(Ids{21, 4, 24, 11}) == "Hello  world\n");
    CHECK(t->decode(Ids{27, 28}) == "🙂");
    CHECK(t->decode(Ids{21, 29}) == "Hello");
    CHECK(t->is_special(29));
    CHECK_FALSE(t->adds_bos());
  }
  // No tokenizer.ggml.pre at all: llama.cpp's "default".
  const auto absent = load_tokenizer(
      gpt2_vocab_from_json(json, "gpt2").erase("tokenizer.ggml.pre").write(dir / "nopre.gguf"));
  CHECK(absent->encode("Hello world 42!") == Ids{21, 24, 26, 9, 10});
}

TEST_CASE("a gpt2 GGUF vocabulary with Llama 3's pre-tokenizer (llama-bpe)") {
  test::TempDir dir("gguf-vocab");
  const std::string json = byte_level_json(test::kLlama3PreTokenizer, true);
  const auto original = load_tokenizer(write_text(dir, "tokenizer.json", json));
  Vocab v = gpt2_vocab_from_json(json, "llama-bpe");
  const auto t = load_tokenizer(v.set("tokenizer.ggml.add_bos_token", boolean(false)).write(dir / "l3.gguf"));
  check_same(*t, *original);
  CHECK(t->encode("Hello world 42!") == Ids{21, 24, 4, 25, 10});

  // llama.cpp puts BOS first for the Llama 3 presets when add_bos_token is absent.
  v.erase("tokenizer.ggml.add_bos_token").set("tokenizer.ggml.bos_token_id", u32(29));
  const auto bos = load_tokenizer(v.write(dir / "l3-bos.gguf"));
  CHECK(bos->adds_bos());
  CHECK(bos->encode("Hello") == Ids{29, 21});
  CHECK(bos->decode(Ids{29, 21}) == "Hello");
}

TEST_CASE("tokenizer.ggml.pre picks llama.cpp's regexes, and ignore_merges with them") {
  test::TempDir dir("gguf-vocab");
  const std::string json = byte_level_json(test::kGpt2PreTokenizer);
  auto encode = [&](const std::string& pre, const std::string& text) {
    return load_tokenizer(gpt2_vocab_from_json(json, pre).write(dir / (pre + ".gguf")))->encode(text);
  };
  // GPT-2's pattern takes " 42" as one pre-token (Ġ4 then 2); Llama 3's keeps the space apart and the digits in
  // runs of three (42); Qwen 2's, StarCoder's and Tekken's take each digit alone.
  CHECK(encode("gpt2", "Hello world 42!") == Ids{21, 24, 26, 9, 10});
  CHECK(encode("llama3", "Hello world 42!") == Ids{21, 24, 4, 25, 10});
  CHECK(encode("dbrx", "Hello world 42!") == Ids{21, 24, 4, 25, 10});
  CHECK(encode("qwen2", "Hello world 42!") == Ids{21, 24, 4, 8, 9, 10});
  CHECK(encode("starcoder", "Hello world 42!") == Ids{21, 24, 4, 8, 9, 10});
  CHECK(encode("tekken", "Hello world 42!") == Ids{21, 24, 4, 8, 9, 10});
  CHECK(encode("gpt-4o", "Hello world 42!") == Ids{21, 24, 4, 25, 10});
  // Falcon splits punctuation first, then GPT-2's pattern.
  CHECK(encode("falcon", "Hello world 42!") == Ids{21, 24, 26, 9, 10});

  // ignore_merges (the Llama 3 presets): a pre-token that is a token is taken whole, merges or not. With no
  // merges at all, "Hello" stays one token under llama-bpe and falls to characters under dbrx (same regex).
  auto no_merges = [&](const std::string& pre) {
    return load_tokenizer(gpt2_vocab_from_json(json, pre)
                              .set("tokenizer.ggml.merges", strings({}))
                              .write(dir / (pre + "-nm.gguf")))
        ->encode("Hello", false);
  };
  CHECK(no_merges("llama-bpe") == Ids{21});
  CHECK(no_merges("dbrx") == Ids{0, 1, 2, 2, 3});
}

TEST_CASE("a gpt2 GGUF vocabulary's control and user-defined tokens") {
  test::TempDir dir("gguf-vocab");
  Vocab v = gpt2_vocab_from_json(byte_level_json(test::kGpt2PreTokenizer), "gpt2");
  std::vector<std::string> tokens = std::get<std::vector<std::string>>(
      std::get<GgufArray>(v.entries[3].second.value).items);  // tokenizer.ggml.tokens
  REQUIRE(v.entries[3].first == "tokenizer.ggml.tokens");
  tokens.push_back("<tool>");
  std::vector<int32_t> types(tokens.size(), 1);
  types[29] = 3;
  types[30] = 4;
  const auto t = load_tokenizer(v.set("tokenizer.ggml.tokens", strings(tokens))
                                    .set("tokenizer.ggml.token_type", i32s(types))
                                    .write(dir / "added.gguf"));
  CHECK(t->vocab_size() == 31);
  // Both are split out of the text; the control one is left out by decode(), the user-defined one is text.
  CHECK(t->encode("Hello<tool>Hello<|endoftext|>") == Ids{21, 30, 21, 29});
  CHECK(t->decode(Ids{21, 30, 21, 29}) == "Hello<tool>Hello");
  CHECK(t->is_special(29));
  CHECK_FALSE(t->is_special(30));
  CHECK(t->piece(30) == "<tool>");

  // All typed normal and no EOS: <|endoftext|> is neither split out nor special, so it is tokenized as text.
  types.assign(tokens.size(), 1);
  const auto plain = load_tokenizer(
      v.set("tokenizer.ggml.token_type", i32s(types)).erase("tokenizer.ggml.eos_token_id").write(dir / "plain.gguf"));
  CHECK(plain->encode("<|endoftext|>") != Ids{29});
  CHECK_FALSE(plain->is_special(29));
}

TEST_CASE("a GGUF model file: its vocabulary is read, its tensors ignored, and a directory is unchanged") {
  test::TempDir dir("gguf-vocab");
  test::GgufWriter w;
  for (const auto& [k, v] : kjv_llama_vocab().entries) w.add(k, v);
  w.add_tensor({"token_embd.weight", {4}, 0, std::string(16, '\0'), std::nullopt});
  w.write(dir / "model.gguf");
  const auto t = load_tokenizer(dir / "model.gguf");
  CHECK(t->encode("the earth") == load_tokenizer(test::fixture("kjv-bpe.model"))->encode("the earth"));
  // A directory is still searched for tokenizer.json, tokenizer.model, tokenizer.bin only.
  CHECK_THROWS_WITH(load_tokenizer(dir.path), Catch::Contains("no tokenizer.json"));
}

TEST_CASE("malformed GGUF vocabularies: one line naming the file and the key") {
  test::TempDir dir("gguf-vocab");
  // A small llama vocabulary: <unk> <s> </s> ▁ a ▁a.
  const Vocab llama = Vocab{}
                          .set("tokenizer.ggml.model", str("llama"))
                          .set("tokenizer.ggml.tokens", strings({"<unk>", "<s>", "</s>", "▁", "a", "▁a"}))
                          .set("tokenizer.ggml.scores", f32s({0, 0, 0, -1, -2, -3}))
                          .set("tokenizer.ggml.token_type", i32s({2, 3, 3, 1, 1, 1}))
                          .set("tokenizer.ggml.bos_token_id", u32(1));
  // A small gpt2 vocabulary: a b ab, merge "a b".
  const Vocab gpt2 = Vocab{}
                         .set("tokenizer.ggml.model", str("gpt2"))
                         .set("tokenizer.ggml.pre", str("gpt2"))
                         .set("tokenizer.ggml.tokens", strings({"a", "b", "ab", "<|end|>"}))
                         .set("tokenizer.ggml.token_type", i32s({1, 1, 1, 3}))
                         .set("tokenizer.ggml.merges", strings({"a b"}));
  int n = 0;
  auto error = [&](Vocab v) { return load_error(v.write(dir / ("bad-" + std::to_string(++n) + ".gguf"))); };
  using Catch::Contains;

  // Both are valid as they stand.
  CHECK(load_tokenizer(llama.write(dir / "llama.gguf"))->encode("a a", false) == Ids{5, 5});
  CHECK(load_tokenizer(gpt2.write(dir / "gpt2.gguf"))->encode("ab") == Ids{2});

  CHECK_THAT(error(Vocab(llama).erase("tokenizer.ggml.tokens")),
             Contains("'tokenizer.ggml.tokens'") && Contains("missing"));
  CHECK_THAT(error(Vocab(llama).set("tokenizer.ggml.tokens", strings({}))),
             Contains("'tokenizer.ggml.tokens'") && Contains("empty vocabulary"));
  CHECK_THAT(error(Vocab(llama).set("tokenizer.ggml.scores", f32s({0, 0, 0, -1, -2}))),
             Contains("'tokenizer.ggml.scores'") && Contains("5 entries for the 6 tokens"));
  CHECK_THAT(error(Vocab(llama).erase("tokenizer.ggml.scores")),
             Contains("'tokenizer.ggml.scores'") && Contains("missing"));
  CHECK_THAT(error(Vocab(llama).set("tokenizer.ggml.token_type", i32s({2, 3, 3, 1, 1, 1, 1}))),
             Contains("'tokenizer.ggml.token_type'") && Contains("7 entries for the 6 tokens"));
  CHECK_THAT(error(Vocab(llama).set("tokenizer.ggml.token_type", i32s({2, 3, 3, 1, 0, 1}))),
             Contains("'tokenizer.ggml.token_type'") && Contains("token 4 has type 0"));
  CHECK_THAT(error(Vocab(gpt2).set("tokenizer.ggml.token_type", i32s({1, 1, 7, 3}))),
             Contains("'tokenizer.ggml.token_type'") && Contains("token 2 has type 7"));

  // Models kvscope does not read, and none at all.
  for (const char* model : {"bert", "t5", "none", "rwkv", "LLAMA"}) {
    CHECK_THAT(error(Vocab(llama).set("tokenizer.ggml.model", str(model))),
               Contains("'tokenizer.ggml.model'") && Contains(std::string("\"") + model + "\" is not supported"));
  }
  CHECK_THAT(error(Vocab(llama).erase("tokenizer.ggml.model")),
             Contains("'tokenizer.ggml.model'") && Contains("no vocabulary"));
  CHECK_THAT(
      error(Vocab(gpt2).set("tokenizer.ggml.pre", str("mystery-bpe"))),
      Contains("'tokenizer.ggml.pre'") && Contains("unknown pre-tokenizer \"mystery-bpe\"") && Contains("llama-bpe"));

  // Token ids outside the vocabulary, or not representable.
  CHECK_THAT(error(Vocab(llama).set("tokenizer.ggml.bos_token_id", u32(6))),
             Contains("'tokenizer.ggml.bos_token_id'") && Contains("token id 6 is outside the vocabulary (6 tokens)"));
  CHECK_THAT(error(Vocab(llama).set("tokenizer.ggml.eos_token_id", u32(1000))),
             Contains("'tokenizer.ggml.eos_token_id'") && Contains("1000"));
  CHECK_THAT(error(Vocab(gpt2).set("tokenizer.ggml.unknown_token_id", u32(4))),
             Contains("'tokenizer.ggml.unknown_token_id'") && Contains("outside the vocabulary"));
  CHECK_THAT(error(Vocab(llama).set("tokenizer.ggml.bos_token_id", GgufValue(int32_t{-1}))),
             Contains("'tokenizer.ggml.bos_token_id'"));

  // Keys of the wrong type.
  CHECK_THAT(error(Vocab(llama).set("tokenizer.ggml.model", u32(1))),
             Contains("'tokenizer.ggml.model'") && Contains("expected string"));
  CHECK_THAT(error(Vocab(llama).set("tokenizer.ggml.tokens", i32s({1, 2, 3}))),
             Contains("'tokenizer.ggml.tokens'") && Contains("expected array of string"));
  CHECK_THAT(error(Vocab(llama).set("tokenizer.ggml.tokens", str("<unk>"))),
             Contains("'tokenizer.ggml.tokens'") && Contains("expected array of string"));
  CHECK_THAT(error(Vocab(llama).set("tokenizer.ggml.scores", strings({"0", "0", "0", "0", "0", "0"}))),
             Contains("'tokenizer.ggml.scores'") && Contains("expected array of float32"));
  CHECK_THAT(error(Vocab(llama).set("tokenizer.ggml.token_type", f32s({2, 3, 3, 1, 1, 1}))),
             Contains("'tokenizer.ggml.token_type'"));
  CHECK_THAT(error(Vocab(llama).set("tokenizer.ggml.add_bos_token", GgufValue(uint8_t{1}))),
             Contains("'tokenizer.ggml.add_bos_token'") && Contains("expected bool"));
  CHECK_THAT(error(Vocab(llama).set("tokenizer.ggml.add_space_prefix", str("true"))),
             Contains("'tokenizer.ggml.add_space_prefix'") && Contains("expected bool"));
  CHECK_THAT(error(Vocab(gpt2).set("tokenizer.ggml.pre", strings({"gpt2"}))),
             Contains("'tokenizer.ggml.pre'") && Contains("expected string"));
  CHECK_THAT(error(Vocab(llama).set("tokenizer.ggml.bos_token_id", str("1"))),
             Contains("'tokenizer.ggml.bos_token_id'"));

  // Merges: required for gpt2, each "a b" with both halves and their join in the vocabulary.
  CHECK_THAT(error(Vocab(gpt2).erase("tokenizer.ggml.merges")),
             Contains("'tokenizer.ggml.merges'") && Contains("missing"));
  CHECK_THAT(error(Vocab(gpt2).set("tokenizer.ggml.merges", strings({"ab"}))),
             Contains("'tokenizer.ggml.merges'") && Contains("merge 0 \"ab\" is not \"a b\""));
  CHECK_THAT(error(Vocab(gpt2).set("tokenizer.ggml.merges", strings({"a b", "b a"}))),
             Contains("'tokenizer.ggml.merges'") && Contains("merge 1 \"b a\": \"ba\" is not in"));
  CHECK_THAT(error(Vocab(gpt2).set("tokenizer.ggml.merges", strings({"a c"}))),
             Contains("'tokenizer.ggml.merges'") && Contains("\"c\" is not in"));

  // The container itself: GgufFile's message, as a TokenizerError.
  test::GgufImage image;
  {
    test::GgufWriter w;
    for (const auto& [k, v] : llama.entries) w.add(k, v);
    image = w.build();
  }
  test::write_binary_file(dir / "truncated.gguf", image.bytes.substr(0, image.layout.infos_end - 10));
  CHECK_THAT(load_error(dir / "truncated.gguf"), Contains("truncated"));
  image.put_u32(image.layout.version, 1);
  test::write_binary_file(dir / "v1.gguf", image.bytes);
  CHECK_THAT(load_error(dir / "v1.gguf"), Contains("version 1"));
  CHECK_THROWS_AS(load_gguf_vocabulary(dir / "v1.gguf"), TokenizerError);
  CHECK_THROWS_AS(load_gguf_vocabulary(dir / "missing.gguf"), TokenizerError);
}
