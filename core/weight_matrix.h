#pragma once
// One weight matrix [rows, cols] kept in the precision its file stores: float32 mapped straight from the file or
// owned in memory, float16 and bfloat16 kept 16-bit (converted inside the matrix kernels), Q8_0, Q4_K and Q6_K kept
// as their blocks (multiplied with integer dot products). A model file's bytes are mapped, not copied, so loading
// costs no conversion pass and no second copy of the weights.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/quant.h"
#include "core/weights.h"

namespace kvscope::core {

class WeightMatrix {
 public:
  WeightMatrix() = default;
  // Takes a float32 matrix over, without copying it.
  explicit WeightMatrix(Matrix&& owned);
  // `rows` rows of `cols` elements of `type` back to back at `data` (any alignment), kept alive by `owner`
  // (the file's mapping). Throws std::invalid_argument for a type the kernels do not read (they read F32, F16,
  // BF16, Q8_0, Q4_K and Q6_K), or when a row is not whole blocks.
  WeightMatrix(GgmlType type, int64_t rows, int64_t cols, const uint8_t* data, std::shared_ptr<const void> owner);

  // The types a WeightMatrix can hold as they are.
  static bool kept_as_stored(uint32_t type);
  // ggml's other block types (Q4_0, Q4_1, Q5_0, Q5_1, Q5_K), requantized to Q8_0 row by row (dequantized, then
  // quantized as ggml's quantize_row_q8_0 does): `rows` rows of `cols` elements of `type` at `data`. The 8-bit grid
  // keeps the 4- and 5-bit values within half a Q8_0 step, at under half the memory of float32.
  static WeightMatrix requantized_q8_0(uint32_t type, int64_t rows, int64_t cols, const uint8_t* data);

  GgmlType type() const { return type_; }
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  int64_t stored_bytes() const { return rows_ * row_bytes_; }

  // Row r's bytes (after any reordering).
  const uint8_t* row_data(int64_t r) const {
    return data_ + (order_ ? int64_t{(*order_)[static_cast<size_t>(r)]} : r) * row_bytes_;
  }
  // The bytes of the s-th row as stored, and the row it is after any reordering: the matrix kernels walk the rows
  // as stored, front to back, and write each output where it belongs.
  const uint8_t* stored_row_data(int64_t s) const { return data_ + s * row_bytes_; }
  int64_t row_of_stored(int64_t s) const { return inverse_ ? int64_t{(*inverse_)[static_cast<size_t>(s)]} : s; }
  // Row r widened to float32 (exactly: every stored type is a subset of float32).
  void row_to_f32(int64_t r, float* out) const;
  Matrix to_f32() const;

  // Row r is read from stored row order[r]: GGUF and llama2.c files store q and k with the two halves of each
  // rotary pair interleaved, and reading them in HF's order costs nothing, where permuting the bytes would
  // copy a mapped file. `order` must be a permutation of 0..rows-1.
  void reorder_rows(std::vector<int32_t> order);

 private:
  GgmlType type_ = GgmlType::F32;
  int64_t rows_ = 0, cols_ = 0, row_bytes_ = 0;
  const uint8_t* data_ = nullptr;
  std::shared_ptr<const void> owner_;
  std::shared_ptr<const std::vector<int32_t>> order_;    // null: stored order
  std::shared_ptr<const std::vector<int32_t>> inverse_;  // (*inverse_)[(*order_)[r]] == r
};

// The row order that reads HF's rotate_half layout out of rows stored with each head's rotary pairs interleaved
// (llama.cpp's and llama2.c's q and k): HF row h*hd + t*hd/2 + i is stored row h*hd + 2i + t.
std::vector<int32_t> rotary_order_from_interleaved(int64_t rows, int heads);

}  // namespace kvscope::core
