// ops::linear: the matrix products of a pass, split across threads by output features. Weights are read in their
// stored precision. F32, F16 and BF16 are widened to float32 eight at a time inside a float32 dot product;
// widening is exact, so a float16 or bfloat16 matrix gives the same bits as its float32 copy would. Q8_0, Q4_K and
// Q6_K are multiplied as ggml multiplies them: the activations quantized to 8 bits too (per 32 for Q8_0, per 256
// for the K-quants), each block's products summed exactly in integers, then scaled.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#if defined(__AVX512F__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
// GCC 12's AVX-512 headers start some results from a deliberately uninitialised vector and then warn about it
// (GCC bug 105593, fixed in 13).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#elif defined(__F16C__) || defined(__AVX2__) || defined(__AVX512F__)
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

// Every kernel asks for the weights it will read 8 KiB ahead of where it reads. Rows are stored one after another
// and read in that order, so ahead of a row's end lies the next row's start. Measured on a 1.1B model's decode
// against the hardware's prefetchers alone, in alternating runs: on AMD Zen 5, BF16 went from 70-85% of a plain
// memory scan's speed to 84-90% (4 KiB ahead did nearly as well, 1 KiB worse than nothing); on Zen 3, where the
// quantized kernels only just outrun memory, Q8_0 and Q4_K_M read 20-25% faster, and BF16 (two rows at a time,
// dot_rows2, neighbouring rows then) 20% faster: medians of 4.77 against 3.95 tokens/s on one thread, 8.51 against
// 7.12 on two.
// KVSCOPE_PREFETCH=0 turns it off, to measure a new CPU both ways.
bool prefetch_wanted() {
  const char* setting = std::getenv("KVSCOPE_PREFETCH");
  return !setting || std::string_view(setting) != "0";
}

const bool kPrefetch = prefetch_wanted();
constexpr int64_t kPrefetchAhead = 8192;

// Asks for the `bytes` from `p` + kPrefetchAhead, one cache line at a time. Always inlined: GCC 12 judges a
// prefetching function free of side effects (pure), and where it had not inlined one, it deleted the calls, which
// silently dropped every prefetch of the float32 kernels (objdump showed none).
template <int64_t bytes>
[[gnu::always_inline]] inline void prefetch_ahead(const uint8_t* p) {
  if (!kPrefetch) return;
  for (int64_t b = 0; b < bytes; b += 64) __builtin_prefetch(p + kPrefetchAhead + b, 0, 3);
}

// How each stored type is widened: eight elements at element index i, or one.
struct F32Weights {
  static constexpr int64_t kBytes = 4;
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
#if defined(__AVX512F__)
  static __m512 load16(const uint8_t* w, int64_t i) { return _mm512_loadu_ps(w + 4 * i); }
#endif
};

struct F16Weights {
  static constexpr int64_t kBytes = 2;
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
#if defined(__AVX512F__)
  static __m512 load16(const uint8_t* w, int64_t i) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 2 * i)));
  }
#endif
};

struct BF16Weights {
  static constexpr int64_t kBytes = 2;
  // A bfloat16 is the top half of a float32. One widening instruction (GCC lowers the generic conversion of eight
  // 16-bit lanes to four: two half-width widenings and an insert), then a shift.
  static f32x8 load8(const uint8_t* w, int64_t i) {
#if defined(__AVX2__)
    const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 2 * i)));
    return reinterpret_cast<f32x8>(_mm256_slli_epi32(wide, 16));
#else
    using u16x8 = uint16_t __attribute__((vector_size(16)));
    using u32x8 = uint32_t __attribute__((vector_size(32)));
    u16x8 h;
    std::memcpy(&h, w + 2 * i, sizeof h);
    return reinterpret_cast<f32x8>(__builtin_convertvector(h, u32x8) << 16);
#endif
  }
  static float load1(const uint8_t* w, int64_t i) {
    uint16_t h;
    std::memcpy(&h, w + 2 * i, sizeof h);
    const uint32_t bits = uint32_t{h} << 16;
    float v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }
#if defined(__AVX512F__)
  static __m512 load16(const uint8_t* w, int64_t i) {
    const __m512i wide = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 2 * i)));
    return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
  }
#endif
};

// The one summation order of every dot product: four running vectors over 32-float blocks, the remaining
// whole 8-float blocks into the first, the vectors added pairwise, the lanes pairwise, then the tail in
// order. dot2 computes two dot products against the same row in exactly this order, sharing its loads, so
// an output element never depends on which kernel, thread, token count or stored type produced it.
#if defined(__AVX512F__)
// With sixteen-float vectors the four running vectors are the halves of two: every lane sums the same products in
// the same order, so the bits are those of the eight-float loop, in half the instructions.
void halves(__m512 v, f32x8& low, f32x8& high) {
  low = reinterpret_cast<f32x8>(_mm512_castps512_ps256(v));
  high = reinterpret_cast<f32x8>(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
}
#endif

// The whole 32-float blocks of x . w into the four running vectors; returns where they end. kStream: w is a weight
// row read once in a stream of rows, worth asking for ahead; ops::dot's short vectors (attention's q . k) are not.
template <typename W, bool kStream = true>
int64_t blocks32(const float* x, const uint8_t* w, int64_t n, f32x8& a0, f32x8& a1, f32x8& a2, f32x8& a3) {
  int64_t i = 0;
#if defined(__AVX512F__)
  __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps();
  for (; i + 32 <= n; i += 32) {
    if constexpr (kStream) prefetch_ahead<32 * W::kBytes>(w + W::kBytes * i);
    lo = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), W::load16(w, i), lo);
    hi = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16), W::load16(w, i + 16), hi);
  }
  halves(lo, a0, a1);
  halves(hi, a2, a3);
