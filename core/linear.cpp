// ops::linear: the matrix products of a pass, split across threads by output features. Weights are read in their
// stored precision. F32, F16 and BF16 are widened to float32 eight at a time inside a float32 dot product;
// widening is exact, so a float16 or bfloat16 matrix gives the same bits as its float32 copy would. Q8_0 is
// multiplied as ggml multiplies it: the activations quantized to Q8_0 too, each block's products summed exactly
// in integers, then scaled.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(__F16C__) || defined(__AVX2__)
#include <immintrin.h>
#endif

#include "core/ops.h"
#include "core/quant.h"
#include "core/vector_math.h"

namespace kvscope::core::ops {

namespace {

using simd::f32x8;
using simd::i32x8;
using simd::load8;
using simd::madd;
using simd::sum8;

// How each stored type is widened: eight elements at element index i, or one.
struct F32Weights {
  static f32x8 load8(const uint8_t* w, int64_t i) {
    f32x8 v;
    std::memcpy(&v, w + 4 * i, sizeof v);
    return v;
  }
  static float load1(const uint8_t* w, int64_t i) {
    float v;
    std::memcpy(&v, w + 4 * i, sizeof v);
    return v;
  }
};

struct F16Weights {
  static f32x8 load8(const uint8_t* w, int64_t i) {
#if defined(__F16C__)
    return reinterpret_cast<f32x8>(_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 2 * i))));
#else
    f32x8 v;
    for (int k = 0; k < 8; ++k) v[k] = load1(w, i + k);
    return v;
#endif
  }
  static float load1(const uint8_t* w, int64_t i) {
    uint16_t h;
    std::memcpy(&h, w + 2 * i, sizeof h);
    return f16_to_f32(h);
  }
};

struct BF16Weights {
  // A bfloat16 is the top half of a float32.
  static f32x8 load8(const uint8_t* w, int64_t i) {
    using u16x8 = uint16_t __attribute__((vector_size(16)));
    using u32x8 = uint32_t __attribute__((vector_size(32)));
    u16x8 h;
    std::memcpy(&h, w + 2 * i, sizeof h);
    return reinterpret_cast<f32x8>(__builtin_convertvector(h, u32x8) << 16);
  }
  static float load1(const uint8_t* w, int64_t i) {
    uint16_t h;
    std::memcpy(&h, w + 2 * i, sizeof h);
    const uint32_t bits = uint32_t{h} << 16;
    float v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }
};

// The one summation order of every dot product: four running vectors over 32-float blocks, the remaining
// whole 8-float blocks into the first, the vectors added pairwise, the lanes pairwise, then the tail in
// order. dot2 computes two dot products against the same row in exactly this order, sharing its loads, so
// an output element never depends on which kernel, thread, token count or stored type produced it.
template <typename W>
float dot_as(const float* x, const uint8_t* w, int64_t n) {
  f32x8 a0{}, a1{}, a2{}, a3{};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a0 = madd(load8(x + i), W::load8(w, i), a0);
    a1 = madd(load8(x + i + 8), W::load8(w, i + 8), a1);
    a2 = madd(load8(x + i + 16), W::load8(w, i + 16), a2);
    a3 = madd(load8(x + i + 24), W::load8(w, i + 24), a3);
  }
  for (; i + 8 <= n; i += 8) a0 = madd(load8(x + i), W::load8(w, i), a0);
  float s = sum8((a0 + a1) + (a2 + a3));
  for (; i < n; ++i) s = madd(x[i], W::load1(w, i), s);
  return s;
}

