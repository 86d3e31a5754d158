#pragma once
// ggml's tensor types as GGUF files store them, and their conversion to float32.
//
// Quantized types pack a fixed number of elements into a fixed number of bytes (a block); the layouts and
// the meaning of every bit follow ggml's ggml-common.h (the block_q8_0, block_q4_K, ... structs) and the
// reference dequantize_row_* functions of ggml-quants.c. kvscope reads them (its matrix kernels multiply F16, BF16,
// Q8_0, Q4_K and Q6_K as stored, and dequantize the others), so only the reading direction lives here; the tests'
// writer (tests/support/quantize.h) holds the other.
//
// Every multi-byte field is little-endian and read byte by byte, so a block may sit at any address.
#include <cstdint>
#include <optional>
#include <string_view>

namespace kvscope::core {

// ggml's tensor types by their GGUF numbers (ggml.h's enum ggml_type). 4 and 5 (Q4_2, Q4_3), 31-33 and 36-38
// (the repacked Q4_0_4_4 ... IQ4_NL_8_8) were removed from GGUF files and are unknown here.
enum class GgmlType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ2_XXS = 16,
  IQ2_XS = 17,
  IQ3_XXS = 18,
  IQ1_S = 19,
  IQ4_NL = 20,
  IQ3_S = 21,
  IQ2_S = 22,
  IQ4_XS = 23,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  IQ1_M = 29,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
  MXFP4 = 39,
};

// Elements and bytes of one block (1 and 4 for F32).
struct BlockLayout {
  int64_t elements;
  int64_t bytes;
};

// The layout of a type kvscope can dequantize: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K,
// Q6_K; nullopt for any other type, known to ggml or not. Inline so that code outside kvscope_core (the
// tests' quantizer) can size blocks without linking the library.
constexpr std::optional<BlockLayout> block_layout(uint32_t type) {
  switch (static_cast<GgmlType>(type)) {
    case GgmlType::F32: return BlockLayout{1, 4};
    case GgmlType::F16: return BlockLayout{1, 2};
    case GgmlType::BF16: return BlockLayout{1, 2};
    case GgmlType::Q4_0: return BlockLayout{32, 2 + 16};                  // d, 32 nibbles
    case GgmlType::Q4_1: return BlockLayout{32, 2 + 2 + 16};              // d, m, 32 nibbles
    case GgmlType::Q5_0: return BlockLayout{32, 2 + 4 + 16};              // d, 32 fifth bits, 32 nibbles
    case GgmlType::Q5_1: return BlockLayout{32, 2 + 2 + 4 + 16};          // d, m, 32 fifth bits, 32 nibbles
    case GgmlType::Q8_0: return BlockLayout{32, 2 + 32};                  // d, 32 int8
    case GgmlType::Q4_K: return BlockLayout{256, 2 + 2 + 12 + 128};       // d, dmin, 6-bit scales, nibbles
    case GgmlType::Q5_K: return BlockLayout{256, 2 + 2 + 12 + 32 + 128};  // ... and the fifth bits
    case GgmlType::Q6_K: return BlockLayout{256, 128 + 64 + 16 + 2};      // low 4, high 2, int8 scales, d
    default: return std::nullopt;
  }
}

// "Q4_K", "F16", "IQ2_XXS" for the types ggml defines (supported or not); "type 99" for any other number.
// The view stays valid for the life of the program.
std::string_view ggml_type_name(uint32_t type);

// Bytes of n elements of `type`, checked. Throws std::invalid_argument, naming the type, when kvscope cannot
// read the type, n is negative or not a whole number of blocks, or the byte count overflows int64.
int64_t tensor_bytes(uint32_t type, int64_t n);

// Converts n elements of `type` (tensor_bytes(type, n) bytes at `data`, any alignment) to float32 in `out`.
// Throws std::invalid_argument as tensor_bytes does, before writing anything.
void dequantize(uint32_t type, const uint8_t* data, int64_t n, float* out);

// Q4_K and Q5_K super-blocks hold 8 sub-blocks of 32 elements, each with a 6-bit scale and a 6-bit min, packed
// into 12 bytes (ggml's get_scale_min_k4):
//   bytes 0-3   low 6 bits: scales 0-3;  top 2 bits: bits 4-5 of scales 4-7
//   bytes 4-7   low 6 bits: mins 0-3;    top 2 bits: bits 4-5 of mins 4-7
//   bytes 8-11  low nibble: bits 0-3 of scales 4-7;  high nibble: bits 0-3 of mins 4-7
// Unpacks the 12 bytes at `packed` into scales[0..7] and mins[0..7]. Inline: the Q4_K kernel calls it for every
// 256 weights.
inline void unpack_q4_k_scales(const uint8_t* packed, uint8_t* scales, uint8_t* mins) {
  for (int j = 0; j < 4; ++j) {
    scales[j] = packed[j] & 63;
    mins[j] = packed[j + 4] & 63;
  }
  for (int j = 4; j < 8; ++j) {
    scales[j] = static_cast<uint8_t>((packed[j + 4] & 0xF) | ((packed[j - 4] >> 6) << 4));
    mins[j] = static_cast<uint8_t>((packed[j + 4] >> 4) | ((packed[j] >> 6) << 4));
  }
}

// IEEE binary16 and bfloat16 bit patterns widened to float32 exactly: subnormals, signed zeros, infinities
// and NaNs (payload kept) included.
float f16_to_f32(uint16_t h);
float bf16_to_f32(uint16_t b);

}  // namespace kvscope::core
