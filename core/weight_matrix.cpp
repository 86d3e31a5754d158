#include "core/weight_matrix.h"

#include <cstring>
#include <stdexcept>
#include <string>

namespace kvscope::core {

WeightMatrix::WeightMatrix(Matrix&& owned)
    : rows_(owned.rows()), cols_(owned.cols()), row_bytes_(owned.cols() * int64_t{sizeof(float)}) {
  auto keep = std::make_shared<Matrix>(std::move(owned));
  data_ = reinterpret_cast<const uint8_t*>(keep->data());
  owner_ = std::move(keep);
}

bool WeightMatrix::kept_as_stored(uint32_t type) {
  const auto t = static_cast<GgmlType>(type);
  return t == GgmlType::F32 || t == GgmlType::F16 || t == GgmlType::BF16;
}

WeightMatrix::WeightMatrix(GgmlType type, int64_t rows, int64_t cols, const uint8_t* data,
                           std::shared_ptr<const void> owner)
    : type_(type), rows_(rows), cols_(cols), data_(data), owner_(std::move(owner)) {
  if (!kept_as_stored(static_cast<uint32_t>(type)))
    throw std::invalid_argument("a weight matrix cannot hold " +
                                std::string(ggml_type_name(static_cast<uint32_t>(type))));
  row_bytes_ = tensor_bytes(static_cast<uint32_t>(type), cols);
}

void WeightMatrix::row_to_f32(int64_t r, float* out) const {
  const uint8_t* p = row_data(r);
  switch (type_) {
    case GgmlType::F32: std::memcpy(out, p, static_cast<size_t>(row_bytes_)); return;
    default: dequantize(static_cast<uint32_t>(type_), p, cols_, out); return;
  }
}

Matrix WeightMatrix::to_f32() const {
  Matrix m(rows_, cols_);
  for (int64_t r = 0; r < rows_; ++r) row_to_f32(r, m.row(r).data());
  return m;
}

void WeightMatrix::reorder_rows(std::vector<int32_t> order) {
  if (static_cast<int64_t>(order.size()) != rows_)
    throw std::invalid_argument("reorder_rows: " + std::to_string(order.size()) + " indices for " +
                                std::to_string(rows_) + " rows");
  if (order_) {  // compose: row r was read from (*order_)[r]
    for (int32_t& i : order) i = (*order_)[static_cast<size_t>(i)];
  }
  order_ = std::make_shared<const std::vector<int32_t>>(std::move(order));
}

std::vector<int32_t> rotary_order_from_interleaved(int64_t rows, int heads) {
  if (heads <= 0 || rows % heads != 0 || (rows / heads) % 2 != 0)
    throw std::invalid_argument("rotary_order_from_interleaved: " + std::to_string(rows) + " rows are not " +
                                std::to_string(heads) + " heads of an even size");
  const int64_t head = rows / heads, half = head / 2;
  std::vector<int32_t> order(static_cast<size_t>(rows));
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t t = 0; t < 2; ++t)
      for (int64_t i = 0; i < half; ++i)
        order[static_cast<size_t>(h * head + t * half + i)] = static_cast<int32_t>(h * head + 2 * i + t);
  return order;
}

}  // namespace kvscope::core
