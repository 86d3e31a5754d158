#include "core/quant.h"

#include <bit>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>

#include "core/safetensors.h"

namespace kvscope::core {

namespace {

// The name ggml gives a type number, or nullptr when ggml defines no such type.
const char* known_type_name(uint32_t type) {
  switch (static_cast<GgmlType>(type)) {
    case GgmlType::F32: return "F32";
    case GgmlType::F16: return "F16";
    case GgmlType::Q4_0: return "Q4_0";
    case GgmlType::Q4_1: return "Q4_1";
    case GgmlType::Q5_0: return "Q5_0";
    case GgmlType::Q5_1: return "Q5_1";
    case GgmlType::Q8_0: return "Q8_0";
    case GgmlType::Q8_1: return "Q8_1";
    case GgmlType::Q2_K: return "Q2_K";
    case GgmlType::Q3_K: return "Q3_K";
    case GgmlType::Q4_K: return "Q4_K";
    case GgmlType::Q5_K: return "Q5_K";
    case GgmlType::Q6_K: return "Q6_K";
    case GgmlType::Q8_K: return "Q8_K";
    case GgmlType::IQ2_XXS: return "IQ2_XXS";
    case GgmlType::IQ2_XS: return "IQ2_XS";
    case GgmlType::IQ3_XXS: return "IQ3_XXS";
    case GgmlType::IQ1_S: return "IQ1_S";
    case GgmlType::IQ4_NL: return "IQ4_NL";
    case GgmlType::IQ3_S: return "IQ3_S";
    case GgmlType::IQ2_S: return "IQ2_S";
    case GgmlType::IQ4_XS: return "IQ4_XS";
    case GgmlType::I8: return "I8";
    case GgmlType::I16: return "I16";
    case GgmlType::I32: return "I32";
    case GgmlType::I64: return "I64";
    case GgmlType::F64: return "F64";
    case GgmlType::IQ1_M: return "IQ1_M";
    case GgmlType::BF16: return "BF16";
    case GgmlType::TQ1_0: return "TQ1_0";
    case GgmlType::TQ2_0: return "TQ2_0";
    case GgmlType::MXFP4: return "MXFP4";
  }
  return nullptr;
}

// Fields are little-endian whatever the host, and blocks sit at any byte offset (a Q4_K block is 144
// bytes, a Q5_0 block 22), so they are assembled byte by byte instead of read through wider pointers.
uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}

float half_at(const uint8_t* p) { return f16_to_f32(le16(p)); }

// Q4_K's and Q5_K's 8 scales and 8 mins, unpacked (quant.h's unpack_q4_k_scales).
struct ScalesMins {
  uint8_t scale[8];
  uint8_t min[8];
};

// Q8_0 (32 elements, 34 bytes): an f16 scale d, then 32 int8 quants q; x = q * d.
void dequantize_q8_0(const uint8_t* b, float* y) {
  const float d = half_at(b);
  for (int i = 0; i < 32; ++i) y[i] = static_cast<float>(static_cast<int8_t>(b[2 + i])) * d;
}

// Q4_0 (32 elements, 18 bytes): an f16 scale d, then 16 bytes of 4-bit quants q. Byte j holds element j in
// its low nibble and element j + 16 in its high nibble (halves of the block, not neighbours). The quants
// are offset by 8 so the grid is symmetric about zero: x = (q - 8) * d.
void dequantize_q4_0(const uint8_t* b, float* y) {
  const float d = half_at(b);
  const uint8_t* qs = b + 2;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>((qs[j] & 0xF) - 8) * d;
    y[j + 16] = static_cast<float>((qs[j] >> 4) - 8) * d;
  }
}

// Q4_1 (32 elements, 20 bytes): f16 scale d and f16 minimum m, then the nibbles as in Q4_0, unsigned:
// x = q * d + m.
void dequantize_q4_1(const uint8_t* b, float* y) {
  const float d = half_at(b);
  const float m = half_at(b + 2);
  const uint8_t* qs = b + 4;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>(qs[j] & 0xF) * d + m;
    y[j + 16] = static_cast<float>(qs[j] >> 4) * d + m;
  }
}

