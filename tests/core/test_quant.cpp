// ggml's block formats: blocks written byte by byte with their values worked out by hand from the block
// definitions (ggml-common.h), quantize -> dequantize round trips within each format's step, the f16/bf16
// conversions, and the size checks the GGUF loader relies on.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/quant.h"
#include "tests/support/quantize.h"

using namespace kvscope::core;
using Catch::Matchers::Contains;

namespace {

constexpr uint32_t code(GgmlType type) { return static_cast<uint32_t>(type); }

void put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v & 0xff));
  out.push_back(static_cast<uint8_t>(v >> 8));
}

// Byte by byte: GCC 12 reports false -Wstringop-overflow on vector::insert into a vector grown by push_back.
void put(std::vector<uint8_t>& out, std::initializer_list<uint8_t> bytes) {
  for (uint8_t x : bytes) out.push_back(x);
}

template <class Range>
void append(std::vector<uint8_t>& out, const Range& bytes) {
  for (auto x : bytes) out.push_back(static_cast<uint8_t>(x));
}

void fill(std::vector<uint8_t>& out, int count, uint8_t value) {
  for (int i = 0; i < count; ++i) out.push_back(value);
}

// Dequantizes from one byte past an aligned address, so that no field of any block is aligned.
std::vector<float> dequant(GgmlType type, const std::vector<uint8_t>& bytes, int64_t n) {
  REQUIRE(tensor_bytes(code(type), n) == static_cast<int64_t>(bytes.size()));
  std::vector<uint8_t> shifted(bytes.size() + 1);
  std::copy(bytes.begin(), bytes.end(), shifted.begin() + 1);
  std::vector<float> out(static_cast<size_t>(n), std::numeric_limits<float>::quiet_NaN());
  dequantize(code(type), shifted.data() + 1, n, out.data());
  return out;
}

// The 12 scale bytes of the Q4_K and Q5_K blocks below, packed by hand for
//   scales 1, 2, 3, 4, 33, 50, 63, 17 and mins 0, 1, 2, 3, 40, 20, 63, 5:
//   bytes 0-3: scale j (j < 4) in bits 0-5, bits 4-5 of scale j + 4 in bits 6-7
//     1 | (33 >> 4 = 2) << 6 = 0x81;  2 | 3 << 6 = 0xc2;  3 | 3 << 6 = 0xc3;  4 | 1 << 6 = 0x44
//   bytes 4-7: min j in bits 0-5, bits 4-5 of min j + 4 in bits 6-7
//     0 | (40 >> 4 = 2) << 6 = 0x80;  1 | 1 << 6 = 0x41;  2 | 3 << 6 = 0xc2;  3 | 0 << 6 = 0x03
//   bytes 8-11: low nibble bits 0-3 of scale j + 4, high nibble bits 0-3 of min j + 4
//     33 & 15 = 1, 40 & 15 = 8: 0x81;  2, 4: 0x42;  15, 15: 0xff;  1, 5: 0x51
constexpr uint8_t kScaleBytes[12] = {0x81, 0xc2, 0xc3, 0x44, 0x80, 0x41, 0xc2, 0x03, 0x81, 0x42, 0xff, 0x51};
constexpr int kScales[8] = {1, 2, 3, 4, 33, 50, 63, 17};
constexpr int kMins[8] = {0, 1, 2, 3, 40, 20, 63, 5};

// Deterministic test data: 10 blocks of 256 with different shapes (symmetric, all positive, all negative,
// sub-blocks of very different magnitudes) and scales 0.1 to 100, then an all-zero block and a constant one.
std::vector<float> test_values() {
  std::mt19937 rng(20240611);
  auto uniform = [&] { return static_cast<float>(rng() >> 8) * 0x1p-24f; };  // [0, 1), same on every platform
  std::vector<float> v;
  for (int k = 0; k < 8; ++k) {
    const float s = std::pow(10.0f, static_cast<float>(k % 4 - 1));
    for (int i = 0; i < 256; ++i) {
      const float u = uniform();
      switch (k % 4) {
        case 0: v.push_back((2 * u - 1) * s); break;
        case 1: v.push_back((0.5f + u) * s); break;
        case 2: v.push_back(-(0.5f + u) * s); break;
        default: v.push_back((2 * u - 1) * s * std::pow(10.0f, static_cast<float>((i / 32) % 3 - 1))); break;
      }
    }
  }
  v.insert(v.end(), 256, 0.0f);
  v.insert(v.end(), 256, -0.75f);
  return v;
}