template <typename W>
void dot2(const float* x0, const float* x1, const uint8_t* w, int64_t n, float& out0, float& out1) {
  f32x8 a0{}, a1{}, a2{}, a3{}, b0{}, b1{}, b2{}, b3{};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const f32x8 w0 = W::load8(w, i), w1 = W::load8(w, i + 8), w2 = W::load8(w, i + 16), w3 = W::load8(w, i + 24);
    a0 = madd(load8(x0 + i), w0, a0);
    a1 = madd(load8(x0 + i + 8), w1, a1);
    a2 = madd(load8(x0 + i + 16), w2, a2);
    a3 = madd(load8(x0 + i + 24), w3, a3);
    b0 = madd(load8(x1 + i), w0, b0);
    b1 = madd(load8(x1 + i + 8), w1, b1);
    b2 = madd(load8(x1 + i + 16), w2, b2);
    b3 = madd(load8(x1 + i + 24), w3, b3);
  }
  for (; i + 8 <= n; i += 8) {
    const f32x8 w0 = W::load8(w, i);
    a0 = madd(load8(x0 + i), w0, a0);
    b0 = madd(load8(x1 + i), w0, b0);
  }
  float s0 = sum8((a0 + a1) + (a2 + a3)), s1 = sum8((b0 + b1) + (b2 + b3));
  for (; i < n; ++i) {
    const float wi = W::load1(w, i);
    s0 = madd(x0[i], wi, s0);
    s1 = madd(x1[i], wi, s1);
  }
  out0 = s0;
  out1 = s1;
}

// fn(j) for every output feature j (row of the weights), each thread taking a fixed range for every token: a
// weight row is read from memory once per pass and reused from cache for all the tokens.
template <typename Fn>
void for_outputs(ThreadPool& pool, int64_t outputs, const Fn& fn) {
  pool.run([&](int part) {
    const int64_t last = ThreadPool::begin(outputs, part + 1, pool.size());
    for (int64_t j = ThreadPool::begin(outputs, part, pool.size()); j < last; ++j) fn(j);
  });
}

template <typename W>
void linear_as(const Matrix& x, const WeightMatrix& w, Matrix& y, int rows, ThreadPool& pool) {
  const int64_t n = w.cols(), xs = x.cols(), stride = y.cols();
  const float* xd = x.data();
  float* yd = y.data();
  for_outputs(pool, w.rows(), [&](int64_t j) {
    const uint8_t* wj = w.row_data(j);
    int r = 0;
    for (; r + 2 <= rows; r += 2)
      dot2<W>(xd + r * xs, xd + (r + 1) * xs, wj, n, yd[r * stride + j], yd[(r + 1) * stride + j]);
    if (r < rows) yd[r * stride + j] = dot_as<W>(xd + r * xs, wj, n);
  });
}

// ---- Q8_0: int8 weights times int8 activations, as ggml computes them ----

constexpr int64_t kQ8Block = 32, kQ8Bytes = 34;  // a float16 scale, then 32 int8 values

// The activations quantized as ggml's quantize_row_q8_0 does, the scales kept in float32: per block of 32,
// d = max|x| / 127 and q = round(x / d).
struct QuantizedRows {
  std::vector<float> scale;  // [rows, n / 32]
  std::vector<int8_t> q;     // [rows, n]
};

void quantize_rows(const Matrix& x, int rows, int64_t n, QuantizedRows& out) {
  const int64_t blocks = n / kQ8Block;
  // Grown once to the largest pass, then reused: a decode step allocates nothing.
  if (out.scale.size() < static_cast<size_t>(rows * blocks)) out.scale.resize(static_cast<size_t>(rows * blocks));
  if (out.q.size() < static_cast<size_t>(rows * n)) out.q.resize(static_cast<size_t>(rows * n));
  for (int r = 0; r < rows; ++r)
    for (int64_t b = 0; b < blocks; ++b) {
      const float* v = x.data() + r * x.cols() + b * kQ8Block;
      float amax = 0;
      for (int i = 0; i < kQ8Block; ++i) amax = std::max(amax, std::fabs(v[i]));
      const float d = amax / 127.0f, id = d != 0 ? 1.0f / d : 0.0f;
      out.scale[static_cast<size_t>(r * blocks + b)] = d;
      int8_t* q = out.q.data() + r * n + b * kQ8Block;
      for (int i = 0; i < kQ8Block; ++i) q[i] = static_cast<int8_t>(std::round(v[i] * id));
    }
}

