// ops::linear: the matrix products of a pass in float32 arithmetic, split across threads by output features.
// Weights are read in their stored precision and widened to float32 eight at a time inside the dot product;
// widening is exact, so a float16 or bfloat16 matrix gives the same bits as its float32 copy would.
#include <cstring>
#include <stdexcept>
#include <string>

#if defined(__F16C__)
#include <immintrin.h>
#endif

#include "core/quant.h"
#include "core/vector_math.h"

#include "core/ops.h"

namespace kvscope::core::ops {

namespace {

using simd::f32x8;
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

template <typename W>
void linear_as(const Matrix& x, const WeightMatrix& w, Matrix& y, int rows, ThreadPool& pool) {
  const int64_t n = w.cols(), outputs = w.rows(), xs = x.cols(), stride = y.cols();
  const float* xd = x.data();
  float* yd = y.data();
  // Each thread takes a fixed range of output features (rows of w) for every token: a weight row is read
  // from memory once per pass and reused from cache for all the tokens.
  pool.run([&](int part) {
    const int64_t first = ThreadPool::begin(outputs, part, pool.size());
    const int64_t last = ThreadPool::begin(outputs, part + 1, pool.size());
    for (int64_t j = first; j < last; ++j) {
      const uint8_t* wj = w.row_data(j);
      int r = 0;
      for (; r + 2 <= rows; r += 2)
        dot2<W>(xd + r * xs, xd + (r + 1) * xs, wj, n, yd[r * stride + j], yd[(r + 1) * stride + j]);
      if (r < rows) yd[r * stride + j] = dot_as<W>(xd + r * xs, wj, n);
    }
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
    default: break;
  }
  throw std::logic_error("linear: no kernel for " + std::string(ggml_type_name(static_cast<uint32_t>(w.type()))));
}

}  // namespace kvscope::core::ops
