#include "tests/support/quantize.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "core/quant.h"  // GgmlType and the inline block_layout only: nothing to link

namespace kvscope::test {

namespace {

using kvscope::core::GgmlType;

// Exact widening, kept here so this file links without kvscope_core.
float f16_value(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  const uint32_t mant = h & 0x3ff;
  if (exp == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mant << 13));
  // A subnormal half is mant * 2^-24, a normal float: ldexp is exact.
  if (exp == 0) return std::bit_cast<float>(sign | std::bit_cast<uint32_t>(std::ldexp(static_cast<float>(mant), -24)));
  return std::bit_cast<float>(sign | ((exp + 127 - 15) << 23) | (mant << 13));
}

void put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v & 0xff));
  out.push_back(static_cast<uint8_t>(v >> 8));
}

void put32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// The smallest f16 at or above v (v >= 0): a super-block scale rounded this way never leaves a sub-block
// scale short of what its values need.
uint16_t f16_at_least(float v) {
  uint16_t h = float_to_f16(v);
  if (f16_value(h) < v) ++h;  // the next pattern up is the next larger half (v is positive)
  if ((h & 0x7c00) == 0x7c00) throw std::invalid_argument("quantize: a block's scale is beyond the f16 range");
  return h;
}

// The smallest k in [0, cap] with unit * k >= target (cap when none is), unit > 0, target >= 0.
int round_up(float target, float unit, int cap) {
  int k = static_cast<int>(std::min<float>(static_cast<float>(cap), std::ceil(target / unit)));
  while (k < cap && unit * static_cast<float>(k) < target) ++k;
  return std::max(k, 0);
}

// ---- ggml's reference rounding (quantize_row_*_ref), block by block ----

// Q8_0: d = amax / 127, q = round(x / d) (half away from zero, as roundf).
void q8_0(const float* x, std::vector<uint8_t>& out) {
  float amax = 0;
  for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[i]));
  const float d = amax / 127;
  const float id = d != 0 ? 1 / d : 0;
  put16(out, float_to_f16(d));
  for (int i = 0; i < 32; ++i) out.push_back(static_cast<uint8_t>(static_cast<int8_t>(std::round(x[i] * id))));
}

// The value with the largest magnitude, sign kept (the first such one): Q4_0 and Q5_0 map it to the
// grid's end, -8 or -16, which has no positive counterpart.
float signed_absmax(const float* x) {
  float amax = 0, max = 0;
  for (int i = 0; i < 32; ++i) {
    if (amax < std::fabs(x[i])) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  }
  return max;
}

// Q4_0: d = max / -8, q = x / d + 8 rounded half up (truncation of a positive value), at most 15.
void q4_0(const float* x, std::vector<uint8_t>& out) {
  const float d = signed_absmax(x) / -8;
  const float id = d != 0 ? 1 / d : 0;
  put16(out, float_to_f16(d));
  for (int j = 0; j < 16; ++j) {
    const int lo = std::min(15, static_cast<int>(static_cast<int8_t>(x[j] * id + 8.5f)));
    const int hi = std::min(15, static_cast<int>(static_cast<int8_t>(x[j + 16] * id + 8.5f)));
    out.push_back(static_cast<uint8_t>(lo | (hi << 4)));
  }
}

// Q5_0: d = max / -16, q = x / d + 16 rounded half up, at most 31; fifth bits in a little-endian uint32.
void q5_0(const float* x, std::vector<uint8_t>& out) {
  const float d = signed_absmax(x) / -16;
  const float id = d != 0 ? 1 / d : 0;
  put16(out, float_to_f16(d));
  uint32_t qh = 0;
  uint8_t qs[16] = {};
  for (int j = 0; j < 32; ++j) {
    const int q = std::min(31, static_cast<int>(static_cast<int8_t>(x[j] * id + 16.5f)));
    qh |= static_cast<uint32_t>(q >> 4) << j;
    qs[j % 16] |= static_cast<uint8_t>((q & 0xF) << (j < 16 ? 0 : 4));
  }
  put32(out, qh);
  out.insert(out.end(), qs, qs + 16);
}

// Q4_1 and Q5_1: d = (max - min) / nmax, m = min, q = (x - min) / d rounded half up, at most nmax.
void q_1(const float* x, int nmax, std::vector<uint8_t>& out) {
  float min = std::numeric_limits<float>::max(), max = -std::numeric_limits<float>::max();
  for (int i = 0; i < 32; ++i) {
    min = std::min(min, x[i]);
    max = std::max(max, x[i]);
  }
  const float d = (max - min) / static_cast<float>(nmax);
  const float id = d != 0 ? 1 / d : 0;
  put16(out, float_to_f16(d));
  put16(out, float_to_f16(min));
  uint32_t qh = 0;
  uint8_t qs[16] = {};
  for (int j = 0; j < 32; ++j) {
    const int q = std::min(nmax, static_cast<int>((x[j] - min) * id + 0.5f));
    qh |= static_cast<uint32_t>(q >> 4) << j;
    qs[j % 16] |= static_cast<uint8_t>((q & 0xF) << (j < 16 ? 0 : 4));
  }
  if (nmax == 31) put32(out, qh);
  out.insert(out.end(), qs, qs + 16);
}

