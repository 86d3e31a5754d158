#include "core/weight_matrix.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "core/safetensors.h"  // float_to_f16
#include "core/thread_pool.h"

namespace kvscope::core {

WeightMatrix::WeightMatrix(Matrix&& owned)
    : rows_(owned.rows()), cols_(owned.cols()), row_bytes_(owned.cols() * int64_t{sizeof(float)}) {
  auto keep = std::make_shared<Matrix>(std::move(owned));
  data_ = reinterpret_cast<const uint8_t*>(keep->data());
  owner_ = std::move(keep);
}

bool WeightMatrix::kept_as_stored(uint32_t type) {
  const auto t = static_cast<GgmlType>(type);
  return t == GgmlType::F32 || t == GgmlType::F16 || t == GgmlType::BF16 || t == GgmlType::Q8_0 ||
         t == GgmlType::Q4_K || t == GgmlType::Q6_K;
}

WeightMatrix WeightMatrix::requantized_q8_0(uint32_t type, int64_t rows, int64_t cols, const uint8_t* data) {
  const int64_t in_row = tensor_bytes(type, cols), out_row = tensor_bytes(static_cast<uint32_t>(GgmlType::Q8_0), cols);
  auto bytes = std::make_shared<std::vector<uint8_t>>(static_cast<size_t>(rows * out_row));
  // Rows are independent: a large file's conversion is split across the cores, each taking a fixed range.
  ThreadPool pool(rows >= 256 ? available_cores() : 1);
  pool.run([&](int part) {
    std::vector<float> row(static_cast<size_t>(cols));
    const int64_t last = ThreadPool::begin(rows, part + 1, pool.size());
    for (int64_t r = ThreadPool::begin(rows, part, pool.size()); r < last; ++r) {
      dequantize(type, data + r * in_row, cols, row.data());
      uint8_t* out = bytes->data() + r * out_row;
      for (int64_t b = 0; b < cols / 32; ++b, out += 34) {
        const float* x = row.data() + b * 32;
        float amax = 0;
        for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[i]));
        const float d = amax / 127.0f, id = d != 0 ? 1.0f / d : 0.0f;
        const uint16_t d16 = float_to_f16(d);
        std::memcpy(out, &d16, 2);
        for (int i = 0; i < 32; ++i) out[2 + i] = static_cast<uint8_t>(static_cast<int8_t>(std::round(x[i] * id)));
      }
    }
  });
  const uint8_t* p = bytes->data();
  return WeightMatrix(GgmlType::Q8_0, rows, cols, p, std::move(bytes));
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
  std::vector<int32_t> inverse(order.size());
  for (size_t r = 0; r < order.size(); ++r) inverse[static_cast<size_t>(order[r])] = static_cast<int32_t>(r);
  order_ = std::make_shared<const std::vector<int32_t>>(std::move(order));
  inverse_ = std::make_shared<const std::vector<int32_t>>(std::move(inverse));
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
