#include "core/gguf.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <numeric>
#include <optional>
#include <system_error>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/quant.h"

namespace kvscope::core {

// GGUF is little-endian (big-endian files exist but say nothing of it); arrays are copied in bulk.
static_assert(std::endian::native == std::endian::little, "kvscope reads GGUF on little-endian hosts only");

std::string gguf_type_name(GgufType type) {
  switch (type) {
    case GgufType::U8: return "uint8";
    case GgufType::I8: return "int8";
    case GgufType::U16: return "uint16";
    case GgufType::I16: return "int16";
    case GgufType::U32: return "uint32";
    case GgufType::I32: return "int32";
    case GgufType::F32: return "float32";
    case GgufType::Bool: return "bool";
    case GgufType::String: return "string";
    case GgufType::Array: return "array";
    case GgufType::U64: return "uint64";
    case GgufType::I64: return "int64";
    case GgufType::F64: return "float64";
  }
  return "type " + std::to_string(static_cast<uint32_t>(type));
}

namespace {

namespace fs = std::filesystem;
using std::to_string;

constexpr uint32_t kLargestValueType = static_cast<uint32_t>(GgufType::F64);
constexpr uint64_t kDefaultAlignment = 32;
constexpr uint32_t kMaxDims = 4;
// The smallest a key/value pair can be: key length, value type, a one-byte value.
constexpr uint64_t kMinKeyValueBytes = 8 + 4 + 1;
// The smallest a tensor info can be: name length, n_dims, one dimension, type, offset.
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;

// The block layout of every tensor type ggml defines one for. core/quant.h gives those kvscope dequantizes;
// the others (the block_* structs of ggml-common.h) are listed here, since the container is valid whatever
// its tensors are made of (a Q3_K file's vocabulary is readable; its weights are the loader's to refuse).
// The removed types (4, 5, 31-33, 36-38) are unknown.
std::optional<BlockLayout> ggml_block(uint32_t type) {
  if (const std::optional<BlockLayout> readable = block_layout(type)) return readable;
  switch (type) {
    case 9: return BlockLayout{32, 2 + 2 + 32};             // Q8_1
    case 10: return BlockLayout{256, 16 + 64 + 2 + 2};      // Q2_K
    case 11: return BlockLayout{256, 32 + 64 + 12 + 2};     // Q3_K
    case 15: return BlockLayout{256, 4 + 256 + 32};         // Q8_K
    case 16: return BlockLayout{256, 2 + 64};               // IQ2_XXS
    case 17: return BlockLayout{256, 2 + 64 + 8};           // IQ2_XS
    case 18: return BlockLayout{256, 2 + 96};               // IQ3_XXS
    case 19: return BlockLayout{256, 2 + 32 + 16};          // IQ1_S
    case 20: return BlockLayout{32, 2 + 16};                // IQ4_NL
    case 21: return BlockLayout{256, 2 + 64 + 8 + 32 + 4};  // IQ3_S
    case 22: return BlockLayout{256, 2 + 64 + 8 + 8};       // IQ2_S
    case 23: return BlockLayout{256, 2 + 2 + 4 + 128};      // IQ4_XS
    case 24: return BlockLayout{1, 1};                      // I8
    case 25: return BlockLayout{1, 2};                      // I16
    case 26: return BlockLayout{1, 4};                      // I32
    case 27: return BlockLayout{1, 8};                      // I64
    case 28: return BlockLayout{1, 8};                      // F64
    case 29: return BlockLayout{256, 32 + 16 + 8};          // IQ1_M
    case 34: return BlockLayout{256, 48 + 4 + 2};           // TQ1_0
    case 35: return BlockLayout{256, 64 + 2};               // TQ2_0
    case 39: return BlockLayout{32, 1 + 16};                // MXFP4
    default: return std::nullopt;
  }
}

// A key or tensor name for a one-line message: control bytes escaped, very long names cut short.
std::string shown_name(std::string_view s) {
  constexpr size_t kShown = 120;
  std::string out = "'";
  for (size_t i = 0; i < std::min(s.size(), kShown); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > kShown) out += "...' (" + to_string(s.size()) + " bytes)";
  else out += "'";
  return out;
}

std::string dims_text(const std::vector<uint64_t>& dims) {
  std::string out = "[";
  for (size_t i = 0; i < dims.size(); ++i) out += (i ? ", " : "") + to_string(dims[i]);
  return out + "]";
}

[[noreturn]] void throw_gguf_error(const std::string& path, const std::string& what) {
  throw GgufError(path + ": " + what);
}

// Reads the file front to back. Every read is checked against the bytes that remain, and every message
// says where it happened: `where` names the key or tensor being read ("key 'general.name'").
class Reader {
 public:
  Reader(const std::string& path, const uint8_t* data, uint64_t size) : path_(path), data_(data), size_(size) {}

