#include "trace/tensor_view.h"

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

}  // namespace kvscope::trace
