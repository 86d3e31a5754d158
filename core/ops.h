#pragma once
// The arithmetic of one LLaMA layer, on row-major float32 buffers; each op is tested on hand-computed cases.
#include <cstdint>

#include <Eigen/Core>

#include "core/thread_pool.h"
#include "core/weight_matrix.h"
#include "core/weights.h"

namespace kvscope::core::ops {

// y[rows] = x[rows] W^T, W stored [out, in] as HF does, on the pool's threads. Every element is one dot
// product in one fixed order, whatever the number of rows or threads or the precision W is stored in: the
// same inputs give the same bits.
void linear(const Matrix& x, const WeightMatrix& w, Matrix& y, int rows, ThreadPool& pool);

// The dot product of two float32 vectors in linear's one summation order, whatever their alignment: attention's
// scores use it, so that no result depends on where a buffer happens to start.
float dot(const float* a, const float* b, int64_t n);
// y += a * x elementwise, each element fused the same way: attention's weighted sum of values, one position
// after another.
void add_scaled(float a, const float* x, float* y, int64_t n);

// HF LlamaRMSNorm in float32: x / sqrt(mean(x^2) + eps) * weight, row by row.
void rms_norm(const Matrix& x, const Vector& weight, float eps, Matrix& y, int rows);

// Rotary tables as HF computes them in float32: inv_freq[i] = 1 / theta^(2i/hd), angle = pos * inv_freq.
struct RopeTable {
  int half = 0;
  Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> cos, sin;  // [positions, hd/2]
};
RopeTable rope_table(int head_size, double theta, int positions);

// rotate_half convention: dimension i pairs with i + hd/2. `row` holds `heads` heads of `head_size`.
void rope_row(const float* in, float* out, int heads, int head_size, const RopeTable& table, int position);

// Row-wise softmax in place over `cols` columns.
void softmax_rows(float* data, int64_t rows, int64_t cols);

// gate := silu(gate) * up, elementwise on the first `rows` rows.
void silu_mul(Matrix& gate, const Matrix& up, int rows);

// First index of the largest value, as torch.argmax.
int32_t argmax(const float* data, int64_t n);

}  // namespace kvscope::core::ops
