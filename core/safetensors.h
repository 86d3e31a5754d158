#pragma once
// The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON
// header naming every tensor's dtype, shape and byte range, then the tensors' bytes back to back.
// Files are validated as the reference implementation does before any byte is trusted.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kvscope::core {

// The dtypes kvscope converts to and from float32.
enum class DType { F32, F16, BF16 };

const char* dtype_name(DType d);
size_t dtype_size(DType d);
// Accepts the header spellings: "F32", "F16", "BF16".
std::optional<DType> parse_dtype(std::string_view name);

// Anything wrong with a weights file or model directory; the message names the file and the tensor.
struct WeightsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The reference implementation's cap: a larger header is treated as hostile, not parsed.
inline constexpr uint64_t kMaxHeaderBytes = 100'000'000;

// IEEE binary16 and bfloat16 bit patterns. Narrowing rounds to nearest, ties to even, overflows to
// infinity and keeps NaNs NaN (quiet), so a saved file holds what a PyTorch .to(dtype) would.
float f16_to_float(uint16_t bits);
float bf16_to_float(uint16_t bits);
uint16_t float_to_f16(float value);
uint16_t float_to_bf16(float value);

struct TensorInfo {
  std::string name;
  std::string dtype_name;      // as the header spells it: "F32", "I64", ...
  std::optional<DType> dtype;  // empty for dtypes the layout check knows but kvscope does not convert
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte range within the data section

  int64_t numel() const;
};

// A validated, read-only memory map of one .safetensors file: checkpoints can be gigabytes, and
// mapping lets the kernel page the bytes in once while they are converted into the model.
class SafetensorsFile {
 public:
  // Throws WeightsError naming `path` (and the tensor) when the file cannot be read or is malformed.
  explicit SafetensorsFile(std::string path);
  ~SafetensorsFile();
  SafetensorsFile(SafetensorsFile&& other) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&&) = delete;
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }  // by offset, as they lie in the file
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const TensorInfo* find(std::string_view name) const;

  // Converts the tensor to float32. Throws WeightsError naming the file and tensor when its dtype
  // is not F32/F16/BF16 or `out` does not hold exactly numel() floats.
  void read_into(const TensorInfo& tensor, std::span<float> out) const;
  // The tensor's bytes in the mapping, as stored (little-endian, any alignment); valid while this file lives.
  std::span<const uint8_t> bytes(const TensorInfo& tensor) const;

 private:
  std::string path_;
  const unsigned char* map_ = nullptr;
  size_t size_ = 0;
  size_t data_start_ = 0;  // 8 + header length
  std::vector<TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
};

struct TensorToWrite {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  std::span<const float> data;  // numel floats, converted to `dtype` on the way out
};

// Writes the tensors in the given order, then renames the file into place, so an interrupted save
// never leaves a truncated checkpoint behind. Throws WeightsError naming the path (and tensor).
void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata);

}  // namespace kvscope::core
