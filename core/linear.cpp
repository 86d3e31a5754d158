// ops::linear: the float32 matrix products of a pass, split across threads by output features.
#include <cstring>

#if defined(__FMA__)
#include <immintrin.h>
#endif

#include "core/ops.h"

namespace kvscope::core::ops {

namespace {

// Eight floats; GCC and clang lower it to whatever vector unit -march gives (SSE, AVX2, AVX-512).
using f32x8 = float __attribute__((vector_size(32)));

// a * b + c, fused where the CPU can: spelt out, because this file is compiled without -ffp-contract (which
// fuses some expressions and not others, so two kernels meant to agree would not).
f32x8 madd(f32x8 a, f32x8 b, f32x8 c) {
#if defined(__FMA__)
  return reinterpret_cast<f32x8>(
      _mm256_fmadd_ps(reinterpret_cast<__m256>(a), reinterpret_cast<__m256>(b), reinterpret_cast<__m256>(c)));
#else
  return a * b + c;
#endif
}
float madd(float a, float b, float c) {
#if defined(__FMA__)
  return __builtin_fmaf(a, b, c);
#else
  return a * b + c;
#endif
}

f32x8 load8(const float* p) {
  f32x8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

float sum8(f32x8 v) { return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7])); }

// The one summation order of every dot product: four running vectors over 32-float blocks, the remaining
// whole 8-float blocks into the first, the vectors added pairwise, the lanes pairwise, then the tail in
// order. dot2 computes two dot products against the same row in exactly this order, sharing its loads, so
// an output element never depends on which kernel, thread or token count produced it.
float dot(const float* x, const float* w, int64_t n) {
  f32x8 a0{}, a1{}, a2{}, a3{};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a0 = madd(load8(x + i), load8(w + i), a0);
    a1 = madd(load8(x + i + 8), load8(w + i + 8), a1);
    a2 = madd(load8(x + i + 16), load8(w + i + 16), a2);
    a3 = madd(load8(x + i + 24), load8(w + i + 24), a3);
  }
  for (; i + 8 <= n; i += 8) a0 = madd(load8(x + i), load8(w + i), a0);
  float s = sum8((a0 + a1) + (a2 + a3));
  for (; i < n; ++i) s = madd(x[i], w[i], s);
  return s;
}

void dot2(const float* x0, const float* x1, const float* w, int64_t n, float& out0, float& out1) {
  f32x8 a0{}, a1{}, a2{}, a3{}, b0{}, b1{}, b2{}, b3{};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const f32x8 w0 = load8(w + i), w1 = load8(w + i + 8), w2 = load8(w + i + 16), w3 = load8(w + i + 24);
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
    const f32x8 w0 = load8(w + i);
    a0 = madd(load8(x0 + i), w0, a0);
    b0 = madd(load8(x1 + i), w0, b0);
  }
  float s0 = sum8((a0 + a1) + (a2 + a3)), s1 = sum8((b0 + b1) + (b2 + b3));
  for (; i < n; ++i) {
    s0 = madd(x0[i], w[i], s0);
    s1 = madd(x1[i], w[i], s1);
  }
  out0 = s0;
  out1 = s1;
}

}  // namespace

void linear(const Matrix& x, const Matrix& w, Matrix& y, int rows, ThreadPool& pool) {
  const int64_t n = w.cols(), outputs = w.rows(), xs = x.cols(), stride = y.cols();
  const float* xd = x.data();
  float* yd = y.data();
  // Each thread takes a fixed range of output features (rows of w) for every token: a weight row is read
  // from memory once per pass and reused from cache for all the tokens.
  pool.run([&](int part) {
    const int64_t first = ThreadPool::begin(outputs, part, pool.size());
    const int64_t last = ThreadPool::begin(outputs, part + 1, pool.size());
    for (int64_t j = first; j < last; ++j) {
      const float* wj = w.data() + j * n;
      int r = 0;
      for (; r + 2 <= rows; r += 2)
        dot2(xd + r * xs, xd + (r + 1) * xs, wj, n, yd[r * stride + j], yd[(r + 1) * stride + j]);
      if (r < rows) yd[r * stride + j] = dot(xd + r * xs, wj, n);
    }
  });
}

}  // namespace kvscope::core::ops