// ---- K-quants ----

// Q4_K / Q5_K (nmax 15 / 31): 8 sub-blocks of 32 elements, x = (d * scale_j) * q - dmin * min_j. Each
// sub-block's grid must reach down to min(0, its minimum) (the format can only subtract) and up to its
// maximum: the mins are chosen first, rounded up, then the scales cover the values plus the chosen min.
void q_k_with_min(const float* x, int nmax, std::vector<uint8_t>& out) {
  float top[8], drop[8];  // per sub-block: the maximum and how far below zero the grid must start
  for (int j = 0; j < 8; ++j) {
    const float* s = x + 32 * j;
    top[j] = *std::max_element(s, s + 32);
    drop[j] = -std::min(0.0f, *std::min_element(s, s + 32));
  }
  const float max_drop = *std::max_element(drop, drop + 8);
  const uint16_t dmin_bits = max_drop > 0 ? f16_at_least(max_drop / 63) : 0;
  const float dmin = f16_value(dmin_bits);
  int lm[8], ls[8];
  float need[8];  // the step each sub-block needs so that nmax steps span its values
  for (int j = 0; j < 8; ++j) {
    lm[j] = dmin > 0 ? round_up(drop[j], dmin, 63) : 0;
    need[j] = std::max(0.0f, top[j] + dmin * static_cast<float>(lm[j])) / static_cast<float>(nmax);
  }
  const float max_need = *std::max_element(need, need + 8);
  const uint16_t d_bits = max_need > 0 ? f16_at_least(max_need / 63) : 0;
  const float d = f16_value(d_bits);
  for (int j = 0; j < 8; ++j) ls[j] = d > 0 ? round_up(need[j], d, 63) : 0;

  uint8_t scales[12] = {};
  for (int j = 0; j < 4; ++j) {
    scales[j] = static_cast<uint8_t>(ls[j]);
    scales[j + 4] = static_cast<uint8_t>(lm[j]);
  }
  for (int j = 4; j < 8; ++j) {
    scales[j + 4] = static_cast<uint8_t>((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
    scales[j - 4] |= static_cast<uint8_t>((ls[j] >> 4) << 6);
    scales[j] |= static_cast<uint8_t>((lm[j] >> 4) << 6);
  }

  int q[256];
  for (int j = 0; j < 8; ++j) {
    const float step = d * static_cast<float>(ls[j]);
    const float offset = dmin * static_cast<float>(lm[j]);
    for (int i = 0; i < 32; ++i) {
      const float v = x[32 * j + i];
      q[32 * j + i] = step > 0 ? static_cast<int>(std::clamp<long>(std::lround((v + offset) / step), 0, nmax)) : 0;
    }
  }

  put16(out, d_bits);
  put16(out, dmin_bits);
  out.insert(out.end(), scales, scales + 12);
  if (nmax == 31) {
    uint8_t qh[32] = {};
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) {
        qh[l] |= static_cast<uint8_t>(((q[64 * c + l] >> 4) << (2 * c)) | ((q[64 * c + 32 + l] >> 4) << (2 * c + 1)));
      }
    }
    out.insert(out.end(), qh, qh + 32);
  }
  for (int c = 0; c < 4; ++c) {
    for (int l = 0; l < 32; ++l)
      out.push_back(static_cast<uint8_t>((q[64 * c + l] & 0xF) | ((q[64 * c + 32 + l] & 0xF) << 4)));
  }
}