  std::string where;
  uint64_t pos = 0;

  uint64_t remaining() const { return size_ - pos; }

  [[noreturn]] void fail(const std::string& what) const {
    throw GgufError(path_ + ": " + (where.empty() ? "" : where + ": ") + what);
  }

  void need(uint64_t n, std::string_view what) const {
    if (n > remaining()) {
      fail("truncated: the " + std::string(what) + " at byte " + to_string(pos) + " needs " + to_string(n) +
           " bytes, but the " + to_string(size_) + "-byte file has only " + to_string(remaining()) + " left");
    }
  }

  template <typename T>
  T read(std::string_view what) {
    need(sizeof(T), what);
    T value;
    std::memcpy(&value, data_ + pos, sizeof(T));
    pos += sizeof(T);
    return value;
  }

  std::string read_string(std::string_view what) {
    const uint64_t at = pos;
    const auto length = read<uint64_t>(std::string(what) + " length");
    if (length > remaining()) {
      fail(std::string(what) + " length " + to_string(length) + " at byte " + to_string(at) +
           " runs past the end of the file: " + to_string(remaining()) + " bytes remain");
    }
    std::string s(reinterpret_cast<const char*>(data_ + pos), static_cast<size_t>(length));
    pos += length;
    return s;
  }

  // `n` values of T copied in one go; the caller has bounded n by the bytes that remain.
  template <typename T>
  std::vector<T> read_scalars(uint64_t n, std::string_view what) {
    need(n * sizeof(T), what);
    std::vector<T> values(static_cast<size_t>(n));
    if (n > 0) std::memcpy(values.data(), data_ + pos, static_cast<size_t>(n) * sizeof(T));
    pos += n * sizeof(T);
    return values;
  }

