#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "core/gguf.h"
#include "core/quant.h"
#include "tests/support/files.h"
#include "tests/support/gguf_writer.h"
#include "tests/support/temp_dir.h"

namespace fs = std::filesystem;
using namespace kvscope::core;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using Catch::Matchers::StartsWith;

namespace {

using kvscope::test::GgufImage;
using kvscope::test::GgufWriter;
using kvscope::test::TempDir;
using kvscope::test::write_binary_file;

// ggml type codes the tests use.
constexpr uint32_t kF32 = 0, kF16 = 1, kQ8_0 = 8, kQ2_K = 10, kQ4_K = 12, kBF16 = 30;

// The message of the GgufError `f` throws, checked to be one line; fails the test when it throws none.
std::string gguf_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const GgufError& e) {
    const std::string message = e.what();
    CHECK(message.find('\n') == std::string::npos);
    return message;
  }
  FAIL("expected a GgufError");
  return {};
}

template <typename T>
GgufValue array_of(std::vector<T> items) {
  return GgufValue(GgufArray{std::move(items)});
}

GgufValue text(const char* s) { return GgufValue(std::string(s)); }

// `n` distinct bytes, so a tensor read back from the wrong place shows.
std::string pattern(size_t n, int seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7 + static_cast<size_t>(seed) * 31) & 0xff);
  return s;
}

std::string as_string(std::span<const uint8_t> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// A small valid file: four metadata entries and two tensors (F32 at offset 0, Q8_0 at offset 256).
GgufWriter small_model() {
  GgufWriter w;
  w.add("general.architecture", text("llama"));
  w.add("general.name", text("tiny"));
  w.add("tokenizer.ggml.tokens", array_of<std::string>({"<s>", "</s>", "a"}));
  w.add("llama.block_count", GgufValue(uint32_t{2}));
  w.add_tensor({"token_embd.weight", {32, 2}, kF32, pattern(256, 1), {}});
  w.add_tensor({"blk.0.attn_q.weight", {32, 2}, kQ8_0, pattern(68, 2), {}});
  return w;
}

}  // namespace

TEST_CASE("GGUF metadata of every value type reads back", "[gguf]") {
  TempDir dir;
  const std::string path = dir.file("meta.gguf");
  GgufArray nested{std::vector<GgufArray>{GgufArray{std::vector<int16_t>{-1, 2}}, GgufArray{std::vector<std::string>{}},
                                          GgufArray{std::vector<GgufArray>{GgufArray{std::vector<double>{0.25}}}}}};
  const std::vector<std::pair<std::string, GgufValue>> entries = {
      {"t.u8", GgufValue(uint8_t{200})},
      {"t.i8", GgufValue(int8_t{-100})},
      {"t.u16", GgufValue(uint16_t{60000})},
      {"t.i16", GgufValue(int16_t{-30000})},
      {"t.u32", GgufValue(uint32_t{4000000000u})},
      {"t.i32", GgufValue(int32_t{-2000000000})},
      {"t.f32", GgufValue(1.5f)},
      {"t.bool_true", GgufValue(true)},
      {"t.bool_false", GgufValue(false)},
      {"t.string", text("héllo, GGUF")},
      {"t.empty_string", text("")},
      {"t.u64", GgufValue(uint64_t{1} << 40)},
      {"t.i64", GgufValue(int64_t{-(int64_t{1} << 40)})},
      {"t.f64", GgufValue(-0.1)},
      {"a.u8", array_of<uint8_t>({0, 255})},
      {"a.i8", array_of<int8_t>({-128, 127})},
      {"a.u16", array_of<uint16_t>({1, 65535})},
      {"a.i16", array_of<int16_t>({-32768})},
      {"a.u32", array_of<uint32_t>({7, 8, 9})},
      {"a.i32", array_of<int32_t>({-1, 0, 1})},
      {"a.f32", array_of<float>({0.5f, -2.0f})},
      {"a.bool", array_of<bool>({true, false, true})},
      {"a.string", array_of<std::string>({"a", "", "ccc"})},
      {"a.u64", array_of<uint64_t>({std::numeric_limits<uint64_t>::max()})},
      {"a.i64", array_of<int64_t>({std::numeric_limits<int64_t>::min()})},
      {"a.f64", array_of<double>({1e300})},
      {"a.empty", array_of<float>({})},
      {"a.nested", GgufValue(nested)},
  };
  GgufWriter w;
  for (const auto& [key, value] : entries) w.add(key, value);
  w.write(path);

  const GgufFile file = GgufFile::open(path);
  CHECK(file.version() == 3);
  CHECK(file.tensors().empty());
  CHECK(file.metadata().size() == entries.size());
  for (const auto& [key, value] : entries) {
    INFO(key);
    const GgufValue* read = file.find_value(key);
    REQUIRE(read);
    CHECK(read->type() == value.type());
    CHECK(*read == value);
  }
  CHECK(file.find_value("t.absent") == nullptr);
  CHECK_FALSE(file.has("t.absent"));
  const auto& inner = std::get<GgufArray>(file.find_value("a.nested")->value);
  CHECK(inner.element_type() == GgufType::Array);
  CHECK(inner.size() == 3);

  // The typed getters, with integer conversions where the value fits.
  CHECK(file.get_u32("t.u32") == 4000000000u);
  CHECK(file.get_u32("t.u8") == 200);
  CHECK(file.get_i32("t.i16") == -30000);
  CHECK(file.get_u64("t.u64") == uint64_t{1} << 40);
  CHECK(file.get_i64("t.i64") == -(int64_t{1} << 40));
  CHECK(file.get_i64("t.u32") == 4000000000);
  CHECK(file.get_f32("t.f32") == 1.5f);
  CHECK(file.get_f32("t.f64") == -0.1f);
  CHECK(file.get_bool("t.bool_true"));
  CHECK_FALSE(file.get_bool("t.bool_false"));
  CHECK(file.get_string("t.string") == "héllo, GGUF");
  CHECK(file.get_string_array("a.string") == std::vector<std::string>{"a", "", "ccc"});
  CHECK(file.get_f32_array("a.f32") == std::vector<float>{0.5f, -2.0f});
  CHECK(file.get_f32_array("a.empty").empty());
  CHECK(file.get_i32_array("a.i32") == std::vector<int32_t>{-1, 0, 1});
  CHECK(file.get_i32_array("a.u8") == std::vector<int32_t>{0, 255});
}