// How far element i may land from its value after a round trip through `type`, from the format's step.
// An f16 scale is within 2^-11 of the float it rounds (these blocks' scales are all normal halves), and the
// ggml-style quantizers compute the quants with the unrounded scale: q * d is off by up to |q| * d * 2^-11.
double allowed_error(GgmlType type, const std::vector<float>& v, size_t i) {
  auto span_of = [&](size_t size) {
    const size_t start = i / size * size;
    return std::vector<float>(v.begin() + static_cast<std::ptrdiff_t>(start),
                              v.begin() + static_cast<std::ptrdiff_t>(start + size));
  };
  auto amax = [](const std::vector<float>& b) {
    float m = 0;
    for (float x : b) m = std::max(m, std::fabs(x));
    return static_cast<double>(m);
  };
  const double f16_rel = 0x1p-11;
  switch (type) {
    case GgmlType::Q8_0: {  // d = amax / 127, |q| <= 127
      const double step = amax(span_of(32)) / 127;
      return step * (0.5 + 127 * f16_rel) + 1e-6 * 127 * step;  // float rounding of q * d: relative to |x|
    }
    case GgmlType::Q4_0:    // d = max / -8, |q - 8| <= 8
    case GgmlType::Q5_0: {  // d = max / -16, |q - 16| <= 16
      // The grid runs from -levels to levels - 1 steps with the largest magnitude at -levels: a value of the
      // other sign beyond levels - 1 steps is clipped there (up to a whole step off, as in ggml).
      const double levels = type == GgmlType::Q4_0 ? 8 : 16;
      const auto b = span_of(32);
      float max = 0;  // the first value of the largest magnitude, sign kept
      for (float x : b) {
        if (std::fabs(x) > std::fabs(max)) max = x;
      }
      const double step = std::fabs(max) / levels;
      const double clipped = v[i] * max < 0 ? std::fabs(v[i]) - (levels - 1) * step : 0;
      return std::max(0.5 * step, clipped) + levels * f16_rel * step + 1e-6 * levels * step;
    }
    case GgmlType::Q4_1:  // d = (max - min) / 15, m = min in f16
    case GgmlType::Q5_1: {
      const double levels = type == GgmlType::Q4_1 ? 15 : 31;
      const auto b = span_of(32);
      const double lo = *std::min_element(b.begin(), b.end()), hi = *std::max_element(b.begin(), b.end());
      const double step = (hi - lo) / levels;
      return step * (0.5 + levels * f16_rel) + std::fabs(lo) * f16_rel + 1e-6 * std::max(std::fabs(lo), std::fabs(hi));
    }
    case GgmlType::Q4_K:
    case GgmlType::Q5_K: {
      // A sub-block's grid starts at -dmin * min, at or below min(0, its minimum), and its step is at most
      // (its range + dmin) / nmax + d, the range running from min(0, its minimum) to its maximum. dmin is the
      // largest drop below zero / 63 and d the largest needed step / 63, each rounded up to an f16: for W the
      // widest range or drop of the super-block, under (range + W / 16) / nmax.
      const double nmax = type == GgmlType::Q4_K ? 15 : 31;
      const auto super = span_of(256);
      auto range = [&](size_t j) {
        const auto first = super.begin() + static_cast<std::ptrdiff_t>(32 * j);
        return static_cast<double>(*std::max_element(first, first + 32)) -
               std::min(0.0, static_cast<double>(*std::min_element(first, first + 32)));
      };
      double widest = -static_cast<double>(std::min(0.0f, *std::min_element(super.begin(), super.end())));
      for (size_t j = 0; j < 8; ++j) widest = std::max(widest, range(j));
      return 0.5 * (range(i % 256 / 32) + widest / 16) / nmax + 1e-6 * widest;
    }
    case GgmlType::Q6_K: {
      // A sub-block's step is at most its largest magnitude / 31 + d, d <= A / (31 * 127) rounded up to an f16.
      const double a = amax(span_of(16)), widest = amax(span_of(256));
      return 0.5 * (a + widest / 64) / 31 + 1e-6 * widest;
    }
    default: FAIL("no error bound for this type"); return 0;
  }
}

}  // namespace

TEST_CASE("block layouts are ggml's", "[quant]") {
  auto layout = [](GgmlType t) {
    const auto l = block_layout(code(t));
    REQUIRE(l.has_value());
    return std::pair{l->elements, l->bytes};
  };
  CHECK(layout(GgmlType::F32) == std::pair<int64_t, int64_t>{1, 4});
  CHECK(layout(GgmlType::F16) == std::pair<int64_t, int64_t>{1, 2});
  CHECK(layout(GgmlType::BF16) == std::pair<int64_t, int64_t>{1, 2});
  CHECK(layout(GgmlType::Q8_0) == std::pair<int64_t, int64_t>{32, 34});
  CHECK(layout(GgmlType::Q4_0) == std::pair<int64_t, int64_t>{32, 18});
  CHECK(layout(GgmlType::Q4_1) == std::pair<int64_t, int64_t>{32, 20});
  CHECK(layout(GgmlType::Q5_0) == std::pair<int64_t, int64_t>{32, 22});
  CHECK(layout(GgmlType::Q5_1) == std::pair<int64_t, int64_t>{32, 24});
  CHECK(layout(GgmlType::Q4_K) == std::pair<int64_t, int64_t>{256, 144});
  CHECK(layout(GgmlType::Q5_K) == std::pair<int64_t, int64_t>{256, 176});
  CHECK(layout(GgmlType::Q6_K) == std::pair<int64_t, int64_t>{256, 210});
  // Types ggml defines that kvscope does not read, and numbers that are no type at all.
  CHECK_FALSE(block_layout(code(GgmlType::Q2_K)).has_value());
  CHECK_FALSE(block_layout(code(GgmlType::Q8_1)).has_value());
  CHECK_FALSE(block_layout(code(GgmlType::IQ2_XXS)).has_value());
  CHECK_FALSE(block_layout(code(GgmlType::F64)).has_value());
  CHECK_FALSE(block_layout(4).has_value());
  CHECK_FALSE(block_layout(99).has_value());
}