 private:
  const std::string& path_;
  const uint8_t* data_;
  uint64_t size_;
};

GgufType read_type(Reader& r, std::string_view what) {
  const uint64_t at = r.pos;
  const auto code = r.read<uint32_t>(what);
  if (code > kLargestValueType) {
    r.fail("unknown " + std::string(what) + " " + to_string(code) + " at byte " + to_string(at) +
           " (GGUF defines 0 to " + to_string(kLargestValueType) + ")");
  }
  return static_cast<GgufType>(code);
}

// The fewest bytes one value of the type takes on disk: bounds an array's length before it is allocated.
uint64_t min_bytes(GgufType type) {
  switch (type) {
    case GgufType::U8:
    case GgufType::I8:
    case GgufType::Bool: return 1;
    case GgufType::U16:
    case GgufType::I16: return 2;
    case GgufType::U32:
    case GgufType::I32:
    case GgufType::F32: return 4;
    case GgufType::U64:
    case GgufType::I64:
    case GgufType::F64:
    case GgufType::String: return 8;     // the length
    case GgufType::Array: return 4 + 8;  // element type and length
  }
  return 1;
}

bool read_bool(Reader& r) {
  const uint64_t at = r.pos;
  const auto byte = r.read<uint8_t>("bool value");
  if (byte > 1) r.fail("bool value " + to_string(byte) + " at byte " + to_string(at) + " is neither 0 nor 1");
  return byte == 1;
}

GgufArray read_array(Reader& r, int depth) {
  if (depth > kGgufMaxArrayDepth) {
    r.fail("arrays nested more than " + to_string(kGgufMaxArrayDepth) + " deep (at byte " + to_string(r.pos) + ")");
  }
  const GgufType element = read_type(r, "array element type");
  const uint64_t at = r.pos;
  const auto n = r.read<uint64_t>("array length");
  if (n > r.remaining() / min_bytes(element)) {
    r.fail("array length " + to_string(n) + " at byte " + to_string(at) +
           " runs past the end of the file: " + to_string(n) + " " + gguf_type_name(element) +
           " values cannot fit in the " + to_string(r.remaining()) + " bytes that remain");
  }
  GgufArray array;
  switch (element) {
    case GgufType::U8: array.items = r.read_scalars<uint8_t>(n, "uint8 array"); break;
    case GgufType::I8: array.items = r.read_scalars<int8_t>(n, "int8 array"); break;
    case GgufType::U16: array.items = r.read_scalars<uint16_t>(n, "uint16 array"); break;
    case GgufType::I16: array.items = r.read_scalars<int16_t>(n, "int16 array"); break;
    case GgufType::U32: array.items = r.read_scalars<uint32_t>(n, "uint32 array"); break;
    case GgufType::I32: array.items = r.read_scalars<int32_t>(n, "int32 array"); break;
    case GgufType::F32: array.items = r.read_scalars<float>(n, "float32 array"); break;
    case GgufType::U64: array.items = r.read_scalars<uint64_t>(n, "uint64 array"); break;
    case GgufType::I64: array.items = r.read_scalars<int64_t>(n, "int64 array"); break;
    case GgufType::F64: array.items = r.read_scalars<double>(n, "float64 array"); break;
    case GgufType::Bool: {
      std::vector<bool> values(static_cast<size_t>(n));
      for (uint64_t i = 0; i < n; ++i) values[i] = read_bool(r);
      array.items = std::move(values);
      break;
    }
    case GgufType::String: {
      std::vector<std::string> values;
      values.reserve(static_cast<size_t>(n));
      for (uint64_t i = 0; i < n; ++i) values.push_back(r.read_string("string"));
      array.items = std::move(values);
      break;
    }
    case GgufType::Array: {
      std::vector<GgufArray> values;
      values.reserve(static_cast<size_t>(n));
      for (uint64_t i = 0; i < n; ++i) values.push_back(read_array(r, depth + 1));
      array.items = std::move(values);
      break;
    }
  }
  return array;
}

GgufValue read_value(Reader& r, GgufType type) {
  switch (type) {
    case GgufType::U8: return GgufValue(r.read<uint8_t>("uint8 value"));
    case GgufType::I8: return GgufValue(r.read<int8_t>("int8 value"));
    case GgufType::U16: return GgufValue(r.read<uint16_t>("uint16 value"));
    case GgufType::I16: return GgufValue(r.read<int16_t>("int16 value"));
    case GgufType::U32: return GgufValue(r.read<uint32_t>("uint32 value"));
    case GgufType::I32: return GgufValue(r.read<int32_t>("int32 value"));
    case GgufType::F32: return GgufValue(r.read<float>("float32 value"));
    case GgufType::Bool: return GgufValue(read_bool(r));
    case GgufType::String: return GgufValue(r.read_string("string"));
    case GgufType::Array: return GgufValue(read_array(r, 1));
    case GgufType::U64: return GgufValue(r.read<uint64_t>("uint64 value"));
    case GgufType::I64: return GgufValue(r.read<int64_t>("int64 value"));
    case GgufType::F64: return GgufValue(r.read<double>("float64 value"));
  }
  r.fail("unknown value type");
}

// Fills in the tensor's element count and byte size from its dims and type, checking each step.
void check_tensor(const Reader& r, GgufTensorInfo& t, const std::vector<uint64_t>& dims, uint64_t alignment) {
  const std::optional<BlockLayout> block = ggml_block(t.type);
  if (!block) r.fail("unknown ggml type " + to_string(t.type));
  const std::string type_name(ggml_type_name(t.type));
  int64_t elements = 1;
  for (uint64_t d : dims) {
    if (d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
        __builtin_mul_overflow(elements, static_cast<int64_t>(d), &elements)) {
      r.fail("dimensions " + dims_text(dims) + " overflow: their product does not fit in 64 bits");
    }
    t.dims.push_back(static_cast<int64_t>(d));
  }
  t.elements = elements;
  if (dims[0] % static_cast<uint64_t>(block->elements) != 0) {
    r.fail("innermost dimension " + to_string(dims[0]) + " of " + dims_text(dims) + " is not a whole number of " +
           type_name + " blocks of " + to_string(block->elements) + " values");
  }
  if (__builtin_mul_overflow(elements / block->elements, block->bytes, &t.bytes)) {
    r.fail("dimensions " + dims_text(dims) + " of " + type_name + " overflow: their byte size does not fit in 64 bits");
  }
  if (t.offset % alignment != 0) {
    r.fail("offset " + to_string(t.offset) + " is not a multiple of general.alignment " + to_string(alignment));
  }
}

std::string range_text(uint64_t begin, uint64_t end) { return "[" + to_string(begin) + ", " + to_string(end) + ")"; }

// ---- typed getters ----

bool is_integer(GgufType t) {
  switch (t) {
    case GgufType::U8:
    case GgufType::I8:
    case GgufType::U16:
    case GgufType::I16:
    case GgufType::U32:
    case GgufType::I32:
    case GgufType::U64:
    case GgufType::I64: return true;
    default: return false;
  }
}

// "uint32", "array of string", "array of array".
std::string describe(const GgufValue& v) {
  if (const auto* array = std::get_if<GgufArray>(&v.value)) return "array of " + gguf_type_name(array->element_type());
  return gguf_type_name(v.type());
}

template <typename T>
constexpr const char* name_of() {
  if constexpr (std::is_same_v<T, uint32_t>) return "uint32";
  if constexpr (std::is_same_v<T, int32_t>) return "int32";
  if constexpr (std::is_same_v<T, uint64_t>) return "uint64";
  if constexpr (std::is_same_v<T, int64_t>) return "int64";
  return "?";
}

// `x` as T when x is an integer (not a bool) that T represents.
template <typename T, typename X>
std::optional<T> integer_as(const X& x) {
  if constexpr (std::is_integral_v<X> && !std::is_same_v<X, bool>) {
    if (std::in_range<T>(x)) return static_cast<T>(x);
  }
  return std::nullopt;
}

std::string real_text(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", x);
  return text;
}

template <typename X>
std::string number_text(const X& x) {
  if constexpr (std::is_floating_point_v<X>) return real_text(x);
  if constexpr (std::is_integral_v<X> && !std::is_same_v<X, bool>) return to_string(x);
  return "?";
}

}  // namespace

// ---- opening ----

GgufFile GgufFile::open(const fs::path& path) {
  GgufFile file;
  file.path_ = path.string();
  const std::string& name = file.path_;
  const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_gguf_error(name, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    const bool directory = S_ISDIR(st.st_mode);
    ::close(fd);
    throw_gguf_error(name, directory ? "is a directory, not a GGUF file" : "not a regular file");
  }
  if (st.st_size == 0) {
    ::close(fd);
    throw_gguf_error(name, "empty file, not a GGUF model (expected the magic \"GGUF\")");
  }
  file.size_ = static_cast<uint64_t>(st.st_size);
  void* map = ::mmap(nullptr, static_cast<size_t>(file.size_), PROT_READ, MAP_PRIVATE, fd, 0);
  const int map_errno = errno;
  ::close(fd);  // the mapping keeps the file alive
  if (map == MAP_FAILED) throw_gguf_error(name, std::string("cannot map: ") + std::strerror(map_errno));
  // Huge pages where the kernel can: a file read in through this mapping is cached in 2 MiB folios, which are then
  // mapped whole, so a 1B model's weights take a thousand page-table entries and TLB entries instead of half a
  // million (under a shadow-paging hypervisor, first touching 2 GB of 4 KiB pages alone took a second). Advice:
  // a kernel without it maps 4 KiB pages as before.
  ::madvise(map, static_cast<size_t>(file.size_), MADV_HUGEPAGE);
  file.map_ = static_cast<const uint8_t*>(map);
  file.parse();  // on a throw, file's destructor unmaps
  return file;
}

void GgufFile::parse() {
  Reader r(path_, map_, size_);
  if (size_ < 4 || std::memcmp(map_, "GGUF", 4) != 0) {
    std::string start;
    for (uint64_t i = 0; i < std::min<uint64_t>(size_, 4); ++i) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "%s%02x", i ? " " : "", map_[i]);
      start += hex;
    }
    r.fail("not a GGUF file: it starts with the bytes " + start + ", not the magic \"GGUF\" (47 47 55 46)");
  }
  r.pos = 4;
  version_ = r.read<uint32_t>("version");
  if (version_ == 1) {
    r.fail(
        "GGUF version 1 is not supported (versions 2 and 3 are): it predates 64-bit lengths; convert the model "
        "again with a current llama.cpp");
  }
  if (version_ != 2 && version_ != 3) {
    const uint32_t swapped = (version_ >> 24) | ((version_ >> 8) & 0xff00) | ((version_ << 8) & 0xff0000) |
                             (version_ << 24);
    if (swapped >= 1 && swapped <= 3) {
      r.fail("a big-endian GGUF file (version " + to_string(swapped) +
             " byte-swapped); kvscope reads little-endian "
             "files only");
    }
    r.fail("GGUF version " + to_string(version_) + " is not supported (versions 2 and 3 are)");
  }
  const auto tensor_count = r.read<uint64_t>("tensor count");
  const auto kv_count = r.read<uint64_t>("metadata key/value count");
  if (kv_count > r.remaining() / kMinKeyValueBytes) {
    r.fail("metadata key/value count " + to_string(kv_count) + " cannot fit in the file: each pair takes at least " +
           to_string(kMinKeyValueBytes) + " bytes and " + to_string(r.remaining()) + " remain after the header");
  }
  auto check_tensor_count = [&](const char* after) {
    if (tensor_count > r.remaining() / kMinTensorInfoBytes) {
      r.fail("tensor count " + to_string(tensor_count) + " cannot fit in the file: each tensor info takes at least " +
             to_string(kMinTensorInfoBytes) + " bytes and " + to_string(r.remaining()) + " remain after the " + after);
    }
  };
  check_tensor_count("header");

  for (uint64_t i = 0; i < kv_count; ++i) {
    r.where = "metadata entry " + to_string(i + 1) + " of " + to_string(kv_count);
    std::string key = r.read_string("key");
    r.where = "key " + shown_name(key);
    if (metadata_.contains(key)) r.fail("appears twice in the metadata");
    const GgufType type = read_type(r, "value type");
    GgufValue value = read_value(r, type);
    metadata_.emplace(std::move(key), std::move(value));
  }
  r.where.clear();

  alignment_ = kDefaultAlignment;
  if (const GgufValue* a = find_value("general.alignment")) {
    r.where = "key 'general.alignment'";
    const auto* value = std::get_if<uint32_t>(&a->value);
    if (!value) r.fail("must be a uint32, found " + describe(*a));
    if (!std::has_single_bit(*value)) r.fail(to_string(*value) + " is not a power of two");
    alignment_ = *value;
    r.where.clear();
  }

  check_tensor_count("metadata");
  for (uint64_t i = 0; i < tensor_count; ++i) {
    r.where = "tensor info " + to_string(i + 1) + " of " + to_string(tensor_count);
    GgufTensorInfo t;
    t.name = r.read_string("name");
    r.where = "tensor " + shown_name(t.name);
    if (const auto seen = by_name_.find(t.name); seen != by_name_.end()) {
      r.fail("appears twice, as tensor infos " + to_string(seen->second + 1) + " and " + to_string(i + 1));
    }
    const auto n_dims = r.read<uint32_t>("n_dims");
    if (n_dims == 0 || n_dims > kMaxDims) {
      r.fail("n_dims " + to_string(n_dims) + ": GGUF tensors have 1 to " + to_string(kMaxDims) + " dimensions");
    }
    std::vector<uint64_t> dims(n_dims);
    for (uint64_t& d : dims) d = r.read<uint64_t>("dimension");
    t.type = r.read<uint32_t>("ggml type");
    t.offset = r.read<uint64_t>("offset");
    check_tensor(r, t, dims, alignment_);
    by_name_.emplace(t.name, tensors_.size());
    tensors_.push_back(std::move(t));
  }
  r.where.clear();

  // The data section starts at the first multiple of the alignment after the tensor infos. A file with no
  // tensors (a vocabulary-only GGUF) may end before it.
  const uint64_t infos_end = r.pos;
  data_start_ = infos_end + (alignment_ - infos_end % alignment_) % alignment_;
  const uint64_t data_size = size_ > data_start_ ? size_ - data_start_ : 0;
  for (const GgufTensorInfo& t : tensors_) {
    const auto bytes = static_cast<uint64_t>(t.bytes);
    if (t.offset > data_size || bytes > data_size - t.offset) {
      throw_gguf_error(path_, "tensor " + shown_name(t.name) + ": its " + to_string(bytes) + " bytes at offset " +
                                  to_string(t.offset) + " run past the end of the file: the data section holds " +
                                  to_string(data_size) + " bytes from byte " + to_string(data_start_));
    }
  }

  // Sorted by offset, a tensor overlaps an earlier one exactly when it starts before the furthest end so far.
  std::vector<size_t> order(tensors_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return tensors_[a].offset < tensors_[b].offset; });
  const GgufTensorInfo* furthest = nullptr;
  uint64_t furthest_end = 0;
  for (size_t index : order) {
    const GgufTensorInfo& t = tensors_[index];
    if (t.bytes == 0) continue;
    const uint64_t end = t.offset + static_cast<uint64_t>(t.bytes);
    if (furthest && t.offset < furthest_end) {
      throw_gguf_error(path_, "tensor " + shown_name(t.name) + ": bytes " + range_text(t.offset, end) +
                                  " of the data section overlap tensor " + shown_name(furthest->name) + " " +
                                  range_text(furthest->offset, furthest_end));
    }
    if (end > furthest_end) {
      furthest_end = end;
      furthest = &t;
    }
  }
}