TEST_CASE("GGUF typed getters refuse a missing key or a wrong type, naming the file and key", "[gguf]") {
  TempDir dir;
  const std::string path = dir.file("getters.gguf");
  GgufWriter w;
  w.add("n.negative", GgufValue(int32_t{-1}));
  w.add("n.big", GgufValue(uint64_t{1} << 33));
  w.add("n.float", GgufValue(2.0f));
  w.add("n.huge_f64", GgufValue(1e300));
  w.add("s.name", text("x"));
  w.add("a.u32", array_of<uint32_t>({1, 4000000000u}));
  w.add("a.f32", array_of<float>({1.0f}));
  w.write(path);
  const GgufFile file = GgufFile::open(path);

  CHECK(gguf_error([&] { file.get_u32("llama.block_count"); }) == path + ": key 'llama.block_count' is missing");
  CHECK_THAT(gguf_error([&] { file.get_u32("n.negative"); }),
             StartsWith(path + ": key 'n.negative': ") && Contains("-1") && Contains("uint32"));
  CHECK_THAT(gguf_error([&] { file.get_u32("n.big"); }), Contains("'n.big'") && Contains("8589934592"));
  CHECK(file.get_i64("n.big") == int64_t{1} << 33);
  CHECK_THAT(gguf_error([&] { file.get_i32("s.name"); }), Contains("'s.name'") && Contains("found string"));
  CHECK_THAT(gguf_error([&] { file.get_u64("n.float"); }), Contains("'n.float'") && Contains("float32"));
  CHECK_THAT(gguf_error([&] { file.get_f32("n.huge_f64"); }), Contains("'n.huge_f64'") && Contains("float32"));
  CHECK_THAT(gguf_error([&] { file.get_f32("s.name"); }), Contains("'s.name'") && Contains("found string"));
  CHECK_THAT(gguf_error([&] { file.get_bool("n.negative"); }), Contains("'n.negative'") && Contains("found int32"));
  CHECK_THAT(gguf_error([&] { file.get_string("a.u32"); }), Contains("'a.u32'") && Contains("array of uint32"));
  CHECK_THAT(gguf_error([&] { file.get_string_array("a.f32"); }),
             Contains("'a.f32'") && Contains("expected array of string, found array of float32"));
  CHECK_THAT(gguf_error([&] { file.get_f32_array("s.name"); }), Contains("'s.name'") && Contains("found string"));
  CHECK_THAT(gguf_error([&] { file.get_i32_array("a.u32"); }),
             Contains("'a.u32'") && Contains("element 1") && Contains("4000000000"));
  CHECK_THAT(gguf_error([&] { file.get_i32_array("a.f32"); }), Contains("'a.f32'") && Contains("array of float32"));
}