// Q6_K: 16 sub-blocks of 16, x = (d * scale_j) * (q - 32) with int8 scales. Symmetric: each sub-block's
// step is its largest magnitude / 31, rounded up to a multiple of d, which is the largest step / 127
// rounded up to an f16.
void q6_k(const float* x, std::vector<uint8_t>& out) {
  float need[16];
  for (int j = 0; j < 16; ++j) {
    float amax = 0;
    for (int i = 0; i < 16; ++i) amax = std::max(amax, std::fabs(x[16 * j + i]));
    need[j] = amax / 31;
  }
  const float max_need = *std::max_element(need, need + 16);
  const uint16_t d_bits = max_need > 0 ? f16_at_least(max_need / 127) : 0;
  const float d = f16_value(d_bits);
  int8_t scales[16];
  for (int j = 0; j < 16; ++j) scales[j] = static_cast<int8_t>(d > 0 ? round_up(need[j], d, 127) : 0);

  uint8_t ql[128] = {}, qh[64] = {};
  for (int e = 0; e < 256; ++e) {
    const float step = d * static_cast<float>(scales[e / 16]);
    const int q = step > 0 ? static_cast<int>(std::clamp<long>(std::lround(x[e] / step), -32, 31)) + 32 : 32;
    const int h = e / 128, g = (e % 128) / 32, l = e % 32;
    ql[64 * h + 32 * (g & 1) + l] |= static_cast<uint8_t>((q & 0xF) << (4 * (g >> 1)));
    qh[32 * h + l] |= static_cast<uint8_t>((q >> 4) << (2 * g));
  }
  out.insert(out.end(), ql, ql + 128);
  out.insert(out.end(), qh, qh + 64);
  for (int8_t s : scales) out.push_back(static_cast<uint8_t>(s));
  put16(out, d_bits);
}

}  // namespace

std::vector<uint8_t> quantize(uint32_t type, const std::vector<float>& values) {
  const auto layout = kvscope::core::block_layout(type);
  if (!layout) throw std::invalid_argument("quantize: type " + std::to_string(type) + " is not supported");
  const auto n = static_cast<int64_t>(values.size());
  if (n % layout->elements != 0)
    throw std::invalid_argument("quantize: " + std::to_string(n) + " values are not a whole number of " +
                                std::to_string(layout->elements) + "-element blocks");
  const auto kind = static_cast<GgmlType>(type);
  const bool quantized = kind != GgmlType::F32 && kind != GgmlType::F16 && kind != GgmlType::BF16;
  if (quantized && !std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); }))
    throw std::invalid_argument("quantize: a quantized type cannot hold infinity or NaN");

  std::vector<uint8_t> out;
  out.reserve(static_cast<size_t>(n / layout->elements * layout->bytes));
  for (int64_t b = 0; b < n / layout->elements; ++b) {
    const float* x = values.data() + b * layout->elements;
    switch (kind) {
      case GgmlType::F32: put32(out, std::bit_cast<uint32_t>(*x)); break;
      case GgmlType::F16: put16(out, float_to_f16(*x)); break;
      case GgmlType::BF16: put16(out, float_to_bf16(*x)); break;
      case GgmlType::Q8_0: q8_0(x, out); break;
      case GgmlType::Q4_0: q4_0(x, out); break;
      case GgmlType::Q4_1: q_1(x, 15, out); break;
      case GgmlType::Q5_0: q5_0(x, out); break;
      case GgmlType::Q5_1: q_1(x, 31, out); break;
      case GgmlType::Q4_K: q_k_with_min(x, 15, out); break;
      case GgmlType::Q5_K: q_k_with_min(x, 31, out); break;
      case GgmlType::Q6_K: q6_k(x, out); break;
      default: throw std::invalid_argument("quantize: type " + std::to_string(type) + " is not supported");
    }
  }
  return out;
}

uint16_t float_to_f16(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  const uint32_t abs = bits & 0x7fffffff;
  if (abs > 0x7f800000) return static_cast<uint16_t>(sign | 0x7e00 | ((abs >> 13) & 0x3ff));  // quiet NaN
  if (abs >= 0x477ff000) return static_cast<uint16_t>(sign | 0x7c00);  // from 65520, the tie above 65504: inf
  if (abs < 0x38800000) {
    // Below 2^-14: a subnormal half counts units of 2^-24. Scaling by 2^24 is exact and nearbyint rounds
    // ties to even; 1024 units is the smallest normal, whose pattern is 0x0400 too.
    const float units = std::ldexp(std::bit_cast<float>(abs), 24);
    return static_cast<uint16_t>(sign | static_cast<uint16_t>(std::nearbyint(units)));
  }
  // Normal: rebias the exponent, keep 10 mantissa bits, round on the 13 dropped ones (a carry out of the
  // mantissa moves to the next binade, as it should).
  uint32_t h = (((abs >> 23) - 127 + 15) << 10) | ((abs >> 13) & 0x3ff);
  const uint32_t rest = abs & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) ++h;
  return static_cast<uint16_t>(sign | h);
}

uint16_t float_to_bf16(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  // A NaN rounded like a number could carry into infinity: keep it NaN, quiet.
  if ((bits & 0x7fffffff) > 0x7f800000) return static_cast<uint16_t>((bits >> 16) | 0x0040);
  return static_cast<uint16_t>((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
}

}  // namespace kvscope::test