#else
  for (; i + 32 <= n; i += 32) {
    if constexpr (kStream) prefetch_ahead<32 * W::kBytes>(w + W::kBytes * i);
    a0 = madd(load8(x + i), W::load8(w, i), a0);
    a1 = madd(load8(x + i + 8), W::load8(w, i + 8), a1);
    a2 = madd(load8(x + i + 16), W::load8(w, i + 16), a2);
    a3 = madd(load8(x + i + 24), W::load8(w, i + 24), a3);
  }
#endif
  return i;
}

template <typename W, bool kStream = true>
float dot_as(const float* x, const uint8_t* w, int64_t n) {
  f32x8 a0{}, a1{}, a2{}, a3{};
  int64_t i = blocks32<W, kStream>(x, w, n, a0, a1, a2, a3);
  for (; i + 8 <= n; i += 8) a0 = madd(load8(x + i), W::load8(w, i), a0);
  float s = sum8((a0 + a1) + (a2 + a3));
  for (; i < n; ++i) s = madd(x[i], W::load1(w, i), s);
  return s;
}

template <typename W>
void dot2(const float* x0, const float* x1, const uint8_t* w, int64_t n, float& out0, float& out1) {
  f32x8 a0{}, a1{}, a2{}, a3{}, b0{}, b1{}, b2{}, b3{};
  int64_t i = 0;
#if defined(__AVX512F__)
  __m512 alo = _mm512_setzero_ps(), ahi = _mm512_setzero_ps(), blo = _mm512_setzero_ps(), bhi = _mm512_setzero_ps();
  for (; i + 32 <= n; i += 32) {
    prefetch_ahead<32 * W::kBytes>(w + W::kBytes * i);
    const __m512 wlo = W::load16(w, i), whi = W::load16(w, i + 16);
    alo = _mm512_fmadd_ps(_mm512_loadu_ps(x0 + i), wlo, alo);
    ahi = _mm512_fmadd_ps(_mm512_loadu_ps(x0 + i + 16), whi, ahi);
    blo = _mm512_fmadd_ps(_mm512_loadu_ps(x1 + i), wlo, blo);
    bhi = _mm512_fmadd_ps(_mm512_loadu_ps(x1 + i + 16), whi, bhi);
  }
  halves(alo, a0, a1);
  halves(ahi, a2, a3);
  halves(blo, b0, b1);
  halves(bhi, b2, b3);
#else
  for (; i + 32 <= n; i += 32) {
    prefetch_ahead<32 * W::kBytes>(w + W::kBytes * i);
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
#endif
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

// x . w0 and x . w1 for two weight rows, each in exactly dot_as's order, sharing the loads of x. A decode pass has
// one token, so dot2 has no second token to pair; two rows give the multiply-add chains of dot2 instead of dot_as's
// four, enough independent work for the core to keep more of the stream's reads in flight. On Zen 3, three
// alternating pairs of runs of a 1.1B model's BF16 decode: 65-71% of a memory scan's speed one row at a time, 84-87%
// two at a time (one thread); 60-67% and 72-86% on two threads. Q8_0 rows taken two at a time were 10% slower, so
// its kernel stays one row at a time.
template <typename W>
void dot_rows2(const float* x, const uint8_t* w0, const uint8_t* w1, int64_t n, float& out0, float& out1) {
  f32x8 a0{}, a1{}, a2{}, a3{}, b0{}, b1{}, b2{}, b3{};
  int64_t i = 0;
#if defined(__AVX512F__)
  __m512 alo = _mm512_setzero_ps(), ahi = _mm512_setzero_ps(), blo = _mm512_setzero_ps(), bhi = _mm512_setzero_ps();
  for (; i + 32 <= n; i += 32) {
    prefetch_ahead<32 * W::kBytes>(w0 + W::kBytes * i);
    prefetch_ahead<32 * W::kBytes>(w1 + W::kBytes * i);
    const __m512 xlo = _mm512_loadu_ps(x + i), xhi = _mm512_loadu_ps(x + i + 16);
    alo = _mm512_fmadd_ps(xlo, W::load16(w0, i), alo);
    ahi = _mm512_fmadd_ps(xhi, W::load16(w0, i + 16), ahi);
    blo = _mm512_fmadd_ps(xlo, W::load16(w1, i), blo);
    bhi = _mm512_fmadd_ps(xhi, W::load16(w1, i + 16), bhi);
  }
  halves(alo, a0, a1);
  halves(ahi, a2, a3);
  halves(blo, b0, b1);
  halves(bhi, b2, b3);
#else
  for (; i + 32 <= n; i += 32) {
    prefetch_ahead<32 * W::kBytes>(w0 + W::kBytes * i);
    prefetch_ahead<32 * W::kBytes>(w1 + W::kBytes * i);
    const f32x8 x0 = load8(x + i), x1 = load8(x + i + 8), x2 = load8(x + i + 16), x3 = load8(x + i + 24);
    a0 = madd(x0, W::load8(w0, i), a0);
    a1 = madd(x1, W::load8(w0, i + 8), a1);
    a2 = madd(x2, W::load8(w0, i + 16), a2);
    a3 = madd(x3, W::load8(w0, i + 24), a3);
    b0 = madd(x0, W::load8(w1, i), b0);
    b1 = madd(x1, W::load8(w1, i + 8), b1);
    b2 = madd(x2, W::load8(w1, i + 16), b2);
    b3 = madd(x3, W::load8(w1, i + 24), b3);
  }
#endif
  for (; i + 8 <= n; i += 8) {
    const f32x8 xi = load8(x + i);
    a0 = madd(xi, W::load8(w0, i), a0);
    b0 = madd(xi, W::load8(w1, i), b0);
  }
  float s0 = sum8((a0 + a1) + (a2 + a3)), s1 = sum8((b0 + b1) + (b2 + b3));
  for (; i < n; ++i) {
    s0 = madd(x[i], W::load1(w0, i), s0);
    s1 = madd(x[i], W::load1(w1, i), s1);
  }
  out0 = s0;
  out1 = s1;
}

// fn(j, row) for every output feature j (row j of the weights, its bytes at `row`), each thread taking a fixed
// range of the rows for every token: a weight row is read from memory once per pass and reused from cache for all
// the tokens. The rows are read in the order they are stored, a reordered Q or K projection's too (each output
// written where it belongs): one stream front to back is what memory reads fastest, and jumping between rows read
// at half the speed here.
template <typename Fn>
void for_outputs(ThreadPool& pool, const WeightMatrix& w, const Fn& fn) {
  pool.run([&](int part) {
    const int64_t last = ThreadPool::begin(w.rows(), part + 1, pool.size());
    for (int64_t s = ThreadPool::begin(w.rows(), part, pool.size()); s < last; ++s)
      fn(w.row_of_stored(s), w.stored_row_data(s));
  });
}

// As for_outputs, but each thread reads its rows as two streams: pair(j0, row0, j1, row1) for the k-th stored row of
// the first half of its range and the k-th of the second, then one(j, row) for an odd range's last row. Each half is
// read front to back, so each stream is as plain for the prefetchers as one; pairing neighbouring rows instead
// interleaves two streams within the same pages, and with short rows (stories15M's 288 floats) the hardware stopped
// prefetching: its matrix products ran at two thirds of their speed.
template <typename Pair, typename One>
void for_output_pairs(ThreadPool& pool, const WeightMatrix& w, const Pair& pair, const One& one) {
  pool.run([&](int part) {
    const int64_t first = ThreadPool::begin(w.rows(), part, pool.size());
    const int64_t last = ThreadPool::begin(w.rows(), part + 1, pool.size());
    const int64_t half = (last - first) / 2;
    for (int64_t s = first; s < first + half; ++s)
      pair(w.row_of_stored(s), w.stored_row_data(s), w.row_of_stored(s + half), w.stored_row_data(s + half));
    if (first + 2 * half < last) one(w.row_of_stored(last - 1), w.stored_row_data(last - 1));
  });
}

// Tokens two at a time against each row (dot2); an odd last token against rows two at a time (dot_rows2). Either
// way every output is summed in dot_as's order.
template <typename W>
void linear_as(const Matrix& x, const WeightMatrix& w, Matrix& y, int rows, ThreadPool& pool) {
  const int64_t n = w.cols(), xs = x.cols(), stride = y.cols();
  const float* xd = x.data();
  float* yd = y.data();
  const int paired = rows / 2 * 2;
  auto token_pairs = [&](int64_t j, const uint8_t* wj) {
    for (int r = 0; r < paired; r += 2)
      dot2<W>(xd + r * xs, xd + (r + 1) * xs, wj, n, yd[r * stride + j], yd[(r + 1) * stride + j]);
  };
  if (paired == rows) return for_outputs(pool, w, token_pairs);
  const float* last = xd + paired * xs;
  float* out = yd + paired * stride;
  for_output_pairs(
      pool, w,
      [&](int64_t j0, const uint8_t* w0, int64_t j1, const uint8_t* w1) {
        token_pairs(j0, w0);
        token_pairs(j1, w1);
        dot_rows2<W>(last, w0, w1, n, out[j0], out[j1]);
      },
      [&](int64_t j, const uint8_t* wj) {
        token_pairs(j, wj);
        out[j] = dot_as<W>(last, wj, n);
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

// `n` values as int8 with one scale d = max|v| / 127 (q = round(v / d), halves away from zero), as ggml quantizes
// a block; returns d. Eight at a time where n allows: it runs once per matrix product on the calling thread alone,
// and one element at a time it took about 1 ms of a 1.1B model's decode step.
float quantize_block(const float* v, int64_t n, int8_t* q) {
  float amax = 0;
#if defined(__AVX2__)
  if (n % 8 == 0) {
    const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 m = _mm256_setzero_ps();
    // max(|v|, m) keeps m where |v| is NaN, as std::max(amax, |v|) below does.
    for (int64_t i = 0; i < n; i += 8) m = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(v + i), magnitude), m);
    for (int k = 0; k < 8; ++k) amax = std::max(amax, m[k]);
    const float d = amax / 127.0f, id = d != 0 ? 1.0f / d : 0.0f;
    const __m256 scale = _mm256_set1_ps(id), half = _mm256_set1_ps(0.5f), sign = _mm256_set1_ps(-0.0f);
    for (int64_t i = 0; i < n; i += 8) {
      const __m256 p = _mm256_mul_ps(_mm256_loadu_ps(v + i), scale);
      // std::round: the truncation, one more away from zero where the dropped fraction (exact) is at least a half.
      const __m256 whole = _mm256_round_ps(p, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
      const __m256 away = _mm256_cmp_ps(_mm256_andnot_ps(sign, _mm256_sub_ps(p, whole)), half, _CMP_GE_OQ);
      const __m256 one_away = _mm256_and_ps(away, _mm256_or_ps(_mm256_and_ps(p, sign), _mm256_set1_ps(1.0f)));
      const __m256i n32 = _mm256_cvttps_epi32(_mm256_add_ps(whole, one_away));
      const __m128i n16 = _mm_packs_epi32(_mm256_castsi256_si128(n32), _mm256_extracti128_si256(n32, 1));
      _mm_storel_epi64(reinterpret_cast<__m128i*>(q + i), _mm_packs_epi16(n16, n16));
    }
    return d;
  }
#endif
  for (int64_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(v[i]));
  const float d = amax / 127.0f, id = d != 0 ? 1.0f / d : 0.0f;
  for (int64_t i = 0; i < n; ++i) q[i] = static_cast<int8_t>(std::round(v[i] * id));
  return d;
}

void quantize_rows(const Matrix& x, int rows, int64_t n, QuantizedRows& out) {
  const int64_t blocks = n / kQ8Block;
  // Grown once to the largest pass, then reused: a decode step allocates nothing.
  if (out.scale.size() < static_cast<size_t>(rows * blocks)) out.scale.resize(static_cast<size_t>(rows * blocks));
  if (out.q.size() < static_cast<size_t>(rows * n)) out.q.resize(static_cast<size_t>(rows * n));
  for (int r = 0; r < rows; ++r)
    for (int64_t b = 0; b < blocks; ++b)
      out.scale[static_cast<size_t>(r * blocks + b)] = quantize_block(x.data() + r * x.cols() + b * kQ8Block, kQ8Block,
                                                                      out.q.data() + r * n + b * kQ8Block);
}

// Eight int32 lanes, lane k the exact sum of w[i] * x[i] over i = 4k .. 4k + 3 (w any int8, x in -127..127).
i32x8 products32(const uint8_t* w, const int8_t* x) {
#if defined(__AVX2__)
  const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
  const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x));
  // |w| * (x * sign(w)) = w * x, as unsigned times signed bytes, summed in fours: with AVX-VNNI in one instruction,
  // else in pairs (at most 2 * 128 * 127, which 16 bits hold), then the pairs in pairs. Both sums are exact.
#if defined(__AVXVNNI__)
  return reinterpret_cast<i32x8>(
      _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), _mm256_sign_epi8(wv, wv), _mm256_sign_epi8(xv, wv)));
#else
  const __m256i pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(wv, wv), _mm256_sign_epi8(xv, wv));
  return reinterpret_cast<i32x8>(_mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
#endif
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

// One output: the even blocks into one set of eight float lanes and the odd ones into another (two chains of
// multiply-adds, so that one need not wait on the latency of the last), each block's integer products scaled by both
// scales; the two added, then the lanes pairwise.
float dot_q8_0(const uint8_t* w, const float* xscale, const int8_t* xq, int64_t blocks) {
  f32x8 even{}, odd{};
  auto block_products = [&](int64_t b, f32x8 acc) {
    const uint8_t* block = w + b * kQ8Bytes;
    const f32x8 products = __builtin_convertvector(products32(block + 2, xq + b * kQ8Block), f32x8);
    return madd(simd::splat(half_scale(block) * xscale[b]), products, acc);
  };
  int64_t b = 0;
#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
  // Blocks b and b + 1 side by side in sixteen lanes, the halves being the even and the odd chain: the same
  // products summed in the same order, two blocks per instruction. As above, |w| times x * sign(w) (AVX-512 has no
  // byte sign instruction: x negated under the mask of w's negative bytes).
  __m512 both = _mm512_setzero_ps();
  for (; b + 2 <= blocks; b += 2) {
    const uint8_t* block = w + b * kQ8Bytes;
    prefetch_ahead<2 * kQ8Bytes>(block);
    const __m512i wv = _mm512_inserti64x4(
        _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 2))),
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + kQ8Bytes + 2)), 1);
    const __m512i xv = _mm512_loadu_si512(xq + b * kQ8Block);
    const __m512i xs = _mm512_mask_sub_epi8(xv, _mm512_movepi8_mask(wv), _mm512_setzero_si512(), xv);
    const __m512i products = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_abs_epi8(wv), xs);
    const __m512 scales = _mm512_mask_broadcastss_ps(_mm512_set1_ps(half_scale(block) * xscale[b]), 0xFF00,
                                                     _mm_set_ss(half_scale(block + kQ8Bytes) * xscale[b + 1]));
    both = _mm512_fmadd_ps(scales, _mm512_cvtepi32_ps(products), both);
  }
  halves(both, even, odd);