TEST_CASE("GGUF tensors read back with their dims, type, offset, size and bytes", "[gguf]") {
  TempDir dir;
  for (uint32_t version : {2u, 3u}) {
    DYNAMIC_SECTION("version " << version) {
      const std::string path = dir.file("tensors.gguf");
      GgufWriter w;
      w.version = version;
      w.add("general.architecture", text("llama"));
      w.add_tensor({"f32", {3, 2}, kF32, pattern(24, 1), {}});
      w.add_tensor({"f16", {5}, kF16, pattern(10, 2), {}});
      w.add_tensor({"q8_0", {64, 3}, kQ8_0, pattern(6 * 34, 3), {}});
      w.add_tensor({"q4_k", {256, 1, 2, 1}, kQ4_K, pattern(2 * 144, 4), {}});
      w.add_tensor({"bf16", {2, 2}, kBF16, pattern(8, 5), {}});
      w.add_tensor({"empty", {0, 4}, kF32, "", {}});
      w.add_tensor({"q2_k", {256}, kQ2_K, pattern(84, 6), {}});  // valid GGUF, though kvscope cannot dequantize it
      const GgufImage image = w.build();
      write_binary_file(path, image.bytes);

      const GgufFile file = GgufFile::open(path);
      CHECK(file.version() == version);
      CHECK(file.alignment() == 32);
      CHECK(file.data_offset() == image.layout.data_start);
      CHECK(file.data_offset() % 32 == 0);
      CHECK(file.file_size() == image.bytes.size());
      REQUIRE(file.tensors().size() == 7);
      const std::vector<std::string> names = {"f32", "f16", "q8_0", "q4_k", "bf16", "empty", "q2_k"};
      for (size_t i = 0; i < names.size(); ++i) CHECK(file.tensors()[i].name == names[i]);  // file order

      const GgufTensorInfo* q4 = file.find("q4_k");
      REQUIRE(q4);
      CHECK(q4->dims == std::vector<int64_t>{256, 1, 2, 1});
      CHECK(q4->type == kQ4_K);
      CHECK(q4->elements == 512);
      CHECK(q4->bytes == 288);
      const GgufTensorInfo* q8 = file.find("q8_0");
      REQUIRE(q8);
      CHECK(q8->dims == std::vector<int64_t>{64, 3});
      CHECK(q8->elements == 192);
      CHECK(q8->bytes == 204);
      // Each tensor starts at the next multiple of 32 after the one before ends: 24 -> 32, 42 -> 64, 268 -> 288.
      CHECK(file.find("f32")->offset == 0);
      CHECK(file.find("f16")->offset == 32);
      CHECK(q8->offset == 64);
      CHECK(q4->offset == 288);
      CHECK(file.find("bf16")->offset == 576);
      CHECK(file.find("bf16")->bytes == 8);
      CHECK(file.find("f16")->bytes == 10);
      CHECK(file.find("empty")->bytes == 0);
      CHECK(file.find("empty")->elements == 0);
      CHECK(file.find("absent") == nullptr);

      CHECK(as_string(file.data(*file.find("f32"))) == pattern(24, 1));
      CHECK(as_string(file.data(*file.find("f16"))) == pattern(10, 2));
      CHECK(as_string(file.data(*q8)) == pattern(6 * 34, 3));
      CHECK(as_string(file.data(*q4)) == pattern(2 * 144, 4));
      CHECK(as_string(file.data(*file.find("bf16"))) == pattern(8, 5));
      CHECK(file.data(*file.find("empty")).empty());
      CHECK(file.find("q2_k")->offset == 608);
      CHECK(file.find("q2_k")->bytes == 84);
      CHECK(as_string(file.data(*file.find("q2_k"))) == pattern(84, 6));

      // A tensor info from elsewhere that does not fit this file is refused by name.
      GgufTensorInfo stray = *q4;
      stray.name = "stray";
      stray.offset = 1 << 20;
      CHECK_THAT(gguf_error([&] { file.data(stray); }), Contains(path) && Contains("'stray'"));
    }
  }
}