// The 5-bit quant of element j in Q5_0/Q5_1: its low 4 bits in the nibbles laid out as in Q4_0, its fifth
// bit as bit j of a little-endian uint32 (so element 16's is bit 16, in the third byte).
int quant5(const uint8_t* qs, uint32_t qh, int j) {
  const int low = j < 16 ? (qs[j] & 0xF) : (qs[j - 16] >> 4);
  return low | static_cast<int>(((qh >> j) & 1u) << 4);
}

// Q5_0 (32 elements, 22 bytes): f16 d, 4 bytes of fifth bits, 16 bytes of nibbles; x = (q - 16) * d.
void dequantize_q5_0(const uint8_t* b, float* y) {
  const float d = half_at(b);
  const uint32_t qh = le32(b + 2);
  const uint8_t* qs = b + 6;
  for (int j = 0; j < 32; ++j) y[j] = static_cast<float>(quant5(qs, qh, j) - 16) * d;
}

// Q5_1 (32 elements, 24 bytes): f16 d, f16 m, fifth bits, nibbles; x = q * d + m.
void dequantize_q5_1(const uint8_t* b, float* y) {
  const float d = half_at(b);
  const float m = half_at(b + 2);
  const uint32_t qh = le32(b + 4);
  const uint8_t* qs = b + 8;
  for (int j = 0; j < 32; ++j) y[j] = static_cast<float>(quant5(qs, qh, j)) * d + m;
}

// Q4_K (256 elements, 144 bytes): f16 d and f16 dmin, the 12 scale bytes, 128 bytes of nibbles. Sub-block
// i's element is x = (d * scale_i) * q - dmin * min_i (the product order is ggml's). The nibbles come in 4
// runs of 32 bytes; run c holds sub-block 2c in its low nibbles and sub-block 2c + 1 in its high ones.
void dequantize_q4_k(const uint8_t* b, float* y) {
  const float d = half_at(b);
  const float dmin = half_at(b + 2);
  ScalesMins sm;
  unpack_q4_k_scales(b + 4, sm.scale, sm.min);
  const uint8_t* qs = b + 16;
  for (int c = 0; c < 4; ++c) {
    const uint8_t* q = qs + 32 * c;
    const float d_lo = d * sm.scale[2 * c], m_lo = dmin * sm.min[2 * c];
    const float d_hi = d * sm.scale[2 * c + 1], m_hi = dmin * sm.min[2 * c + 1];
    for (int l = 0; l < 32; ++l) {
      y[64 * c + l] = d_lo * static_cast<float>(q[l] & 0xF) - m_lo;
      y[64 * c + 32 + l] = d_hi * static_cast<float>(q[l] >> 4) - m_hi;
    }
  }
}

// Q5_K (256 elements, 176 bytes): as Q4_K with 32 bytes of fifth bits (qh) between the scales and the
// nibbles. Element l of run c takes its fifth bit from qh[l]: bit 2c for the low-nibble sub-block, bit
// 2c + 1 for the high-nibble one.
void dequantize_q5_k(const uint8_t* b, float* y) {
  const float d = half_at(b);
  const float dmin = half_at(b + 2);
  ScalesMins sm;
  unpack_q4_k_scales(b + 4, sm.scale, sm.min);
  const uint8_t* qh = b + 16;
  const uint8_t* qs = b + 48;
  for (int c = 0; c < 4; ++c) {
    const uint8_t* q = qs + 32 * c;
    const float d_lo = d * sm.scale[2 * c], m_lo = dmin * sm.min[2 * c];
    const float d_hi = d * sm.scale[2 * c + 1], m_hi = dmin * sm.min[2 * c + 1];
    for (int l = 0; l < 32; ++l) {
      const int lo = (q[l] & 0xF) | (((qh[l] >> (2 * c)) & 1) << 4);
      const int hi = (q[l] >> 4) | (((qh[l] >> (2 * c + 1)) & 1) << 4);
      y[64 * c + l] = d_lo * static_cast<float>(lo) - m_lo;
      y[64 * c + 32 + l] = d_hi * static_cast<float>(hi) - m_hi;
    }
  }
}