#else
  for (; b + 2 <= blocks; b += 2) {
    prefetch_ahead<2 * kQ8Bytes>(w + b * kQ8Bytes);
    even = block_products(b, even);
    odd = block_products(b + 1, odd);
  }
#endif
  if (b < blocks) even = block_products(b, even);
  return sum8(even + odd);
}

void linear_q8_0(const Matrix& x, const WeightMatrix& w, Matrix& y, int rows, ThreadPool& pool) {
  const int64_t n = w.cols(), stride = y.cols(), blocks = n / kQ8Block;
  // One buffer per calling thread (two models may run at once); the workers read the caller's through `xq`.
  static thread_local QuantizedRows quantized;
  QuantizedRows& xq = quantized;
  quantize_rows(x, rows, n, xq);
  float* yd = y.data();
  for_outputs(pool, w, [&](int64_t j, const uint8_t* wj) {
    for (int r = 0; r < rows; ++r)
      yd[r * stride + j] = dot_q8_0(wj, xq.scale.data() + r * blocks, xq.q.data() + r * n, blocks);
  });
}

// ---- Q4_K and Q6_K: super-blocks of 256 weights, times activations quantized per 256 ----
//
// As ggml multiplies them (its Q8_K activations): each row of activations is quantized per 256 values, d = max|x| /
// 127 and q = round(x / d), with the sum of every 16 quants kept. A super-block's products are scaled by the
// weights' 6-bit (Q4_K) or 8-bit (Q6_K) sub-block scales and summed in integers, exactly, into eight lanes, which are
// then scaled by the two float scales. Q4_K's minimums multiply the activations' sums (x = d sc q - dmin m, so the
// products gain -dmin m sum(q8) per sub-block), as does Q6_K's offset of 32 (x = d sc (q - 32)). The weights are
// read as the file stores them: 4.5 and 6.56 bits per weight.