TEST_CASE("GGUF sizes every tensor type kvscope dequantizes as core/quant.h does", "[gguf]") {
  TempDir dir;
  const std::string path = dir.file("types.gguf");
  GgufWriter w;
  std::vector<uint32_t> readable;
  for (uint32_t type = 0; type < 64; ++type) {
    const std::optional<BlockLayout> layout = block_layout(type);
    if (!layout) continue;
    readable.push_back(type);
    const auto row = static_cast<uint64_t>(layout->elements);
    w.add_tensor({std::string(ggml_type_name(type)),
                  {row, 3},
                  type,
                  pattern(static_cast<size_t>(tensor_bytes(type, 3 * layout->elements)), static_cast<int>(type)),
                  {}});
  }
  CHECK(readable.size() == 11);  // F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K
  w.write(path);
  const GgufFile file = GgufFile::open(path);
  REQUIRE(file.tensors().size() == readable.size());
  for (const GgufTensorInfo& t : file.tensors()) {
    INFO(t.name);
    CHECK(t.name == ggml_type_name(t.type));
    CHECK(t.bytes == tensor_bytes(t.type, t.elements));
    CHECK(as_string(file.data(t)) == pattern(static_cast<size_t>(t.bytes), static_cast<int>(t.type)));
  }
}

TEST_CASE("GGUF honours a custom general.alignment", "[gguf]") {
  TempDir dir;
  const std::string path = dir.file("aligned.gguf");
  GgufWriter w;
  w.set_alignment(256);
  w.add("general.name", text("a name whose length moves the header off any round number"));
  w.add_tensor({"a", {3}, kF32, pattern(12, 1), {}});
  w.add_tensor({"b", {32}, kQ8_0, pattern(34, 2), {}});
  w.add_tensor({"c", {1}, kF16, pattern(2, 3), {}});
  const GgufImage image = w.build();
  REQUIRE(image.layout.infos_end % 256 != 0);
  write_binary_file(path, image.bytes);

  GgufFile file = GgufFile::open(path);
  CHECK(file.alignment() == 256);
  CHECK(file.get_u32("general.alignment") == 256);
  CHECK(file.data_offset() % 256 == 0);
  CHECK(file.data_offset() > image.layout.infos_end);
  CHECK(file.find("b")->offset == 256);
  CHECK(file.find("c")->offset == 512);
  for (const GgufTensorInfo& t : file.tensors()) {
    // The map starts page-aligned, so the bytes are aligned in memory too.
    CHECK(reinterpret_cast<uintptr_t>(file.data(t).data()) % 256 == 0);
  }
  CHECK(as_string(file.data(*file.find("c"))) == pattern(2, 3));

  // Moving the file keeps its map: the spans stay valid.
  const std::span<const uint8_t> before = file.data(*file.find("b"));
  GgufFile moved = std::move(file);
  CHECK(moved.data(*moved.find("b")).data() == before.data());
  CHECK(as_string(moved.data(*moved.find("b"))) == pattern(34, 2));
  GgufFile assigned = GgufFile::open(path);
  assigned = std::move(moved);
  CHECK(as_string(assigned.data(*assigned.find("a"))) == pattern(12, 1));
}

TEST_CASE("a vocabulary-only GGUF without tensors or padding opens", "[gguf]") {
  TempDir dir;
  const std::string path = dir.file("vocab.gguf");
  GgufWriter w;
  w.pad_to_data = false;
  w.add("tokenizer.ggml.model", text("llama"));
  w.add("tokenizer.ggml.tokens", array_of<std::string>({"<unk>", "<s>", "</s>"}));
  const GgufImage image = w.build();
  REQUIRE(image.bytes.size() % 32 != 0);
  write_binary_file(path, image.bytes);
  const GgufFile file = GgufFile::open(path);
  CHECK(file.tensors().empty());
  CHECK(file.get_string_array("tokenizer.ggml.tokens").size() == 3);
}

