#pragma once
// Eight-float vector arithmetic for the kernels whose results must not depend on where a buffer starts: loads
// and stores go through memcpy (any alignment), multiply-adds are fused explicitly or not at all, and every sum
// has one written-out order. Files including this are compiled with -ffp-contract=off (core/CMakeLists.txt), so
// the compiler fuses nothing on its own.
#include <cstdint>
#include <cstring>

#if defined(__AVX__)
#include <immintrin.h>
#endif

namespace kvscope::core::simd {

// GCC and clang lower it to whatever vector unit -march gives (SSE, AVX2, AVX-512).
using f32x8 = float __attribute__((vector_size(32)));
using i32x8 = int32_t __attribute__((vector_size(32)));

inline f32x8 splat(float a) { return f32x8{a, a, a, a, a, a, a, a}; }

inline f32x8 load8(const float* p) {
  f32x8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline void store8(float* p, f32x8 v) { std::memcpy(p, &v, sizeof v); }

// a * b + c, fused where the CPU can.
inline f32x8 madd(f32x8 a, f32x8 b, f32x8 c) {
#if defined(__FMA__)
  return reinterpret_cast<f32x8>(
      _mm256_fmadd_ps(reinterpret_cast<__m256>(a), reinterpret_cast<__m256>(b), reinterpret_cast<__m256>(c)));
#else
  return a * b + c;
#endif
}
inline float madd(float a, float b, float c) {
#if defined(__FMA__)
  return __builtin_fmaf(a, b, c);
#else
  return a * b + c;
#endif
}

inline float sum8(f32x8 v) { return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7])); }

// exp(x) to about 1 ulp, as Cephes' expf computes it (the polynomial Eigen's vectorised exp uses): x = n ln2 + r
// with |r| <= ln2 / 2, exp(r) by a degree-7 polynomial, 2^n put in the exponent. Lanes below about -87.3 give
// garbage, not 0: callers that can meet them (softmax's masked positions) select 0 there.
inline f32x8 exp8(f32x8 x) {
  const f32x8 hi = splat(88.3762626647949f), lo = splat(-88.3762626647949f);
  x = x > hi ? hi : x;
  x = x < lo ? lo : x;
  f32x8 fx = madd(x, splat(1.44269504088896341f), splat(0.5f));
#if defined(__AVX__)
  fx = reinterpret_cast<f32x8>(_mm256_floor_ps(reinterpret_cast<__m256>(fx)));
#else
  for (int k = 0; k < 8; ++k) fx[k] = __builtin_floorf(fx[k]);
#endif
  x = x - fx * splat(0.693359375f);
  x = x - fx * splat(-2.12194440e-4f);
  f32x8 y = splat(1.9875691500e-4f);
  y = madd(y, x, splat(1.3981999507e-3f));
  y = madd(y, x, splat(8.3334519073e-3f));
  y = madd(y, x, splat(4.1665795894e-2f));
  y = madd(y, x, splat(1.6666665459e-1f));
  y = madd(y, x, splat(5.0000001201e-1f));
  y = madd(y, x * x, x + splat(1.0f));
  const i32x8 n = __builtin_convertvector(fx, i32x8);
  return y * reinterpret_cast<f32x8>((n + 127) << 23);
}

}  // namespace kvscope::core::simd
