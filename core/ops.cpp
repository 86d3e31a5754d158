#include "core/ops.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/vector_math.h"

namespace kvscope::core::ops {

void rms_norm(const Matrix& x, const Vector& weight, float eps, Matrix& y, int rows) {
  const float inv_cols = 1.0f / static_cast<float>(x.cols());
  for (int r = 0; r < rows; ++r) {
    const float mean_sq = x.row(r).squaredNorm() * inv_cols;
    const float scale = 1.0f / std::sqrt(mean_sq + eps);
    y.row(r) = (x.row(r) * scale).cwiseProduct(weight.transpose());
  }
}

RopeTable rope_table(int head_size, double theta, int positions) {
  RopeTable t;
  t.half = head_size / 2;
  t.cos.resize(positions, t.half);
  t.sin.resize(positions, t.half);
  for (int i = 0; i < t.half; ++i) {
    // float32 like torch: inv_freq = 1.0 / (base ** (arange(0, dim, 2).float() / dim))
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(head_size);
    const float inv_freq = static_cast<float>(1.0 / std::pow(theta, static_cast<double>(exponent)));
    for (int p = 0; p < positions; ++p) {
      const float angle = static_cast<float>(p) * inv_freq;
      t.cos(p, i) = std::cos(angle);
      t.sin(p, i) = std::sin(angle);
    }
  }
  return t;
}

void rope_row(const float* in, float* out, int heads, int head_size, const RopeTable& table, int position) {
  const int half = table.half;
  const float* c = table.cos.row(position).data();
  const float* s = table.sin.row(position).data();
  for (int h = 0; h < heads; ++h) {
    const float* x = in + h * head_size;
    float* y = out + h * head_size;
    for (int i = 0; i < half; ++i) {
      const float x1 = x[i], x2 = x[i + half];
      // q * cos + rotate_half(q) * sin, rotate_half(x) = cat(-x2, x1)
      y[i] = x1 * c[i] - x2 * s[i];
      y[i + half] = x2 * c[i] + x1 * s[i];
    }
  }
}

void softmax_rows(float* data, int64_t rows, int64_t cols) {
  using simd::f32x8;
  // Masked positions hold the lowest float: their probability is exactly 0, as torch's is, and so is every
  // shifted value below -87 (where exp leaves the normal floats).
  auto shifted_exp = [](f32x8 v, float max) {
    const f32x8 s = v - simd::splat(max);
    const f32x8 e = simd::exp8(s);
    return s < simd::splat(-87.0f) ? simd::splat(0.0f) : e;
  };
  for (int64_t r = 0; r < rows; ++r) {
    float* row = data + r * cols;
    float max = row[0];
    for (int64_t i = 1; i < cols; ++i) max = std::max(max, row[i]);
    f32x8 acc{};
    int64_t i = 0;
    for (; i + 8 <= cols; i += 8) {
      const f32x8 e = shifted_exp(simd::load8(row + i), max);
      simd::store8(row + i, e);
      acc += e;
    }
    float sum = simd::sum8(acc);
    if (i < cols) {  // the tail through the same arithmetic, padded with masked lanes
      f32x8 v = simd::splat(std::numeric_limits<float>::lowest());
      for (int64_t k = i; k < cols; ++k) v[k - i] = row[k];
      const f32x8 e = shifted_exp(v, max);
      for (int64_t k = i; k < cols; ++k) {
        row[k] = e[k - i];
        sum += row[k];
      }
    }
    for (int64_t k = 0; k < cols; ++k) row[k] /= sum;
  }
}

void silu_mul(Matrix& gate, const Matrix& up, int rows) {
  auto g = gate.topRows(rows).array();
  g = g / (1.0f + (-g).exp()) * up.topRows(rows).array();
}

int32_t argmax(const float* data, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (data[i] > data[best]) best = i;
  return static_cast<int32_t>(best);
}

}  // namespace kvscope::core::ops
