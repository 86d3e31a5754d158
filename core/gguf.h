#pragma once
// The GGUF container (ggml's docs/gguf.md), versions 2 and 3: a little-endian header (magic "GGUF",
// version, tensor count, metadata count), typed metadata key/value pairs, one info per tensor (name,
// dimensions innermost first, ggml type, offset), then the tensors' bytes in a data section that starts at
// the next multiple of `general.alignment` (32 when absent).
//
// GgufFile::open validates the whole container before any tensor byte is trusted: every count, string and
// array length is bounded by the bytes that remain, value types and tensor types are known, array nesting is
// bounded, general.alignment is a power-of-two uint32, no key or tensor name appears twice, every tensor has
// 1 to 4 dims, a type ggml defines a block layout for (F32, F16, BF16, Q8_0, Q4_K, ... and also the ones
// kvscope does not dequantize, such as Q3_K or IQ2_XS), rows of whole blocks, an element count and byte size
// computed without overflow, and bytes that are aligned, inside the file and overlap no other tensor's. What
// the tensors mean (architecture, shapes, which types can be dequantized) is for the model loader. Every
// rejection is a GgufError whose one-line message names the file and, where there is one, the key or tensor:
//   model.gguf: tensor 'blk.0.attn_q.weight': offset 96 is not a multiple of general.alignment 64
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace kvscope::core {

// Anything wrong with a GGUF file, or a metadata key that is missing or of the wrong type.
struct GgufError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Metadata value types, numbered as on disk (gguf_metadata_value_type).
enum class GgufType : uint32_t {
  U8 = 0,
  I8 = 1,
  U16 = 2,
  I16 = 3,
  U32 = 4,
  I32 = 5,
  F32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  U64 = 10,
  I64 = 11,
  F64 = 12,
};

// "uint8", "int8", ..., "float32", "bool", "string", "array", "uint64", "int64", "float64"; "type N" for
// codes the format does not define.
std::string gguf_type_name(GgufType type);

// Arrays can nest, up to this many levels (an array of scalars is one level). The format sets no limit;
// this one keeps a hostile file from recursing the reader into the ground. Real files use one level.
inline constexpr int kGgufMaxArrayDepth = 8;

// An array: its elements, all of one type, kept compactly (a uint8 array of a million entries is a
// megabyte). The alternative's index is the element type's code: items.index() == GgufType::U32 holds a
// std::vector<uint32_t>; arrays of arrays hold a std::vector<GgufArray>, each inner array typed on its own.
struct GgufArray {
  using Items = std::variant<std::vector<uint8_t>, std::vector<int8_t>, std::vector<uint16_t>, std::vector<int16_t>,
                             std::vector<uint32_t>, std::vector<int32_t>, std::vector<float>, std::vector<bool>,
                             std::vector<std::string>, std::vector<GgufArray>, std::vector<uint64_t>,
                             std::vector<int64_t>, std::vector<double>>;
  Items items;

  GgufType element_type() const { return static_cast<GgufType>(items.index()); }
  size_t size() const {
    return std::visit([](const auto& v) { return v.size(); }, items);
  }
  friend bool operator==(const GgufArray&, const GgufArray&) = default;
};

// One metadata value. As for arrays, the alternative's index is the type's code.
struct GgufValue {
  using Variant = std::variant<uint8_t, int8_t, uint16_t, int16_t, uint32_t, int32_t, float, bool, std::string,
                               GgufArray, uint64_t, int64_t, double>;
  Variant value;

  GgufValue() = default;
  // Construct from exactly the alternative meant: GgufValue(uint32_t{32}), GgufValue(std::string("llama")),
  // GgufValue(GgufArray{std::vector<float>{...}}).
  template <typename T>
  requires std::is_constructible_v<Variant, T&&>
  explicit GgufValue(T&& v) : value(std::forward<T>(v)) {}

  GgufType type() const { return static_cast<GgufType>(value.index()); }
  friend bool operator==(const GgufValue&, const GgufValue&) = default;
};

// One tensor as its info describes it, checked against the file.
struct GgufTensorInfo {
  std::string name;
  std::vector<int64_t> dims;  // innermost (contiguous) first, as stored: a [rows, cols] matrix is {cols, rows}
  uint32_t type = 0;          // ggml_type code: 0 F32, 1 F16, 8 Q8_0, 12 Q4_K, 30 BF16, ...
  uint64_t offset = 0;        // from the start of the data section; a multiple of the file's alignment
  int64_t elements = 0;       // product of dims
  int64_t bytes = 0;          // elements / block elements × block bytes
};

// A validated, read-only memory map of one GGUF file. Move-only; tensor data spans stay valid while it lives.
class GgufFile {
 public:
  // Maps and validates `path`. Throws GgufError naming the file (and key or tensor) when it cannot be read,
  // is not GGUF, is version 1 or newer than 3, or is malformed in any of the ways listed at the top.
  static GgufFile open(const std::filesystem::path& path);

  ~GgufFile();
  GgufFile(GgufFile&& other) noexcept;
  GgufFile& operator=(GgufFile&& other) noexcept;
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }     // general.alignment, or 32
  uint64_t data_offset() const { return data_start_; }  // where the data section starts in the file
  uint64_t file_size() const { return size_; }

  const std::map<std::string, GgufValue, std::less<>>& metadata() const { return metadata_; }
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }  // in the file's order
  const GgufTensorInfo* find(std::string_view name) const;                 // nullptr when absent

  // The tensor's bytes inside the map (aligned as the file's alignment is, relative to the file start).
  // Throws GgufError naming the tensor when `tensor` does not lie within this file's data section.
  std::span<const uint8_t> data(const GgufTensorInfo& tensor) const;
  // A hint that `tensor`'s bytes will not be read again soon (its copy is what the model uses): the pages leave
  // this process's resident memory and stay in the kernel's page cache. Reading them later still works.
  void release(const GgufTensorInfo& tensor) const;

  // ---- metadata ----
  const GgufValue* find_value(std::string_view key) const;  // nullptr when absent
  bool has(std::string_view key) const { return find_value(key) != nullptr; }

  // Typed getters. Each throws GgufError naming the file and key when the key is absent, holds another
  // type, or holds a value the result type cannot represent. The integer getters take any integer type
  // whose value fits (a uint64 context length of 4096 reads as a uint32); get_f32 takes float32 or float64;
  // get_bool takes only bool, get_string only string.
  uint32_t get_u32(std::string_view key) const;
  int32_t get_i32(std::string_view key) const;
  uint64_t get_u64(std::string_view key) const;
  int64_t get_i64(std::string_view key) const;
  float get_f32(std::string_view key) const;
  bool get_bool(std::string_view key) const;
  std::string get_string(std::string_view key) const;
  // Arrays: the element type as the scalar getters take it (get_i32_array takes an array of any integer
  // type whose values fit; get_f32_array float32 or float64 elements).
  std::vector<std::string> get_string_array(std::string_view key) const;
  std::vector<float> get_f32_array(std::string_view key) const;
  std::vector<int32_t> get_i32_array(std::string_view key) const;

 private:
  GgufFile() = default;
  void parse();
  const GgufValue& require(std::string_view key) const;
  [[noreturn]] void fail_key(std::string_view key, const std::string& what) const;

  std::string path_;
  const uint8_t* map_ = nullptr;
  uint64_t size_ = 0;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_start_ = 0;
  std::map<std::string, GgufValue, std::less<>> metadata_;
  std::vector<GgufTensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> by_name_;
};

// Whether the file starts with the GGUF magic: how --model tells a GGUF file from a llama2.c checkpoint or
// a directory. False for anything unreadable (missing, a directory, shorter than 4 bytes); never throws.
bool looks_like_gguf(const std::filesystem::path& path) noexcept;

}  // namespace kvscope::core