constexpr int64_t kSuper = 256, kQ4KBytes = 144, kQ6KBytes = 210;

struct QuantizedRowsK {
  std::vector<float> scale;   // [rows, n / 256]
  std::vector<int8_t> q;      // [rows, n]
  std::vector<int16_t> sums;  // [rows, n / 16]: each 16 quants summed
};

void quantize_rows_k(const Matrix& x, int rows, int64_t n, QuantizedRowsK& out) {
  const int64_t blocks = n / kSuper;
  if (out.scale.size() < static_cast<size_t>(rows * blocks)) out.scale.resize(static_cast<size_t>(rows * blocks));
  if (out.q.size() < static_cast<size_t>(rows * n)) out.q.resize(static_cast<size_t>(rows * n));
  if (out.sums.size() < static_cast<size_t>(rows * n / 16)) out.sums.resize(static_cast<size_t>(rows * n / 16));
  for (int r = 0; r < rows; ++r)
    for (int64_t b = 0; b < blocks; ++b) {
      int8_t* q = out.q.data() + r * n + b * kSuper;
      out.scale[static_cast<size_t>(r * blocks + b)] = quantize_block(x.data() + r * x.cols() + b * kSuper, kSuper, q);
      int16_t* sums = out.sums.data() + (r * n + b * kSuper) / 16;
      for (int k = 0; k < kSuper / 16; ++k) {
        int sum = 0;
        for (int i = 16 * k; i < 16 * k + 16; ++i) sum += q[i];
        sums[k] = static_cast<int16_t>(sum);
      }
    }
}

