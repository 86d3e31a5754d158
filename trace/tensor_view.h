#pragma once
// A strided window on a tensor owned by the model: how the trace reads values without knowing Eigen.
#include <array>
#include <cstdint>

namespace kvscope::trace {

constexpr int kMaxRank = 5;

struct TensorView {
  const float* data = nullptr;   // float tensors; null for shape-only (meta) runs
  const int32_t* ids = nullptr;  // integer tensors (token and position ids)
  int rank = 0;
  std::array<int64_t, kMaxRank> shape{};
  std::array<int64_t, kMaxRank> strides{};  // in elements
  // repeat_kv without a copy: the index on this axis is divided by `repeat` before the stride applies.
  int repeat_axis = -1;
  int64_t repeat = 1;

  bool has_values() const { return data != nullptr || ids != nullptr; }
  bool is_integer() const { return ids != nullptr; }
  int64_t numel() const;
  // Element at a row-major flat index of `shape`.
  double at(int64_t flat) const;
};

}  // namespace kvscope::trace
