#include "trace/tensor_view.h"

#include <initializer_list>
#include <stdexcept>

namespace kvscope::trace {

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int i = 0; i < rank; ++i) n *= shape[i];
  return n;
}

double TensorView::at(int64_t flat) const {
  int64_t offset = 0;
  for (int i = rank - 1; i >= 0; --i) {
    int64_t index = flat % shape[i];
    flat /= shape[i];
    if (i == repeat_axis) index /= repeat;
    offset += index * strides[i];
  }
  return ids ? static_cast<double>(ids[offset]) : static_cast<double>(data[offset]);
}

namespace {
TensorView dense(std::initializer_list<int64_t> shape) {
  if (shape.size() > static_cast<size_t>(kMaxRank)) throw std::invalid_argument("tensor rank above kMaxRank");
  TensorView v;
  v.rank = static_cast<int>(shape.size());
  int i = 0;
  for (int64_t s : shape) v.shape[i++] = s;
  int64_t stride = 1;
  for (int d = v.rank - 1; d >= 0; --d) {
    v.strides[d] = stride;
    stride *= v.shape[d];
  }
  return v;
}
}  // namespace

TensorView dense_view(const float* data, std::initializer_list<int64_t> shape) {
  TensorView v = dense(shape);
  v.data = data;
  return v;
}

TensorView dense_ids(const int32_t* ids, std::initializer_list<int64_t> shape) {
  TensorView v = dense(shape);
  v.ids = ids;
  return v;
}

}  // namespace kvscope::trace