// Q4_K's products less its minimums' part, in eight lanes: lane k sums, over the four 64-element runs c,
// sc[2c] * lo * x + sc[2c + 1] * hi * x for the bytes 4k .. 4k + 3 of the run's 32 (lo, hi their nibbles, elements
// 64c + i and 64c + 32 + i); `mins` gets lane j = min j * (the sum of sub-block j's 32 activation quants). At most
// 15 * 127 * 2 per 16-bit pair, 63 times that per 32-bit lane and run: no overflow. `block` is the whole block.
i32x8 q4_k_products(const uint8_t* block, const int8_t* x, const int16_t* sums, i32x8& mins) {
#if defined(__AVX2__)
  // The 8 scales and 8 minimums (quant.h's unpack_q4_k_scales) into bytes 0-7 and 8-15, from the packed words
  // w0 w1 w2 (block bytes 4-15; the load's last 4 bytes are the first nibbles, unused): bytes 0-3 are w0's low 6
  // bits, bytes 4-7 w2's low nibbles under w0's top 2 bits, bytes 8-11 w1's low 6 bits, bytes 12-15 w2's high
  // nibbles under w1's top 2 bits.
  const __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 4));
  const __m128i low = _mm_srlv_epi32(_mm_shuffle_epi32(w, _MM_SHUFFLE(2, 1, 2, 0)), _mm_setr_epi32(0, 0, 0, 4));
  const __m128i top = _mm_slli_epi32(_mm_and_si128(_mm_srli_epi32(_mm_shuffle_epi32(w, _MM_SHUFFLE(1, 1, 0, 0)), 6),
                                                   _mm_setr_epi32(0, 0x03030303, 0, 0x03030303)),
                                     4);
  const __m128i scales_mins = _mm_or_si128(
      _mm_and_si128(low, _mm_setr_epi32(0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f)), top);
  const uint8_t* qs = block + 16;
