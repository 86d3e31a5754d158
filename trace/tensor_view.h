#pragma once
// A strided window on a tensor owned by the model: how the trace reads values without knowing Eigen.
#include <array>
#include <cstddef>
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

  // Whether for_each_row can walk it: float values whose last axis is not the repeated one.
  bool rows_walkable() const { return data != nullptr && rank > 0 && repeat_axis != rank - 1; }
  // Calls fn(p, n, stride) for every run along the last axis, in row-major order: the run is p[0], p[stride],
  // ..., p[(n - 1) * stride]. A tensor is read as fast as its rows allow, not an index computation per element.
  template <typename Fn>
  void for_each_row(const Fn& fn) const {
    std::array<int64_t, kMaxRank> index{};
    const int outer = rank - 1;
    const int64_t n = shape[static_cast<std::size_t>(outer)], stride = strides[static_cast<std::size_t>(outer)];
    for (int d = 0; d < outer; ++d)
      if (shape[static_cast<std::size_t>(d)] == 0) return;
    if (n == 0) return;
    for (;;) {
      int64_t offset = 0;
      for (int d = 0; d < outer; ++d) {
        const int64_t i = d == repeat_axis ? index[static_cast<std::size_t>(d)] / repeat
                                           : index[static_cast<std::size_t>(d)];
        offset += i * strides[static_cast<std::size_t>(d)];
      }
      fn(data + offset, n, stride);
      int d = outer - 1;
      for (; d >= 0; --d) {
        if (++index[static_cast<std::size_t>(d)] < shape[static_cast<std::size_t>(d)]) break;
        index[static_cast<std::size_t>(d)] = 0;
      }
      if (d < 0) return;
    }
  }
};

}  // namespace kvscope::trace
