#pragma once
// A small GGUF writer for tests (the format of core/gguf.h): metadata of any value type, tensors of any ggml
// type with the raw bytes given, the data section and every tensor aligned to `alignment`, version 2 or 3.
// It writes what it is told, valid or not (unknown tensor types, overflowing dims, duplicate keys and names,
// misplaced offsets), and reports where each field landed so a test can corrupt exactly one of them:
//
//   GgufWriter w;
//   w.add("general.name", GgufValue(std::string("tiny")));
//   w.add_tensor({"w", {32}, 8, std::string(34, '\0')});
//   GgufImage image = w.build();
//   image.put_u32(image.layout.key("general.name").value_type, 13);  // an unknown value type
//   write_binary_file(path, image.bytes);  // tests/support/files.h
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/gguf.h"

namespace kvscope::test {

struct GgufTensorToWrite {
  std::string name;
  std::vector<uint64_t> dims;      // innermost first, as stored; written as given
  uint32_t type = 0;               // ggml type code, written as given
  std::string data;                // the tensor's bytes, copied into the data section
  std::optional<uint64_t> offset;  // within the data section; by default the next aligned position
};

// Byte positions of the fields written, from the start of the file.
struct GgufLayout {
  size_t version = 4, tensor_count = 8, kv_count = 16;
  struct Entry {
    std::string key;
    size_t key_length = 0;  // the key's uint64 length
    size_t value_type = 0;  // the uint32 value type
    size_t value = 0;       // the value; for a string its uint64 length, for an array its uint32 element type
                            // (the array's uint64 length follows at value + 4)
  };
  struct Tensor {
    std::string name;
    size_t name_length = 0, n_dims = 0, dims = 0, type = 0, offset = 0;  // dims: the first uint64 dimension
  };
  std::vector<Entry> entries;   // in the order written
  std::vector<Tensor> tensors;  // in the order written
  size_t infos_end = 0;         // just past the last tensor info
  size_t data_start = 0;        // the aligned start of the data section

  // The first entry or tensor of that name; throws std::out_of_range when there is none.
  const Entry& key(std::string_view key) const;
  const Tensor& tensor(std::string_view name) const;
};

struct GgufImage {
  std::string bytes;
  GgufLayout layout;

  // Overwrite a little-endian field in place.
  void put_u8(size_t pos, uint8_t value);
  void put_u32(size_t pos, uint32_t value);
  void put_u64(size_t pos, uint64_t value);
};

class GgufWriter {
 public:
  uint32_t version = 3;
  uint64_t alignment = 32;  // how the writer pads; set_alignment() also records it as general.alignment
  bool pad_to_data = true;  // pad after the tensor infos even when there are no tensors

  // Entries and tensors are written in the order added, duplicates included.
  GgufWriter& add(std::string key, core::GgufValue value);
  GgufWriter& set_alignment(uint32_t value);  // adds general.alignment (uint32) and pads to it
  GgufWriter& add_tensor(GgufTensorToWrite tensor);

  GgufImage build() const;
  void write(const std::filesystem::path& path) const;  // build().bytes into the file

 private:
  std::vector<std::pair<std::string, core::GgufValue>> entries_;
  std::vector<GgufTensorToWrite> tensors_;
};

}  // namespace kvscope::test