#if defined(__AVX512BW__) && defined(__AVX512VNNI__)
  // Two runs at once, c in the low 32 bytes and c + 1 in the high: the same integer products, each lane's exact
  // sum ending as the low half's lane plus the high half's. Scale k in every 16-bit lane: the scales widened to
  // 16 bits in every 128-bit quarter, then bytes 2k and 2k + 1 picked (scale 2c for the low half, 2c + 2 high).
  const __m512i scales = _mm512_broadcast_i32x4(_mm_cvtepu8_epi16(scales_mins));
  const __m512i nibble = _mm512_set1_epi8(0x0F);
  auto pick = [&](int low, int high) {
    const __m512i picks = _mm512_inserti64x4(
        _mm512_castsi256_si512(_mm256_set1_epi16(static_cast<int16_t>(0x0100 + 0x0202 * low))),
        _mm256_set1_epi16(static_cast<int16_t>(0x0100 + 0x0202 * high)), 1);
    return _mm512_shuffle_epi8(scales, picks);
  };
  auto two_runs = [&](const int8_t* first) {  // x's 32 bytes at `first` and at `first` + 64
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(first))),
                              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(first + 64)), 1);
  };
  __m512i both = _mm512_setzero_si512();
  for (int c = 0; c < 4; c += 2) {
    const __m512i q = _mm512_loadu_si512(qs + 32 * c);
    const __m512i lo = _mm512_and_si512(q, nibble), hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), nibble);
    both = _mm512_dpwssd_epi32(both, _mm512_maddubs_epi16(lo, two_runs(x + 64 * c)), pick(2 * c, 2 * c + 2));
    both = _mm512_dpwssd_epi32(both, _mm512_maddubs_epi16(hi, two_runs(x + 64 * c + 32)), pick(2 * c + 1, 2 * c + 3));
  }
  const __m256i sum = _mm256_add_epi32(_mm512_castsi512_si256(both), _mm512_extracti64x4_epi64(both, 1));
#else
  // Scale k in every 16-bit lane: the scales widened to 16 bits in both halves, then bytes 2k and 2k + 1 picked.
  const __m256i scales = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(scales_mins));
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  __m256i sum = _mm256_setzero_si256();
  for (int c = 0; c < 4; ++c) {
    const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs + 32 * c));
    const __m256i lo = _mm256_and_si256(q, nibble), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), nibble);
    const __m256i plo = _mm256_maddubs_epi16(lo, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 64 * c)));
    const __m256i phi = _mm256_maddubs_epi16(hi, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 64 * c + 32)));
    const __m256i pick_lo = _mm256_set1_epi16(static_cast<int16_t>(0x0100 + 0x0202 * (2 * c)));
    const __m256i pick_hi = _mm256_set1_epi16(static_cast<int16_t>(0x0100 + 0x0202 * (2 * c + 1)));
    sum = _mm256_add_epi32(sum, _mm256_madd_epi16(plo, _mm256_shuffle_epi8(scales, pick_lo)));
    sum = _mm256_add_epi32(sum, _mm256_madd_epi16(phi, _mm256_shuffle_epi8(scales, pick_hi)));
  }
#endif
  const __m256i min_pairs = _mm256_cvtepu8_epi16(_mm_unpackhi_epi8(scales_mins, scales_mins));  // m0 m0 m1 ...
  mins = reinterpret_cast<i32x8>(
      _mm256_madd_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(sums)), min_pairs));
  return reinterpret_cast<i32x8>(sum);