TEST_CASE("looks_like_gguf goes by the magic", "[gguf]") {
  TempDir dir;
  small_model().write(dir / "model.bin");  // not by extension
  write_binary_file(dir / "st.safetensors", std::string("\x10\0\0\0\0\0\0\0{}      ", 16));
  write_binary_file(dir / "short", "GGU");
  CHECK(looks_like_gguf(dir / "model.bin"));
  CHECK_FALSE(looks_like_gguf(dir / "st.safetensors"));
  CHECK_FALSE(looks_like_gguf(dir / "short"));
  CHECK_FALSE(looks_like_gguf(dir / "absent.gguf"));
  CHECK_FALSE(looks_like_gguf(dir.path));
}

TEST_CASE("malformed GGUF files are refused in one line naming the file and key or tensor", "[gguf]") {
  TempDir dir;
  const std::string path = dir.file("bad.gguf");
  const std::string q = "'blk.0.attn_q.weight'";
  auto open_error = [&](const std::string& bytes) {
    write_binary_file(path, bytes);
    return gguf_error([&] { GgufFile::open(path); });
  };
  GgufWriter w = small_model();
  GgufImage image = w.build();
  const auto& layout = image.layout;

  SECTION("the unmodified file opens") {
    write_binary_file(path, image.bytes);
    CHECK(GgufFile::open(path).tensors().size() == 2);
  }
  SECTION("an empty file") { CHECK_THAT(open_error(""), StartsWith(path + ": ") && Contains("empty")); }
  SECTION("a directory") {
    CHECK_THAT(gguf_error([&] { GgufFile::open(dir.path); }), StartsWith(dir.path.string()) && Contains("directory"));
  }
  SECTION("a file that does not exist") {
    CHECK_THAT(gguf_error([&] { GgufFile::open(dir / "absent.gguf"); }),
               Contains(dir.file("absent.gguf")) && Contains("cannot open"));
  }
  SECTION("the wrong magic") {
    image.bytes.replace(0, 4, "GGML");
    CHECK_THAT(open_error(image.bytes),
               Contains(path) && Contains("not a GGUF file") && Contains("47 47 4d 4c") && Contains("\"GGUF\""));
  }
  SECTION("shorter than the magic") { CHECK_THAT(open_error("GGU"), Contains(path) && Contains("not a GGUF file")); }
  SECTION("version 1") {
    image.put_u32(layout.version, 1);
    CHECK_THAT(open_error(image.bytes), Contains(path) && Contains("version 1 is not supported"));
  }
  SECTION("version 4") {
    image.put_u32(layout.version, 4);
    CHECK_THAT(open_error(image.bytes), Contains(path) && Contains("version 4") && Contains("2 and 3"));
  }
  SECTION("a big-endian file") {
    image.put_u32(layout.version, 0x03000000);
    CHECK_THAT(open_error(image.bytes), Contains(path) && Contains("big-endian"));
  }
  SECTION("a tensor count larger than the file can hold") {
    image.put_u64(layout.tensor_count, uint64_t{1} << 40);
    CHECK_THAT(open_error(image.bytes), Contains(path) && Contains("tensor count 1099511627776 cannot fit"));
  }
  SECTION("a tensor count that fits the file but not after its metadata") {
    image.put_u64(layout.tensor_count, (image.bytes.size() - 24) / 32);
    CHECK_THAT(open_error(image.bytes), Contains(path) && Contains("tensor count") && Contains("after the metadata"));
  }
  SECTION("a metadata count larger than the file can hold") {
    image.put_u64(layout.kv_count, std::numeric_limits<uint64_t>::max());
    CHECK_THAT(open_error(image.bytes),
               Contains(path) && Contains("metadata key/value count 18446744073709551615 cannot fit"));
  }
  SECTION("a string length past the end") {
    image.put_u64(layout.key("general.name").value, 1000000);
    CHECK_THAT(open_error(image.bytes),
               Contains(path + ": key 'general.name': string length 1000000") && Contains("past the end of the file"));
  }
  SECTION("a key length past the end") {
    image.put_u64(layout.key("general.name").key_length, uint64_t{1} << 33);
    CHECK_THAT(open_error(image.bytes),
               Contains(path + ": metadata entry 2 of 4: key length 8589934592") && Contains("past the end"));
  }
  SECTION("an array length past the end") {
    image.put_u64(layout.key("tokenizer.ggml.tokens").value + 4, uint64_t{1} << 60);
    CHECK_THAT(open_error(image.bytes), Contains(path + ": key 'tokenizer.ggml.tokens': array length") &&
                                            Contains("past the end") && Contains("string values"));
  }
  SECTION("an array of numbers longer than the bytes left") {
    GgufWriter numbers;
    numbers.add("a.f32", array_of<float>({1, 2, 3}));
    GgufImage small = numbers.build();
    small.put_u64(small.layout.key("a.f32").value + 4, 4);
    small.bytes.resize(small.layout.key("a.f32").value + 12 + 3 * 4);  // three floats, no padding
    CHECK_THAT(open_error(small.bytes), Contains(path + ": key 'a.f32': array length 4") &&
                                            Contains("4 float32 values cannot fit in the 12 bytes"));
  }
  SECTION("an unknown value type") {
    image.put_u32(layout.key("llama.block_count").value_type, 13);
    CHECK_THAT(open_error(image.bytes), Contains(path + ": key 'llama.block_count': unknown value type 13"));
  }
  SECTION("an unknown array element type") {
    image.put_u32(layout.key("tokenizer.ggml.tokens").value, 77);
    CHECK_THAT(open_error(image.bytes),
               Contains(path + ": key 'tokenizer.ggml.tokens': unknown array element type 77"));
  }
  SECTION("arrays nested too deep") {
    GgufArray deepest{std::vector<uint8_t>{1}};
    for (int level = 1; level < kGgufMaxArrayDepth; ++level) deepest = GgufArray{std::vector<GgufArray>{deepest}};
    GgufWriter deep;
    deep.add("a.deep_enough", GgufValue(deepest));
    deep.write(path);
    CHECK(GgufFile::open(path).find_value("a.deep_enough")->value == GgufValue(deepest).value);
    deep.add("a.too_deep", GgufValue(GgufArray{std::vector<GgufArray>{deepest}}));
    CHECK_THAT(open_error(deep.build().bytes), Contains(path + ": key 'a.too_deep': arrays nested more than 8 deep"));
  }
  SECTION("a bool that is neither 0 nor 1") {
    w.add("t.flag", GgufValue(true));
    GgufImage flagged = w.build();
    flagged.put_u8(flagged.layout.key("t.flag").value, 2);
    CHECK_THAT(open_error(flagged.bytes), Contains(path + ": key 't.flag': bool value 2") && Contains("neither"));
  }
  SECTION("a duplicate key") {
    w.add("general.name", text("again"));
    CHECK_THAT(open_error(w.build().bytes), Contains(path + ": key 'general.name': appears twice"));
  }
  SECTION("a key with control characters stays on one line") {
    w.add("bad\nkey", text("x"));
    w.add("bad\nkey", text("y"));
    CHECK_THAT(open_error(w.build().bytes), Contains(path + ": key 'bad\\x0akey': appears twice"));
  }
  SECTION("an alignment that is not a power of two") {
    w.add("general.alignment", GgufValue(uint32_t{48}));
    CHECK_THAT(open_error(w.build().bytes), Contains(path + ": key 'general.alignment': 48 is not a power of two"));
  }
  SECTION("an alignment of zero") {
    w.add("general.alignment", GgufValue(uint32_t{0}));
    CHECK_THAT(open_error(w.build().bytes), Contains(path + ": key 'general.alignment': 0 is not a power of two"));
  }
  SECTION("an alignment of the wrong type") {
    w.add("general.alignment", GgufValue(uint64_t{32}));
    CHECK_THAT(open_error(w.build().bytes),
               Contains(path + ": key 'general.alignment': must be a uint32, found uint64"));
  }
  SECTION("n_dims 0") {
    image.put_u32(layout.tensor("blk.0.attn_q.weight").n_dims, 0);
    CHECK_THAT(open_error(image.bytes), Contains(path + ": tensor " + q + ": n_dims 0"));
  }
  SECTION("n_dims 5") {
    w.add_tensor({"five", {32, 1, 1, 1, 1}, kF32, pattern(128, 1), {}});
    CHECK_THAT(open_error(w.build().bytes), Contains(path + ": tensor 'five': n_dims 5"));
  }
  SECTION("dims whose product overflows") {
    w.add_tensor({"huge", {uint64_t{1} << 32, uint64_t{1} << 32}, kF32, "", {}});
    CHECK_THAT(open_error(w.build().bytes),
               Contains(path + ": tensor 'huge': dimensions [4294967296, 4294967296] overflow"));
  }
  SECTION("a dimension past int64") {
    w.add_tensor({"huge", {std::numeric_limits<uint64_t>::max()}, kF32, "", {}});
    CHECK_THAT(open_error(w.build().bytes), Contains(path + ": tensor 'huge': dimensions") && Contains("overflow"));
  }
  SECTION("a byte size that overflows") {
    // 2^58 - 1 blocks of Q8_0: the element count fits an int64, the 34 bytes of each block do not.
    w.add_tensor({"huge", {(uint64_t{1} << 63) - 32}, kQ8_0, "", {}});
    CHECK_THAT(open_error(w.build().bytes), Contains(path + ": tensor 'huge'") && Contains("byte size"));
  }
  SECTION("an unknown tensor type") {
    image.put_u32(layout.tensor("blk.0.attn_q.weight").type, 99);
    CHECK_THAT(open_error(image.bytes), Contains(path + ": tensor " + q + ": unknown ggml type 99"));
  }
  SECTION("the tensor types ggml removed") {
    for (uint32_t removed : {4u, 5u, 31u, 32u, 33u, 36u, 37u, 38u, 40u}) {
      image.put_u32(layout.tensor("blk.0.attn_q.weight").type, removed);
      CHECK_THAT(open_error(image.bytes),
                 Contains(path + ": tensor " + q + ": unknown ggml type " + std::to_string(removed)));
    }
  }
  SECTION("a row that is not a whole number of blocks") {
    image.put_u64(layout.tensor("blk.0.attn_q.weight").dims, 33);
    CHECK_THAT(open_error(image.bytes), Contains(path + ": tensor " + q + ": innermost dimension 33") &&
                                            Contains("not a whole number of Q8_0 blocks of 32 values"));
  }
  SECTION("a misaligned offset") {
    w.set_alignment(64);
    GgufImage aligned = w.build();
    aligned.put_u64(aligned.layout.tensor("blk.0.attn_q.weight").offset, 96);
    CHECK(open_error(aligned.bytes) ==
          path + ": tensor 'blk.0.attn_q.weight': offset 96 is not a multiple of general.alignment 64");
  }
  SECTION("tensor data past the end of the file") {
    image.put_u64(layout.tensor("blk.0.attn_q.weight").offset, 4096);
    CHECK_THAT(open_error(image.bytes), Contains(path + ": tensor " + q + ": its 68 bytes at offset 4096") &&
                                            Contains("past the end of the file"));
  }
  SECTION("tensor data cut short by a truncated file") {
    image.bytes.resize(layout.data_start + 256 + 40);
    CHECK_THAT(open_error(image.bytes), Contains(path + ": tensor " + q) && Contains("past the end of the file"));
  }
  SECTION("overlapping tensors") {
    image.put_u64(layout.tensor("blk.0.attn_q.weight").offset, 128);
    CHECK_THAT(open_error(image.bytes), Contains(path + ": tensor " + q + ": bytes [128, 196)") &&
                                            Contains("overlap tensor 'token_embd.weight' [0, 256)"));
  }
  SECTION("a duplicate tensor name") {
    w.add_tensor({"token_embd.weight", {8}, kF32, pattern(32, 3), {}});
    CHECK_THAT(open_error(w.build().bytes),
               Contains(path + ": tensor 'token_embd.weight': appears twice, as tensor infos 1 and 3"));
  }
  SECTION("a file truncated in the metadata") {
    image.bytes.resize(layout.key("llama.block_count").value + 2);
    CHECK_THAT(open_error(image.bytes), Contains(path + ": key 'llama.block_count': truncated") &&
                                            Contains("uint32 value") && EndsWith("2 left"));
  }
  SECTION("a file truncated in the tensor infos") {
    image.bytes.resize(layout.tensor("blk.0.attn_q.weight").offset + 3);
    CHECK_THAT(open_error(image.bytes),
               Contains(path + ": tensor " + q + ": truncated: the offset") && EndsWith("3 left"));
  }
}
