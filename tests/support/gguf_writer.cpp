#include "tests/support/gguf_writer.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <type_traits>
#include <variant>

#include "tests/support/files.h"

namespace kvscope::test {

using core::GgufArray;
using core::GgufType;
using core::GgufValue;

namespace {

template <typename T>
void put(std::string& out, T value) {
  static_assert(std::is_trivially_copyable_v<T>);
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // GGUF is little-endian, as the hosts kvscope runs on
  out.append(bytes, sizeof(T));
}

template <typename T>
void put_at(std::string& out, size_t pos, T value) {
  if (pos + sizeof(T) > out.size()) throw std::out_of_range("GgufImage: field past the end of the bytes");
  std::memcpy(out.data() + pos, &value, sizeof(T));
}

void put_string(std::string& out, const std::string& s) {
  put<uint64_t>(out, s.size());
  out += s;
}

void put_array(std::string& out, const GgufArray& array) {
  put<uint32_t>(out, static_cast<uint32_t>(array.element_type()));
  put<uint64_t>(out, array.size());
  std::visit(
      [&](const auto& items) {
        using Item = typename std::decay_t<decltype(items)>::value_type;
        if constexpr (std::is_same_v<Item, bool>) {
          for (bool b : items) put<uint8_t>(out, b ? 1 : 0);
        } else if constexpr (std::is_same_v<Item, std::string>) {
          for (const std::string& s : items) put_string(out, s);
        } else if constexpr (std::is_same_v<Item, GgufArray>) {
          for (const GgufArray& inner : items) put_array(out, inner);
        } else {
          for (Item x : items) put<Item>(out, x);
        }
      },
      array.items);
}

void put_value(std::string& out, const GgufValue& value) {
  std::visit(
      [&](const auto& x) {
        using X = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<X, bool>) {
          put<uint8_t>(out, x ? 1 : 0);
        } else if constexpr (std::is_same_v<X, std::string>) {
          put_string(out, x);
        } else if constexpr (std::is_same_v<X, GgufArray>) {
          put_array(out, x);
        } else {
          put<X>(out, x);
        }
      },
      value.value);
}

uint64_t align_up(uint64_t n, uint64_t alignment) { return n + (alignment - n % alignment) % alignment; }

}  // namespace

const GgufLayout::Entry& GgufLayout::key(std::string_view key) const {
  for (const Entry& e : entries) {
    if (e.key == key) return e;
  }
  throw std::out_of_range("GgufLayout: no key " + std::string(key));
}

const GgufLayout::Tensor& GgufLayout::tensor(std::string_view name) const {
  for (const Tensor& t : tensors) {
    if (t.name == name) return t;
  }
  throw std::out_of_range("GgufLayout: no tensor " + std::string(name));
}

void GgufImage::put_u8(size_t pos, uint8_t value) { put_at(bytes, pos, value); }
void GgufImage::put_u32(size_t pos, uint32_t value) { put_at(bytes, pos, value); }
void GgufImage::put_u64(size_t pos, uint64_t value) { put_at(bytes, pos, value); }

GgufWriter& GgufWriter::add(std::string key, GgufValue value) {
  entries_.emplace_back(std::move(key), std::move(value));
  return *this;
}

GgufWriter& GgufWriter::set_alignment(uint32_t value) {
  alignment = value;
  return add("general.alignment", GgufValue(value));
}

GgufWriter& GgufWriter::add_tensor(GgufTensorToWrite tensor) {
  tensors_.push_back(std::move(tensor));
  return *this;
}

GgufImage GgufWriter::build() const {
  if (alignment == 0) throw std::invalid_argument("GgufWriter: alignment 0");
  GgufImage image;
  std::string& out = image.bytes;
  GgufLayout& layout = image.layout;
  out += "GGUF";
  put<uint32_t>(out, version);
  put<uint64_t>(out, tensors_.size());
  put<uint64_t>(out, entries_.size());

  for (const auto& [key, value] : entries_) {
    GgufLayout::Entry e;
    e.key = key;
    e.key_length = out.size();
    put_string(out, key);
    e.value_type = out.size();
    put<uint32_t>(out, static_cast<uint32_t>(value.type()));
    e.value = out.size();
    put_value(out, value);
    layout.entries.push_back(e);
  }

  // Offsets first: by default each tensor starts at the next aligned position after the one before.
  std::vector<uint64_t> offsets;
  uint64_t cursor = 0, data_size = 0;
  for (const GgufTensorToWrite& t : tensors_) {
    const uint64_t offset = t.offset.value_or(align_up(cursor, alignment));
    offsets.push_back(offset);
    cursor = offset + t.data.size();
    data_size = std::max(data_size, cursor);
  }

  for (size_t i = 0; i < tensors_.size(); ++i) {
    const GgufTensorToWrite& t = tensors_[i];
    GgufLayout::Tensor fields;
    fields.name = t.name;
    fields.name_length = out.size();
    put_string(out, t.name);
    fields.n_dims = out.size();
    put<uint32_t>(out, static_cast<uint32_t>(t.dims.size()));
    fields.dims = out.size();
    for (uint64_t d : t.dims) put<uint64_t>(out, d);
    fields.type = out.size();
    put<uint32_t>(out, t.type);
    fields.offset = out.size();
    put<uint64_t>(out, offsets[i]);
    layout.tensors.push_back(fields);
  }
  layout.infos_end = out.size();
  layout.data_start = align_up(out.size(), alignment);
  if (pad_to_data || !tensors_.empty()) out.resize(layout.data_start, '\0');

  // The data section, padded at the end to the alignment as ggml does.
  if (!tensors_.empty()) {
    out.resize(layout.data_start + align_up(data_size, alignment), '\0');
    for (size_t i = 0; i < tensors_.size(); ++i) {
      std::copy(tensors_[i].data.begin(), tensors_[i].data.end(), out.begin() + layout.data_start + offsets[i]);
    }
  }
  return image;
}

void GgufWriter::write(const std::filesystem::path& path) const { write_binary_file(path, build().bytes); }

}  // namespace kvscope::test