GgufFile::~GgufFile() {
  if (map_) ::munmap(const_cast<uint8_t*>(map_), static_cast<size_t>(size_));
}

GgufFile::GgufFile(GgufFile&& other) noexcept
    : path_(std::move(other.path_)),
      map_(std::exchange(other.map_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      version_(other.version_),
      alignment_(other.alignment_),
      data_start_(other.data_start_),
      metadata_(std::move(other.metadata_)),
      tensors_(std::move(other.tensors_)),
      by_name_(std::move(other.by_name_)) {}

GgufFile& GgufFile::operator=(GgufFile&& other) noexcept {
  if (this != &other) {
    if (map_) ::munmap(const_cast<uint8_t*>(map_), static_cast<size_t>(size_));
    path_ = std::move(other.path_);
    map_ = std::exchange(other.map_, nullptr);
    size_ = std::exchange(other.size_, 0);
    version_ = other.version_;
    alignment_ = other.alignment_;
    data_start_ = other.data_start_;
    metadata_ = std::move(other.metadata_);
    tensors_ = std::move(other.tensors_);
    by_name_ = std::move(other.by_name_);
  }
  return *this;
}

const GgufTensorInfo* GgufFile::find(std::string_view name) const {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &tensors_[it->second];
}

std::span<const uint8_t> GgufFile::data(const GgufTensorInfo& tensor) const {
  const uint64_t data_size = size_ > data_start_ ? size_ - data_start_ : 0;
  const auto bytes = static_cast<uint64_t>(tensor.bytes);
  if (tensor.bytes < 0 || tensor.offset > data_size || bytes > data_size - tensor.offset) {
    throw_gguf_error(path_, "tensor " + shown_name(tensor.name) + ": " + to_string(tensor.bytes) + " bytes at offset " +
                                to_string(tensor.offset) + " lie outside this file's " + to_string(data_size) +
                                "-byte data section");
  }
  if (bytes == 0) return {};
  return {map_ + data_start_ + tensor.offset, static_cast<size_t>(bytes)};
}

void GgufFile::release(const GgufTensorInfo& tensor) const {
  const std::span<const uint8_t> bytes = data(tensor);
  if (bytes.empty()) return;
  // Widened to whole pages: a page shared with a neighbour still in use is faulted back in from the cache.
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto first = reinterpret_cast<uintptr_t>(bytes.data()) & ~(page - 1);
  const auto last = reinterpret_cast<uintptr_t>(bytes.data() + bytes.size());
  ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);  // advice: a failure changes nothing
}

// ---- metadata ----

const GgufValue* GgufFile::find_value(std::string_view key) const {
  const auto it = metadata_.find(key);
  return it == metadata_.end() ? nullptr : &it->second;
}

void GgufFile::fail_key(std::string_view key, const std::string& what) const {
  throw_gguf_error(path_, "key " + shown_name(key) + ": " + what);
}

const GgufValue& GgufFile::require(std::string_view key) const {
  const GgufValue* value = find_value(key);
  if (!value) throw_gguf_error(path_, "key " + shown_name(key) + " is missing");
  return *value;
}

namespace {

template <typename T>
T integer_value(const GgufValue& v, const std::function<void(const std::string&)>& complain) {
  return std::visit(
      [&](const auto& x) -> T {
        if (const std::optional<T> fits = integer_as<T>(x)) return *fits;
        if (is_integer(v.type())) {
          complain(gguf_type_name(v.type()) + " value " + number_text(x) + " does not fit a " + name_of<T>());
        } else {
          complain(std::string("expected an integer (") + name_of<T>() + "), found " + describe(v));
        }
        return T{};
      },
      v.value);
}

}  // namespace

uint32_t GgufFile::get_u32(std::string_view key) const {
  return integer_value<uint32_t>(require(key), [&](const std::string& what) { fail_key(key, what); });
}

int32_t GgufFile::get_i32(std::string_view key) const {
  return integer_value<int32_t>(require(key), [&](const std::string& what) { fail_key(key, what); });
}

uint64_t GgufFile::get_u64(std::string_view key) const {
  return integer_value<uint64_t>(require(key), [&](const std::string& what) { fail_key(key, what); });
}

int64_t GgufFile::get_i64(std::string_view key) const {
  return integer_value<int64_t>(require(key), [&](const std::string& what) { fail_key(key, what); });
}

float GgufFile::get_f32(std::string_view key) const {
  const GgufValue& v = require(key);
  if (const auto* f = std::get_if<float>(&v.value)) return *f;
  if (const auto* d = std::get_if<double>(&v.value)) {
    if (std::isfinite(*d) && std::fabs(*d) > std::numeric_limits<float>::max()) {
      fail_key(key, "float64 value " + real_text(*d) + " does not fit a float32");
    }
    return static_cast<float>(*d);
  }
  fail_key(key, "expected float32, found " + describe(v));
}

bool GgufFile::get_bool(std::string_view key) const {
  const GgufValue& v = require(key);
  if (const auto* b = std::get_if<bool>(&v.value)) return *b;
  fail_key(key, "expected bool, found " + describe(v));
}

std::string GgufFile::get_string(std::string_view key) const {
  const GgufValue& v = require(key);
  if (const auto* s = std::get_if<std::string>(&v.value)) return *s;
  fail_key(key, "expected string, found " + describe(v));
}

std::vector<std::string> GgufFile::get_string_array(std::string_view key) const {
  const GgufValue& v = require(key);
  if (const auto* a = std::get_if<GgufArray>(&v.value)) {
    if (const auto* strings = std::get_if<std::vector<std::string>>(&a->items)) return *strings;
  }
  fail_key(key, "expected array of string, found " + describe(v));
}

std::vector<float> GgufFile::get_f32_array(std::string_view key) const {
  const GgufValue& v = require(key);
  if (const auto* a = std::get_if<GgufArray>(&v.value)) {
    if (const auto* floats = std::get_if<std::vector<float>>(&a->items)) return *floats;
    if (const auto* doubles = std::get_if<std::vector<double>>(&a->items)) {
      std::vector<float> out;
      out.reserve(doubles->size());
      for (size_t i = 0; i < doubles->size(); ++i) {
        const double d = (*doubles)[i];
        if (std::isfinite(d) && std::fabs(d) > std::numeric_limits<float>::max()) {
          fail_key(key, "element " + to_string(i) + " (" + real_text(d) + ") does not fit a float32");
        }
        out.push_back(static_cast<float>(d));
      }
      return out;
    }
  }
  fail_key(key, "expected array of float32, found " + describe(v));
}

std::vector<int32_t> GgufFile::get_i32_array(std::string_view key) const {
  const GgufValue& v = require(key);
  const auto* a = std::get_if<GgufArray>(&v.value);
  if (!a || !is_integer(a->element_type())) fail_key(key, "expected array of int32, found " + describe(v));
  return std::visit(
      [&](const auto& items) {
        std::vector<int32_t> out;
        out.reserve(items.size());
        for (size_t i = 0; i < items.size(); ++i) {
          const std::optional<int32_t> fits = integer_as<int32_t>(items[i]);
          if (!fits) {
            fail_key(key, "element " + to_string(i) + " (" + number_text(items[i]) + ") of the " +
                              gguf_type_name(a->element_type()) + " array does not fit an int32");
          }
          out.push_back(*fits);
        }
        return out;
      },
      a->items);
}

bool looks_like_gguf(const fs::path& path) noexcept {
  try {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) return false;
    std::ifstream in(path, std::ios::binary);
    char magic[4] = {};
    in.read(magic, 4);
    return in.gcount() == 4 && std::memcmp(magic, "GGUF", 4) == 0;
  } catch (...) {
    return false;
  }
}

}  // namespace kvscope::core