TEST_CASE("ggml types are named as ggml names them, other numbers by number", "[quant]") {
  CHECK(ggml_type_name(0) == "F32");
  CHECK(ggml_type_name(1) == "F16");
  CHECK(ggml_type_name(8) == "Q8_0");
  CHECK(ggml_type_name(12) == "Q4_K");
  CHECK(ggml_type_name(14) == "Q6_K");
  CHECK(ggml_type_name(16) == "IQ2_XXS");
  CHECK(ggml_type_name(30) == "BF16");
  CHECK(ggml_type_name(39) == "MXFP4");
  CHECK(ggml_type_name(4) == "type 4");  // Q4_2, removed from ggml
  CHECK(ggml_type_name(99) == "type 99");
  CHECK(ggml_type_name(4294967295u) == "type 4294967295");
  // The view of a made-up name outlives the call that made it.
  const std::string_view first = ggml_type_name(1234);
  ggml_type_name(1235);
  CHECK(first == "type 1234");
  CHECK(ggml_type_name(1234).data() == first.data());
}

TEST_CASE("tensor_bytes counts whole blocks and rejects the rest", "[quant]") {
  CHECK(tensor_bytes(code(GgmlType::F32), 0) == 0);
  CHECK(tensor_bytes(code(GgmlType::F32), 3) == 12);
  CHECK(tensor_bytes(code(GgmlType::BF16), 3) == 6);
  CHECK(tensor_bytes(code(GgmlType::Q8_0), 64) == 68);
  CHECK(tensor_bytes(code(GgmlType::Q4_K), 512) == 288);
  CHECK(tensor_bytes(code(GgmlType::Q6_K), 2048 * 256) == 2048 * 210);

  CHECK_THROWS_AS(tensor_bytes(code(GgmlType::Q4_K), 100), std::invalid_argument);
  CHECK_THROWS_WITH(tensor_bytes(code(GgmlType::Q4_K), 100), Contains("Q4_K") && Contains("256"));
  CHECK_THROWS_WITH(tensor_bytes(code(GgmlType::Q8_0), 33), Contains("Q8_0") && Contains("33"));
  CHECK_THROWS_AS(tensor_bytes(code(GgmlType::F16), -2), std::invalid_argument);

  const int64_t max = std::numeric_limits<int64_t>::max();
  CHECK(tensor_bytes(code(GgmlType::F32), max / 4) == max / 4 * 4);
  CHECK_THROWS_WITH(tensor_bytes(code(GgmlType::F32), max / 4 + 1), Contains("F32") && Contains("int64"));
  // A whole number of Q8_0 blocks whose 34 bytes each overflow int64.
  CHECK_THROWS_AS(tensor_bytes(code(GgmlType::Q8_0), max / 32 * 32), std::invalid_argument);
  CHECK(tensor_bytes(code(GgmlType::Q8_0), max / 34 / 32 * 32) == max / 34 / 32 * 34);

  CHECK_THROWS_WITH(tensor_bytes(99, 32), Contains("type 99"));
  CHECK_THROWS_WITH(tensor_bytes(code(GgmlType::IQ2_XXS), 256), Contains("IQ2_XXS"));
  CHECK_THROWS_WITH(tensor_bytes(code(GgmlType::Q2_K), 256), Contains("Q2_K") && Contains("Q4_K"));
}

TEST_CASE("dequantize checks the type and count before writing", "[quant]") {
  const std::vector<uint8_t> bytes(2 * 210, 0);
  std::vector<float> out(512, 7.0f);
  CHECK_THROWS_WITH(dequantize(code(GgmlType::Q6_K), bytes.data(), 300, out.data()), Contains("Q6_K"));
  CHECK_THROWS_WITH(dequantize(77, bytes.data(), 256, out.data()), Contains("type 77"));
  CHECK_THROWS_WITH(dequantize(code(GgmlType::Q3_K), bytes.data(), 256, out.data()), Contains("Q3_K"));
  CHECK(std::all_of(out.begin(), out.end(), [](float v) { return v == 7.0f; }));
  dequantize(code(GgmlType::Q6_K), bytes.data(), 0, out.data());  // nothing to do
  CHECK(out[0] == 7.0f);
}