// Q6_K (256 elements, 210 bytes): 128 bytes of low 4 bits (ql), 64 bytes of high 2 bits (qh), 16 int8
// scales (one per sub-block of 16), then the f16 d, last. x = (d * scale) * (q - 32), scale = scales[e / 16].
// Each half of 128 elements uses 64 ql bytes and 32 qh bytes. Within a half, the quarter g (32 elements, l
// the position in it) reads ql byte 32 * (g & 1) + l (low nibble for g < 2, high for g >= 2) and bits
// 2g..2g+1 of qh byte l.
void dequantize_q6_k(const uint8_t* b, float* y) {
  const uint8_t* ql = b;
  const uint8_t* qh = b + 128;
  const uint8_t* scales = b + 192;
  const float d = half_at(b + 208);
  for (int h = 0; h < 2; ++h) {
    for (int g = 0; g < 4; ++g) {
      for (int l = 0; l < 32; ++l) {
        const int e = 128 * h + 32 * g + l;
        const int low = (ql[64 * h + 32 * (g & 1) + l] >> (4 * (g >> 1))) & 0xF;
        const int high = (qh[32 * h + l] >> (2 * g)) & 3;
        const auto scale = static_cast<int8_t>(scales[e / 16]);
        y[e] = d * static_cast<float>(scale) * static_cast<float>((low | (high << 4)) - 32);
      }
    }
  }
}

[[noreturn]] void throw_unreadable(uint32_t type) {
  if (known_type_name(type) == nullptr)
    throw std::invalid_argument("type " + std::to_string(type) + " is not a ggml tensor type");
  throw std::invalid_argument(std::string(known_type_name(type)) +
                              " tensors cannot be read: kvscope reads F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, "
                              "Q5_1, Q4_K, Q5_K and Q6_K");
}

}  // namespace

std::string_view ggml_type_name(uint32_t type) {
  if (const char* name = known_type_name(type)) return name;
  // Any other number is named once and kept, so the view stays valid like a literal's; files name few types.
  static std::mutex mutex;
  static std::map<uint32_t, std::string> unknown;
  const std::lock_guard lock(mutex);
  return unknown.try_emplace(type, "type " + std::to_string(type)).first->second;
}

int64_t tensor_bytes(uint32_t type, int64_t n) {
  const std::optional<BlockLayout> layout = block_layout(type);
  if (!layout) throw_unreadable(type);
  const std::string name(ggml_type_name(type));
  if (n < 0) throw std::invalid_argument(name + ": negative element count " + std::to_string(n));
  if (n % layout->elements != 0)
    throw std::invalid_argument(name + ": " + std::to_string(n) + " elements are not a whole number of " +
                                std::to_string(layout->elements) + "-element blocks");
  int64_t bytes = 0;
  if (__builtin_mul_overflow(n / layout->elements, layout->bytes, &bytes))
    throw std::invalid_argument(name + ": " + std::to_string(n) + " elements take more bytes than int64 counts");
  return bytes;
}

void dequantize(uint32_t type, const uint8_t* data, int64_t n, float* out) {
  tensor_bytes(type, n);  // validates the type and the count before anything is written
  const BlockLayout layout = *block_layout(type);
  const int64_t blocks = n / layout.elements;
  auto each_block = [&](auto&& convert) {
    for (int64_t i = 0; i < blocks; ++i) convert(data + i * layout.bytes, out + i * layout.elements);
  };
  switch (static_cast<GgmlType>(type)) {
    case GgmlType::F32: each_block([](const uint8_t* b, float* y) { *y = std::bit_cast<float>(le32(b)); }); break;
    case GgmlType::F16: each_block([](const uint8_t* b, float* y) { *y = f16_to_f32(le16(b)); }); break;
    case GgmlType::BF16: each_block([](const uint8_t* b, float* y) { *y = bf16_to_f32(le16(b)); }); break;
    case GgmlType::Q8_0: each_block(dequantize_q8_0); break;
    case GgmlType::Q4_0: each_block(dequantize_q4_0); break;
    case GgmlType::Q4_1: each_block(dequantize_q4_1); break;
    case GgmlType::Q5_0: each_block(dequantize_q5_0); break;
    case GgmlType::Q5_1: each_block(dequantize_q5_1); break;
    case GgmlType::Q4_K: each_block(dequantize_q4_k); break;
    case GgmlType::Q5_K: each_block(dequantize_q5_k); break;
    case GgmlType::Q6_K: each_block(dequantize_q6_k); break;
    default: throw_unreadable(type);  // block_layout and this switch list the same types
  }
}

// The safetensors reader already widens both formats bit-exactly (its tests cover every F16 pattern).
float f16_to_f32(uint16_t h) { return f16_to_float(h); }
float bf16_to_f32(uint16_t b) { return bf16_to_float(b); }

}  // namespace kvscope::core
