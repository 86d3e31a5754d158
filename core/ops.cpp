#include "core/ops.h"

#include <cmath>

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
  for (int64_t r = 0; r < rows; ++r) {
    Eigen::Map<Eigen::RowVectorXf> row(data + r * cols, cols);
    const float max = row.maxCoeff();
    // Eigen's vectorised exp stops at about exp(-88) instead of underflowing, which would leave masked
    // positions a 1e-38 probability; torch's are exactly 0, and so is every float below FLT_MIN here.
    const auto shifted = row.array() - max;
    row = (shifted < -87.0f).select(0.0f, shifted.exp());
    row /= row.sum();
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