#else
  uint8_t sc[8], mn[8];
  unpack_q4_k_scales(block + 4, sc, mn);
  const uint8_t* qs = block + 16;
  i32x8 lanes{};
  for (int c = 0; c < 4; ++c)
    for (int i = 0; i < 32; ++i) {
      const int q = qs[32 * c + i];
      lanes[i / 4] += sc[2 * c] * (q & 0xF) * x[64 * c + i] + sc[2 * c + 1] * (q >> 4) * x[64 * c + 32 + i];
    }
  for (int j = 0; j < 8; ++j) mins[j] = mn[j] * (sums[2 * j] + sums[2 * j + 1]);
  return lanes;
#endif
}

float dot_q4_k(const uint8_t* w, const float* xscale, const int8_t* xq, const int16_t* xsums, int64_t blocks) {
  f32x8 acc{}, acc_min{};
  for (int64_t b = 0; b < blocks; ++b) {
    const uint8_t* block = w + b * kQ4KBytes;
    prefetch_ahead<kQ4KBytes>(block);
    i32x8 min_products;
    const i32x8 products = q4_k_products(block, xq + b * kSuper, xsums + b * kSuper / 16, min_products);
    acc = madd(simd::splat(half_scale(block) * xscale[b]), __builtin_convertvector(products, f32x8), acc);
    acc_min = madd(simd::splat(half_scale(block + 2) * xscale[b]), __builtin_convertvector(min_products, f32x8),
                   acc_min);
  }
  return sum8(acc) - sum8(acc_min);
}

// Q6_K's four quarters of 32 quants as bytes (in a 512-bit vector, the block's two halves side by side): the low 4
// bits from ql0 (quarters 0 and 2: low nibbles, then high) or ql1 (1 and 3), the high 2 from qh (bits 2g), put at
// bits 4-5. V has 16-bit lanes, as the vector shifts have: the bits a shift carries across bytes are masked off.
template <typename V>
void q6_k_quarters(V ql0, V ql1, V qh, V (&q)[4]) {
  const V low4 = V{} + 0x0F0F, high2 = V{} + 0x3030;
  q[0] = (ql0 & low4) | ((qh << 4) & high2);
  q[1] = (ql1 & low4) | ((qh << 2) & high2);
  q[2] = ((ql0 >> 4) & low4) | (qh & high2);
  q[3] = ((ql1 >> 4) & low4) | ((qh >> 2) & high2);
}

// Q6_K's products, the offset of 32 included: lane k sums sc * q * x over the bytes 4k .. 4k + 3 of each 32 elements
// (sc the scale of the element's 16), less 32 * (sc_2k * s_2k + sc_2k+1 * s_2k+1) over the 16-sums s. At most
// 63 * 127 * 2 per 16-bit pair; every lane stays far inside 32 bits.
i32x8 q6_k_products(const uint8_t* block, const int8_t* x, const int16_t* sums) {
  const auto* sc = reinterpret_cast<const int8_t*>(block + 192);
#if defined(__AVX512BW__) && defined(__AVX512VNNI__)
  // Both halves h at once, h = 0 in the low 32 bytes and h = 1 in the high (qh's two halves lie side by side); as
  // for Q4_K, the integer sums end as the low lanes plus the high ones. Each 128-bit quarter takes one scale.
  auto halves_of = [](const uint8_t* first, int64_t apart) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(first))),
                              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(first + apart)), 1);
  };
  using u16x32 = uint16_t __attribute__((vector_size(64)));
  u16x32 quarters[4];
  q6_k_quarters(reinterpret_cast<u16x32>(halves_of(block, 64)), reinterpret_cast<u16x32>(halves_of(block + 32, 64)),
                reinterpret_cast<u16x32>(_mm512_loadu_si512(block + 128)), quarters);
  const __m512i scales16 = _mm512_castsi256_si512(
      _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sc))));
  __m512i both = _mm512_setzero_si512();
  for (int g = 0; g < 4; ++g) {
    // Quarters: scales 2g, 2g + 1 (h = 0), 8 + 2g, 9 + 2g (h = 1).
    const __m512i pick = _mm512_inserti64x4(
        _mm512_castsi256_si512(_mm256_set_m128i(_mm_set1_epi16(static_cast<int16_t>(2 * g + 1)),
                                                _mm_set1_epi16(static_cast<int16_t>(2 * g)))),
        _mm256_set_m128i(_mm_set1_epi16(static_cast<int16_t>(9 + 2 * g)),
                         _mm_set1_epi16(static_cast<int16_t>(8 + 2 * g))),
        1);
    const __m512i products = _mm512_maddubs_epi16(reinterpret_cast<__m512i>(quarters[g]),
                                                  halves_of(reinterpret_cast<const uint8_t*>(x) + 32 * g, 128));
    both = _mm512_dpwssd_epi32(both, products, _mm512_permutexvar_epi16(pick, scales16));
  }
  const __m256i sum = _mm256_add_epi32(_mm512_castsi512_si256(both), _mm512_extracti64x4_epi64(both, 1));
  const __m256i offset = _mm256_madd_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(sums)),
                                           _mm512_castsi512_si256(scales16));
  return reinterpret_cast<i32x8>(_mm256_sub_epi32(sum, _mm256_slli_epi32(offset, 5)));