TEST_CASE("f16 and bf16 widen exactly", "[quant]") {
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(f16_to_f32(0x3c00) == 1.0f);
  CHECK(f16_to_f32(0xc000) == -2.0f);
  CHECK(f16_to_f32(0x3555) == 0.333251953125f);  // 1 + 0x155 / 1024, times 2^-2
  CHECK(f16_to_f32(0x7bff) == 65504.0f);
  CHECK(f16_to_f32(0x0400) == 0x1p-14f);         // smallest normal
  CHECK(f16_to_f32(0x03ff) == 1023 * 0x1p-24f);  // largest subnormal
  CHECK(f16_to_f32(0x0001) == 0x1p-24f);         // smallest subnormal
  CHECK(f16_to_f32(0x8001) == -0x1p-24f);
  CHECK(f16_to_f32(0x8000) == 0.0f);
  CHECK(std::signbit(f16_to_f32(0x8000)));
  CHECK(f16_to_f32(0x7c00) == inf);
  CHECK(f16_to_f32(0xfc00) == -inf);
  CHECK(std::isnan(f16_to_f32(0x7e00)));
  CHECK(std::isnan(f16_to_f32(0x7c01)));  // a signalling pattern is still a NaN
  CHECK(std::signbit(f16_to_f32(0xfe00)));

  CHECK(bf16_to_f32(0x3f80) == 1.0f);
  CHECK(bf16_to_f32(0xc040) == -3.0f);
  CHECK(bf16_to_f32(0x0001) == 0x1p-133f);  // smallest subnormal: float pattern 0x00010000
  CHECK(bf16_to_f32(0x8000) == 0.0f);
  CHECK(std::signbit(bf16_to_f32(0x8000)));
  CHECK(bf16_to_f32(0x7f80) == inf);
  CHECK(bf16_to_f32(0xff80) == -inf);
  CHECK(std::isnan(bf16_to_f32(0x7fc0)));
  CHECK(std::isnan(bf16_to_f32(0x7f81)));
}

TEST_CASE("the test writer narrows to f16 and bf16 rounding to nearest, ties to even", "[quant]") {
  using kvscope::test::float_to_bf16;
  using kvscope::test::float_to_f16;
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(float_to_f16(1.0f) == 0x3c00);
  CHECK(float_to_f16(-2.0f) == 0xc000);
  CHECK(float_to_f16(1.0f + 0x1p-11f) == 0x3c00);             // tie: 0x3c00 is even
  CHECK(float_to_f16(1.0f + 3 * 0x1p-11f) == 0x3c02);         // tie: 0x3c02 is even
  CHECK(float_to_f16(1.0f + 0x1p-11f + 0x1p-20f) == 0x3c01);  // past the tie
  CHECK(float_to_f16(2.0f - 0x1p-11f) == 0x4000);             // tie: rounds up into the next binade
  CHECK(float_to_f16(65504.0f) == 0x7bff);
  CHECK(float_to_f16(65519.0f) == 0x7bff);
  CHECK(float_to_f16(65520.0f) == 0x7c00);  // the tie above the largest half goes to infinity (even)
  CHECK(float_to_f16(-inf) == 0xfc00);
  CHECK(float_to_f16(0x1p-24f) == 0x0001);
  CHECK(float_to_f16(0x1p-25f) == 0x0000);         // tie between 0 and the smallest subnormal
  CHECK(float_to_f16(3 * 0x1p-25f) == 0x0002);     // 1.5 units: tie to even 2
  CHECK(float_to_f16(2047 * 0x1p-25f) == 0x0400);  // 1023.5 units round up into the normals
  CHECK(float_to_f16(-0.0f) == 0x8000);
  const uint16_t nan = float_to_f16(std::bit_cast<float>(0x7f800001u));  // payload only in the low bits
  CHECK((nan & 0x7c00) == 0x7c00);
  CHECK((nan & 0x03ff) != 0);

  CHECK(float_to_bf16(1.0f) == 0x3f80);
  CHECK(float_to_bf16(1.0f + 0x1p-8f) == 0x3f80);      // tie: even
  CHECK(float_to_bf16(1.0f + 3 * 0x1p-8f) == 0x3f82);  // tie: even
  CHECK(float_to_bf16(std::numeric_limits<float>::max()) == 0x7f80);
  CHECK(float_to_bf16(std::bit_cast<float>(0x7f800001u)) == 0x7fc0);

  // Every pattern that is not a NaN comes back unchanged, so widening is exact and narrowing its inverse.
  int f16_mismatches = 0, bf16_mismatches = 0;
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    const auto bits = static_cast<uint16_t>(h);
    const bool f16_nan = (h & 0x7c00) == 0x7c00 && (h & 0x03ff) != 0;
    const bool bf16_nan = (h & 0x7f80) == 0x7f80 && (h & 0x007f) != 0;
    if (!f16_nan && float_to_f16(f16_to_f32(bits)) != bits) ++f16_mismatches;
    if (!bf16_nan && float_to_bf16(bf16_to_f32(bits)) != bits) ++bf16_mismatches;
  }
  CHECK(f16_mismatches == 0);
  CHECK(bf16_mismatches == 0);
}

