#pragma once
// Reference quantizers: float32 values to the bytes of ggml's block formats, for the tests that write GGUF
// and llama2.c files and for the dequantization tests. They mirror core/quant.h's reader.
//
// Q8_0, Q4_0, Q4_1, Q5_0 and Q5_1 follow ggml's quantize_row_*_ref rounding exactly (the bytes llama.cpp's
// reference quantizer writes). Q4_K, Q5_K and Q6_K use a simpler search than ggml's make_qkx2/make_qx: the
// super-block scales are rounded up to an f16 and each sub-block's 6-bit (8-bit for Q6_K) scale is rounded up,
// so every sub-block's grid covers its values and each element is off by at most half its sub-block's step.
//
// Self-contained (no kvscope_core symbols), so any test executable can link it.
#include <cstdint>
#include <vector>

namespace kvscope::test {

// The bytes of `values` in ggml type `type` (a GGUF type number: 0 F32, 1 F16, 30 BF16, 8 Q8_0, 2 Q4_0,
// 3 Q4_1, 6 Q5_0, 7 Q5_1, 12 Q4_K, 13 Q5_K, 14 Q6_K). values.size() must be a whole number of blocks.
// Throws std::invalid_argument for another type, a partial block, or a non-finite value in a quantized type.
std::vector<uint8_t> quantize(uint32_t type, const std::vector<float>& values);

// IEEE binary16 / bfloat16 bit patterns, rounding to nearest with ties to even; overflow gives infinity,
// NaN stays a quiet NaN.
uint16_t float_to_f16(float value);
uint16_t float_to_bf16(float value);

}  // namespace kvscope::test