#elif defined(__AVX2__)
  using u16x16 = uint16_t __attribute__((vector_size(32)));
  const __m256i scales16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sc)));
  __m256i sum = _mm256_setzero_si256();
  for (int h = 0; h < 2; ++h) {
    u16x16 ql0, ql1, qh, quarters[4];
    std::memcpy(&ql0, block + 64 * h, sizeof ql0);
    std::memcpy(&ql1, block + 64 * h + 32, sizeof ql1);
    std::memcpy(&qh, block + 128 + 32 * h, sizeof qh);
    q6_k_quarters(ql0, ql1, qh, quarters);
    // Scales 8h .. 8h + 7 as 16-bit words in both halves; quarter g takes word 2g in the low half, 2g + 1 high.
    const __m256i half_scales = h == 0 ? _mm256_permute2x128_si256(scales16, scales16, 0x00)
                                       : _mm256_permute2x128_si256(scales16, scales16, 0x11);
    for (int g = 0; g < 4; ++g) {
      const __m256i products = _mm256_maddubs_epi16(
          reinterpret_cast<__m256i>(quarters[g]),
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 128 * h + 32 * g)));
      const __m256i pick = _mm256_set_m128i(_mm_set1_epi16(static_cast<int16_t>(0x0100 + 0x0202 * (2 * g + 1))),
                                            _mm_set1_epi16(static_cast<int16_t>(0x0100 + 0x0202 * (2 * g))));
      sum = _mm256_add_epi32(sum, _mm256_madd_epi16(products, _mm256_shuffle_epi8(half_scales, pick)));
    }
  }
  const __m256i offset = _mm256_madd_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(sums)), scales16);
  return reinterpret_cast<i32x8>(_mm256_sub_epi32(sum, _mm256_slli_epi32(offset, 5)));
#else
  i32x8 lanes{};
  for (int h = 0; h < 2; ++h)
    for (int g = 0; g < 4; ++g)
      for (int l = 0; l < 32; ++l) {
        const int e = 128 * h + 32 * g + l;
        const int low = (block[64 * h + 32 * (g & 1) + l] >> (4 * (g >> 1))) & 0xF;
        const int high = (block[128 + 32 * h + l] >> (2 * g)) & 3;
        lanes[l / 4] += sc[e / 16] * (low | (high << 4)) * x[e];
      }
  for (int j = 0; j < 8; ++j) lanes[j] -= 32 * (sc[2 * j] * sums[2 * j] + sc[2 * j + 1] * sums[2 * j + 1]);
  return lanes;
#endif
}

float dot_q6_k(const uint8_t* w, const float* xscale, const int8_t* xq, const int16_t* xsums, int64_t blocks) {
  f32x8 acc{};
  for (int64_t b = 0; b < blocks; ++b) {
    const uint8_t* block = w + b * kQ6KBytes;
    prefetch_ahead<kQ6KBytes>(block);
    const i32x8 products = q6_k_products(block, xq + b * kSuper, xsums + b * kSuper / 16);
    acc = madd(simd::splat(half_scale(block + 208) * xscale[b]), __builtin_convertvector(products, f32x8), acc);
  }
  return sum8(acc);
}

template <float (*Dot)(const uint8_t*, const float*, const int8_t*, const int16_t*, int64_t)>
void linear_k(const Matrix& x, const WeightMatrix& w, Matrix& y, int rows, ThreadPool& pool) {
  const int64_t n = w.cols(), stride = y.cols(), blocks = n / kSuper;
  static thread_local QuantizedRowsK quantized;  // per calling thread, as for Q8_0
  QuantizedRowsK& xq = quantized;
  quantize_rows_k(x, rows, n, xq);
  float* yd = y.data();
  for_outputs(pool, w, [&](int64_t j, const uint8_t* wj) {
    for (int r = 0; r < rows; ++r)
      yd[r * stride + j] = Dot(wj, xq.scale.data() + r * blocks, xq.q.data() + r * n, xq.sums.data() + r * n / 16,
                               blocks);
  });
}

}  // namespace

float dot(const float* a, const float* b, int64_t n) {
  return dot_as<F32Weights, false>(a, reinterpret_cast<const uint8_t*>(b), n);
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
    case GgmlType::Q4_K: return linear_k<dot_q4_k>(x, w, y, rows, pool);
    case GgmlType::Q6_K: return linear_k<dot_q6_k>(x, w, y, rows, pool);
    default: break;
  }
  throw std::logic_error("linear: no kernel for " + std::string(ggml_type_name(static_cast<uint32_t>(w.type()))));
}

}  // namespace kvscope::core::ops