TEST_CASE("F32, F16 and BF16 elements read little-endian", "[quant]") {
  const auto f32 = dequant(GgmlType::F32, {0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0, 0x01, 0x00, 0x00, 0x00}, 3);
  CHECK(f32[0] == 1.5f);
  CHECK(f32[1] == -2.0f);
  CHECK(f32[2] == std::numeric_limits<float>::denorm_min());

  const auto f16 = dequant(GgmlType::F16, {0x00, 0x3c, 0x01, 0x00, 0x00, 0xfc}, 3);
  CHECK(f16[0] == 1.0f);
  CHECK(f16[1] == 0x1p-24f);
  CHECK(f16[2] == -std::numeric_limits<float>::infinity());

  const auto bf16 = dequant(GgmlType::BF16, {0x80, 0x3f, 0x40, 0xc0, 0xc0, 0x7f}, 3);
  CHECK(bf16[0] == 1.0f);
  CHECK(bf16[1] == -3.0f);
  CHECK(std::isnan(bf16[2]));
}

TEST_CASE("Q8_0 by hand: x = q * d, int8 quants", "[quant]") {
  // Block 0: d = 0.5 (f16 0x3800), q_i = 8i - 128, so x_i = 4i - 64.
  // Block 1: d = -2 (f16 0xc000), every q = 1, so every x = -2 (a second block starts 34 bytes in).
  std::vector<uint8_t> b;
  put16(b, 0x3800);
  for (int i = 0; i < 32; ++i) b.push_back(static_cast<uint8_t>(8 * i - 128));
  put16(b, 0xc000);
  fill(b, 32, 1);
  const auto y = dequant(GgmlType::Q8_0, b, 64);
  CHECK(y[0] == -64.0f);  // q = -128, the int8 minimum
  CHECK(y[16] == 0.0f);   // q = 0
  CHECK(y[31] == 60.0f);  // q = 120
  for (int i = 0; i < 32; ++i) CHECK(y[i] == static_cast<float>(4 * i - 64));
  for (int i = 32; i < 64; ++i) CHECK(y[i] == -2.0f);
}

TEST_CASE("Q4_0 by hand: x = (q - 8) * d, element j and j + 16 share byte j", "[quant]") {
  // d = 0.25 (0x3400); byte j = j | (15 - j) << 4: element j has q = j, element j + 16 has q = 15 - j.
  std::vector<uint8_t> b;
  put16(b, 0x3400);
  for (int j = 0; j < 16; ++j) b.push_back(static_cast<uint8_t>(j | ((15 - j) << 4)));
  const auto y = dequant(GgmlType::Q4_0, b, 32);
  CHECK(y[0] == -2.0f);   // (0 - 8) * 0.25
  CHECK(y[15] == 1.75f);  // (15 - 8) * 0.25
  CHECK(y[16] == 1.75f);  // the high nibble of byte 0
  CHECK(y[31] == -2.0f);  // the high nibble of byte 15
  for (int j = 0; j < 16; ++j) {
    CHECK(y[j] == static_cast<float>(j - 8) * 0.25f);
    CHECK(y[j + 16] == static_cast<float>(7 - j) * 0.25f);
  }
}

TEST_CASE("Q4_1 by hand: x = q * d + m", "[quant]") {
  // d = 0.5 (0x3800), m = -1 (0xbc00); byte 0 = 0x5a (q 10 for element 0, q 5 for element 16), byte 15 = 0x01.
  std::vector<uint8_t> b;
  put16(b, 0x3800);
  put16(b, 0xbc00);
  put(b, {0x5a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01});
  const auto y = dequant(GgmlType::Q4_1, b, 32);
  CHECK(y[0] == 4.0f);    // 10 * 0.5 - 1
  CHECK(y[16] == 1.5f);   // 5 * 0.5 - 1
  CHECK(y[15] == -0.5f);  // 1 * 0.5 - 1
  CHECK(y[31] == -1.0f);
  for (int j : {1, 2, 14, 17, 30}) CHECK(y[j] == -1.0f);
}