// Eight int32 lanes, lane k the exact sum of w[i] * x[i] over i = 4k .. 4k + 3 (w any int8, x in -127..127).
i32x8 products32(const uint8_t* w, const int8_t* x) {
#if defined(__AVX2__)
  const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
  const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x));
  // |w| * (x * sign(w)) = w * x, as unsigned times signed bytes, summed in pairs (at most 2 * 128 * 127, which
  // 16 bits hold), then the pairs in pairs.
  const __m256i pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(wv, wv), _mm256_sign_epi8(xv, wv));
  return reinterpret_cast<i32x8>(_mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
#else
  i32x8 lanes{};
  for (int i = 0; i < 32; ++i) lanes[i / 4] += int32_t{static_cast<int8_t>(w[i])} * int32_t{x[i]};
  return lanes;
#endif
}

float half_scale(const uint8_t* block) {
  uint16_t h;
  std::memcpy(&h, block, sizeof h);
#if defined(__F16C__)
  return _cvtsh_ss(h);
#else
  return f16_to_f32(h);
#endif
}

// One output: the blocks in order, each block's integer products scaled by both scales into eight float lanes,
// the lanes summed pairwise at the end.
float dot_q8_0(const uint8_t* w, const float* xscale, const int8_t* xq, int64_t blocks) {
  f32x8 acc{};
  for (int64_t b = 0; b < blocks; ++b) {
    const uint8_t* block = w + b * kQ8Bytes;
    const f32x8 products = __builtin_convertvector(products32(block + 2, xq + b * kQ8Block), f32x8);
    acc = madd(simd::splat(half_scale(block) * xscale[b]), products, acc);
  }
  return sum8(acc);
}

void linear_q8_0(const Matrix& x, const WeightMatrix& w, Matrix& y, int rows, ThreadPool& pool) {
  const int64_t n = w.cols(), stride = y.cols(), blocks = n / kQ8Block;
  // One buffer per calling thread (two models may run at once); the workers read the caller's through `xq`.
  static thread_local QuantizedRows quantized;
  QuantizedRows& xq = quantized;
  quantize_rows(x, rows, n, xq);
  float* yd = y.data();
  for_outputs(pool, w.rows(), [&](int64_t j) {
    const uint8_t* wj = w.row_data(j);
    for (int r = 0; r < rows; ++r)
      yd[r * stride + j] = dot_q8_0(wj, xq.scale.data() + r * blocks, xq.q.data() + r * n, blocks);
  });
}

}  // namespace

float dot(const float* a, const float* b, int64_t n) {
  return dot_as<F32Weights>(a, reinterpret_cast<const uint8_t*>(b), n);
}

void add_scaled(float a, const float* x, float* y, int64_t n) {
  const f32x8 av = simd::splat(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    simd::store8(y + i, madd(av, load8(x + i), load8(y + i)));
  }
  for (; i < n; ++i) y[i] = madd(a, x[i], y[i]);
}

void linear(const Matrix& x, const WeightMatrix& w, Matrix& y, int rows, ThreadPool& pool) {
  switch (w.type()) {
    case GgmlType::F32: return linear_as<F32Weights>(x, w, y, rows, pool);
    case GgmlType::F16: return linear_as<F16Weights>(x, w, y, rows, pool);
    case GgmlType::BF16: return linear_as<BF16Weights>(x, w, y, rows, pool);
    case GgmlType::Q8_0: return linear_q8_0(x, w, y, rows, pool);
    default: break;
  }
  throw std::logic_error("linear: no kernel for " + std::string(ggml_type_name(static_cast<uint32_t>(w.type()))));
}

}  // namespace kvscope::core::ops