TEST_CASE("Q5_0 by hand: x = (q - 16) * d, the fifth bit of element j is bit j of a little-endian uint32", "[quant]") {
  // d = 1 (0x3c00); qh bytes 01 00 00 80: bits 0 and 31; byte 0 = 0x21, byte 15 = 0xf0.
  std::vector<uint8_t> b;
  put16(b, 0x3c00);
  put(b, {0x01, 0x00, 0x00, 0x80});
  put(b, {0x21, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0});
  const auto y = dequant(GgmlType::Q5_0, b, 32);
  CHECK(y[0] == 1.0f);     // low nibble 1 | bit 0 -> 17, minus 16
  CHECK(y[16] == -14.0f);  // high nibble 2, bit 16 clear -> 2 - 16
  CHECK(y[15] == -16.0f);  // low nibble 0, bit 15 clear
  CHECK(y[31] == 15.0f);   // high nibble 15 | bit 31 -> 31 - 16
  for (int j = 0; j < 32; ++j) {
    if (j != 0 && j != 16 && j != 31) CHECK(y[j] == -16.0f);
  }
}

TEST_CASE("Q5_1 by hand: x = q * d + m with the fifth bits", "[quant]") {
  // d = 0.25 (0x3400), m = 2 (0x4000); qh bytes 00 00 01 00: bit 16 only; byte 0 = 0x0f.
  std::vector<uint8_t> b;
  put16(b, 0x3400);
  put16(b, 0x4000);
  put(b, {0x00, 0x00, 0x01, 0x00});
  put(b, {0x0f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  const auto y = dequant(GgmlType::Q5_1, b, 32);
  CHECK(y[0] == 5.75f);  // 15 * 0.25 + 2
  CHECK(y[16] == 6.0f);  // high nibble 0 | bit 16 -> 16, * 0.25 + 2
  for (int j = 0; j < 32; ++j) {
    if (j != 0 && j != 16) CHECK(y[j] == 2.0f);
  }
}

TEST_CASE("Q4_K by hand: 6-bit packed scales and mins, x = d * scale * q - dmin * min", "[quant]") {
  // d = 1 (0x3c00), dmin = 0.5 (0x3800), the scales and mins of kScaleBytes. Nibble byte 32c + l holds
  // sub-block 2c's element 64c + l (low) and sub-block 2c + 1's element 64c + 32 + l (high); here the low
  // nibble is l & 15 and the high one 15 - (l & 15).
  std::vector<uint8_t> b;
  put16(b, 0x3c00);
  put16(b, 0x3800);
  append(b, kScaleBytes);
  for (int c = 0; c < 4; ++c) {
    for (int l = 0; l < 32; ++l) b.push_back(static_cast<uint8_t>((l & 15) | ((15 - (l & 15)) << 4)));
  }
  const auto y = dequant(GgmlType::Q4_K, b, 256);
  CHECK(y[0] == 0.0f);      // sub-block 0 (scale 1, min 0), q 0
  CHECK(y[1] == 1.0f);      // q 1
  CHECK(y[32] == 29.5f);    // sub-block 1 (2, 1), q 15: 30 - 0.5
  CHECK(y[69] == 14.0f);    // sub-block 2 (3, 2), q 5: 15 - 1
  CHECK(y[96] == 58.5f);    // sub-block 3 (4, 3), q 15: 60 - 1.5
  CHECK(y[131] == 79.0f);   // sub-block 4 (33, 40), q 3: 99 - 20
  CHECK(y[160] == 740.0f);  // sub-block 5 (50, 20), q 15: 750 - 10
  CHECK(y[207] == 913.5f);  // sub-block 6 (63, 63), q 15: 945 - 31.5
  CHECK(y[224] == 252.5f);  // sub-block 7 (17, 5), q 15: 255 - 2.5
  CHECK(y[239] == -2.5f);   // sub-block 7, q 0
  CHECK(y[255] == -2.5f);
  for (int c = 0; c < 4; ++c) {
    for (int l = 0; l < 32; ++l) {
      CHECK(y[64 * c + l] == static_cast<float>(kScales[2 * c] * (l & 15)) - 0.5f * static_cast<float>(kMins[2 * c]));
      CHECK(y[64 * c + 32 + l] ==
            static_cast<float>(kScales[2 * c + 1] * (15 - (l & 15))) - 0.5f * static_cast<float>(kMins[2 * c + 1]));
    }
  }
}

TEST_CASE("Q5_K by hand: the fifth bit of run c's element l is bit 2c (low) or 2c + 1 (high) of qh[l]", "[quant]") {
  // d = 0.25 (0x3400), dmin = 1 (0x3c00), kScaleBytes; qh[0] = 0xff, qh[1] = 0x55 (even bits), qh[2] = 0xaa
  // (odd bits), the rest 0; every nibble byte 0x21 (low 1, high 2).
  std::vector<uint8_t> b;
  put16(b, 0x3400);
  put16(b, 0x3c00);
  append(b, kScaleBytes);
  std::vector<uint8_t> qh(32, 0);
  qh[0] = 0xff;
  qh[1] = 0x55;
  qh[2] = 0xaa;
  append(b, qh);
  fill(b, 128, 0x21);
  const auto y = dequant(GgmlType::Q5_K, b, 256);
  CHECK(y[0] == 4.25f);  // sub-block 0 (1, 0): q 1 + 16 (qh[0] bit 0): 0.25 * 17
  CHECK(y[1] == 4.25f);  // qh[1] bit 0 set
  CHECK(y[2] == 0.25f);  // qh[2] bit 0 clear: q 1
  CHECK(y[3] == 0.25f);
  CHECK(y[32] == 8.0f);      // sub-block 1 (2, 1): q 2 + 16 (qh[0] bit 1): 0.5 * 18 - 1
  CHECK(y[33] == 0.0f);      // qh[1] bit 1 clear: 0.5 * 2 - 1
  CHECK(y[34] == 8.0f);      // qh[2] bit 1 set
  CHECK(y[64] == 10.75f);    // sub-block 2 (3, 2): q 17: 0.75 * 17 - 2
  CHECK(y[98] == 15.0f);     // sub-block 3 (4, 3): qh[2] bit 3 set, q 18: 18 - 3
  CHECK(y[129] == 100.25f);  // sub-block 4 (33, 40): qh[1] bit 4 set, q 17: 8.25 * 17 - 40
  CHECK(y[194] == -47.25f);  // sub-block 6 (63, 63): qh[2] bit 6 clear, q 1: 15.75 - 63
  CHECK(y[224] == 71.5f);    // sub-block 7 (17, 5): qh[0] bit 7 set, q 18: 4.25 * 18 - 5
  CHECK(y[255] == 3.5f);     // sub-block 7, q 2: 8.5 - 5
  for (int c = 0; c < 4; ++c) {
    for (int l = 0; l < 32; ++l) {
      const int lo = 1 + (((qh[l] >> (2 * c)) & 1) << 4);
      const int hi = 2 + (((qh[l] >> (2 * c + 1)) & 1) << 4);
      CHECK(y[64 * c + l] == 0.25f * static_cast<float>(kScales[2 * c] * lo) - static_cast<float>(kMins[2 * c]));
      CHECK(y[64 * c + 32 + l] ==
            0.25f * static_cast<float>(kScales[2 * c + 1] * hi) - static_cast<float>(kMins[2 * c + 1]));
    }
  }
}

TEST_CASE("Q6_K by hand: low 4 bits, high 2 bits, int8 scales per 16, x = d * scale * (q - 32)", "[quant]") {
  // ql (128 bytes): 0 except ql[0] = 0x5a and ql[95] = 0xf3. qh (64 bytes): 0 except qh[0] = 0xe4 (bit
  // pairs 0, 1, 2, 3 from the bottom) and qh[63] = 0xff. Scales (int8): 1 -2 3 -4 5 6 7 8 9 10 11 12 13 14
  // 127 -128. d = 0.5 (0x3800), stored last. In each half of 128 elements, quarter g's element l reads ql
  // byte 32 * (g & 1) + l (low nibble for g < 2, high after) and bits 2g, 2g + 1 of qh byte l; the second
  // half uses ql + 64 and qh + 32.
  const int8_t scales[16] = {1, -2, 3, -4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 127, -128};
  std::vector<uint8_t> ql(128, 0), qh(64, 0);
  ql[0] = 0x5a;
  ql[95] = 0xf3;
  qh[0] = 0xe4;
  qh[63] = 0xff;
  std::vector<uint8_t> b(ql);
  append(b, qh);
  for (int8_t s : scales) b.push_back(static_cast<uint8_t>(s));
  put16(b, 0x3800);
  const auto y = dequant(GgmlType::Q6_K, b, 256);
  CHECK(y[0] == -11.0f);      // ql[0] low 10, qh bits 0-1 = 0: q 10 - 32 = -22; scale 1: 0.5 * -22
  CHECK(y[16] == 32.0f);      // q 0 - 32; sub-block 1, scale -2: -1 * -32
  CHECK(y[32] == -24.0f);     // ql[32] low 0, qh[0] bits 2-3 = 1: 16 - 32; sub-block 2, scale 3: 1.5 * -16
  CHECK(y[64] == 12.5f);      // ql[0] high 5, qh[0] bits 4-5 = 2: 37 - 32; sub-block 4, scale 5: 2.5 * 5
  CHECK(y[96] == 56.0f);      // ql[32] high 0, qh[0] bits 6-7 = 3: 48 - 32; sub-block 6, scale 7: 3.5 * 16
  CHECK(y[159] == 95.0f);     // ql[95] low 3, qh[63] bits 0-1 = 3: 51 - 32; sub-block 9, scale 10: 5 * 19
  CHECK(y[191] == 96.0f);     // ql[127] low 0, qh[63] bits 2-3: 48 - 32; sub-block 11, scale 12: 6 * 16
  CHECK(y[223] == 217.0f);    // ql[95] high 15, qh[63] bits 4-5: 63 - 32; sub-block 13, scale 14: 7 * 31
  CHECK(y[224] == -2032.0f);  // q 0: -32; sub-block 14, scale 127: 63.5 * -32
  CHECK(y[240] == 2048.0f);   // q 0: -32; sub-block 15, scale -128: -64 * -32
  CHECK(y[255] == -1024.0f);  // ql[127] high 0, qh[63] bits 6-7: 48 - 32; scale -128: -64 * 16
  int others = 0;
  for (int e = 0; e < 256; ++e) {
    if (e == 0 || e == 32 || e == 64 || e == 96 || e == 159 || e == 191 || e == 223 || e == 255) continue;
    CHECK(y[e] == -16.0f * static_cast<float>(scales[e / 16]));  // every other element has q = 0
    ++others;
  }
  CHECK(others == 248);
}

TEST_CASE("the test quantizer writes ggml's reference bytes for Q8_0 and Q4_0", "[quant]") {
  // Q8_0: amax 63.5 gives d = 63.5 / 127 = 0.5 exactly; q = x / 0.5.
  std::vector<float> x(32);
  for (int i = 0; i < 32; ++i) x[i] = static_cast<float>(i - 16) * 0.5f;
  x[0] = -63.5f;
  std::vector<uint8_t> want;
  put16(want, 0x3800);
  want.push_back(static_cast<uint8_t>(-127));
  for (int i = 1; i < 32; ++i) want.push_back(static_cast<uint8_t>(i - 16));
  CHECK(kvscope::test::quantize(code(GgmlType::Q8_0), x) == want);

  // Q4_0: the largest magnitude, 2, maps to -8: d = 2 / -8 = -0.25 (0xb400); 0 -> q 8; -1.75 -> 7 + 8 = 15.
  std::vector<float> z(32, 0.0f);
  z[0] = 2.0f;
  z[16] = -1.75f;
  std::vector<uint8_t> want4;
  put16(want4, 0xb400);
  want4.push_back(0xf0);
  fill(want4, 15, 0x88);
  CHECK(kvscope::test::quantize(code(GgmlType::Q4_0), z) == want4);
  const auto back = dequant(GgmlType::Q4_0, want4, 32);
  CHECK(back[0] == 2.0f);
  CHECK(back[16] == -1.75f);
  CHECK(back[1] == 0.0f);

  CHECK_THROWS_AS(kvscope::test::quantize(code(GgmlType::Q8_0), std::vector<float>(31)), std::invalid_argument);
  CHECK_THROWS_AS(kvscope::test::quantize(code(GgmlType::Q2_K), std::vector<float>(256)), std::invalid_argument);
}

TEST_CASE("quantize then dequantize stays within half a step of every format", "[quant]") {
  const std::vector<float> v = test_values();
  const auto n = static_cast<int64_t>(v.size());

  SECTION("F32 is exact") { CHECK(dequant(GgmlType::F32, kvscope::test::quantize(code(GgmlType::F32), v), n) == v); }
  SECTION("F16 and BF16 give the nearest half") {
    const auto f16 = dequant(GgmlType::F16, kvscope::test::quantize(code(GgmlType::F16), v), n);
    const auto bf16 = dequant(GgmlType::BF16, kvscope::test::quantize(code(GgmlType::BF16), v), n);
    int wrong = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      if (f16[i] != f16_to_f32(kvscope::test::float_to_f16(v[i]))) ++wrong;
      if (bf16[i] != bf16_to_f32(kvscope::test::float_to_bf16(v[i]))) ++wrong;
      if (std::fabs(f16[i] - v[i]) > std::max(std::fabs(v[i]) * 0x1p-11f, 0x1p-25f)) ++wrong;  // subnormals: 2^-25
      if (std::fabs(bf16[i] - v[i]) > std::fabs(v[i]) * 0x1p-8f) ++wrong;
    }
    CHECK(wrong == 0);
  }
  for (GgmlType type : {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q4_K,
                        GgmlType::Q5_K, GgmlType::Q6_K}) {
    DYNAMIC_SECTION(ggml_type_name(code(type))) {
      const auto bytes = kvscope::test::quantize(code(type), v);
      const auto y = dequant(type, bytes, n);
      int outside = 0;
      double worst_ratio = 0;  // the largest error as a fraction of its bound
      for (size_t i = 0; i < v.size(); ++i) {
        const double err = std::fabs(static_cast<double>(y[i]) - v[i]);
        const double bound = allowed_error(type, v, i);
        worst_ratio = std::max(worst_ratio, bound > 0 ? err / bound : (err > 0 ? 1e9 : 0));
        if (!(err <= bound)) ++outside;
      }
      INFO("worst error / bound " << worst_ratio);
      CHECK(outside == 0);
      // The all-zero block comes back as zeros, the constant block close to its constant.
      for (int64_t i = 8 * 256; i < 9 * 256; ++i) CHECK(y[static_cast<size_t>(i)] == 0.0f);
      CHECK(std::fabs(y[9 * 256] + 0.75f) <= 0.75f * 0x1p-10f);
    }
  }
}
