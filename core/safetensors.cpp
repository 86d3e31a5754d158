#include "core/safetensors.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <utility>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace kvscope::core {

// The format is little-endian on disk; the bulk copies below rely on the host agreeing.
static_assert(std::endian::native == std::endian::little, "kvscope reads safetensors on little-endian hosts only");

const char* dtype_name(DType d) {
  switch (d) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
  }
  return "?";
}

size_t dtype_size(DType d) { return d == DType::F32 ? 4 : 2; }

std::optional<DType> parse_dtype(std::string_view name) {
  for (DType d : {DType::F32, DType::F16, DType::BF16}) {
    if (name == dtype_name(d)) return d;
  }
  return std::nullopt;
}

// ---- float conversions ----

float f16_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  if (exp == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mant << 13));  // inf, NaN keeps its payload
  if (exp == 0) {
    if (mant == 0) return std::bit_cast<float>(sign);
    // Subnormal half: every one is a normal float, so shift the leading 1 into the implicit bit.
    exp = 1;
    while ((mant & 0x400) == 0) {
      mant <<= 1;
      --exp;
    }
    mant &= 0x3ff;
  }
  return std::bit_cast<float>(sign | ((exp + 127 - 15) << 23) | (mant << 13));
}

float bf16_to_float(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

uint16_t float_to_bf16(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  // Rounding a NaN could carry it into infinity; keep it a quiet NaN with its sign instead.
  if ((bits & 0x7fffffff) > 0x7f800000) return static_cast<uint16_t>((bits >> 16) | 0x0040);
  const uint32_t round_to_even = 0x7fff + ((bits >> 16) & 1);
  return static_cast<uint16_t>((bits + round_to_even) >> 16);
}

namespace {

// Drops the low `shift` bits of `value`, rounding to nearest with ties to even.
uint32_t shift_round_even(uint32_t value, uint32_t shift) {
  const uint32_t kept = value >> shift;
  const uint32_t rest = value & ((1u << shift) - 1);
  const uint32_t half = 1u << (shift - 1);
  return kept + ((rest > half || (rest == half && (kept & 1))) ? 1 : 0);
}

}  // namespace

uint16_t float_to_f16(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  const uint32_t abs = bits & 0x7fffffff;
  if (abs > 0x7f800000) return sign | 0x7e00 | static_cast<uint16_t>((abs >> 13) & 0x3ff);  // quiet NaN
  if (abs >= 0x477ff000) return sign | 0x7c00;  // 65520 and up round past 65504, the largest half
  if (abs >= 0x38800000) {                      // 2^-14 and up: a normal half
    const uint32_t rebiased = abs - ((127 - 15) << 23);
    // A carry out of the mantissa correctly bumps the exponent.
    return sign | static_cast<uint16_t>(shift_round_even(rebiased, 13));
  }
  if (abs <= 0x33000000) return sign;  // at most 2^-25, half the smallest subnormal: ties to even zero
  // Subnormal half: the units are 2^-24; rounding up from the largest one gives the smallest normal.
  const uint32_t exp = abs >> 23;
  const uint32_t significand = (abs & 0x7fffff) | 0x800000;
  return sign | static_cast<uint16_t>(shift_round_even(significand, 126 - exp));
}

// ---- reading ----

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

namespace {

using nlohmann::json;

// Element widths of every dtype the reference implementation knows, in bits (some are sub-byte),
// so files holding tensors kvscope does not convert still pass the layout checks.
std::optional<uint64_t> dtype_bits(const std::string& name) {
  static const std::map<std::string, uint64_t> bits = {
      {"BOOL", 8},    {"F4", 4},      {"F6_E2M3", 6}, {"F6_E3M2", 6}, {"U8", 8},   {"I8", 8},    {"F8_E5M2", 8},
      {"F8_E4M3", 8}, {"F8_E8M0", 8}, {"I16", 16},    {"U16", 16},    {"F16", 16}, {"BF16", 16}, {"I32", 32},
      {"U32", 32},    {"F32", 32},    {"C64", 64},    {"F64", 64},    {"I64", 64}, {"U64", 64}};
  const auto it = bits.find(name);
  if (it == bits.end()) return std::nullopt;
  return it->second;
}

[[noreturn]] void fail(const std::string& path, const std::string& what) { throw WeightsError(path + ": " + what); }

[[noreturn]] void fail(const std::string& path, const std::string& tensor, const std::string& what) {
  fail(path, "tensor '" + tensor + "': " + what);
}

uint64_t read_u64_le(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

uint64_t unsigned_entry(const std::string& path, const std::string& tensor, const json& v, const char* field) {
  if (!v.is_number_unsigned())
    fail(path, tensor, std::string(field) + " must hold non-negative integers, got " + v.dump());
  return v.get<uint64_t>();
}

TensorInfo parse_tensor_entry(const std::string& path, const std::string& name, const json& entry) {
  if (!entry.is_object()) fail(path, name, "header entry is not an object");
  TensorInfo t;
  t.name = name;

  const auto dtype = entry.find("dtype");
  if (dtype == entry.end() || !dtype->is_string()) fail(path, name, "missing string \"dtype\"");
  t.dtype_name = dtype->get<std::string>();
  const auto bits = dtype_bits(t.dtype_name);
  if (!bits) fail(path, name, "unknown dtype \"" + t.dtype_name + "\"");
  t.dtype = parse_dtype(t.dtype_name);

  const auto shape = entry.find("shape");
  if (shape == entry.end() || !shape->is_array()) fail(path, name, "missing array \"shape\"");
  uint64_t numel = 1;
  for (const json& d : *shape) {
    const uint64_t dim = unsigned_entry(path, name, d, "shape");
    if (dim > static_cast<uint64_t>(INT64_MAX) || __builtin_mul_overflow(numel, dim, &numel)) {
      fail(path, name, "shape " + shape->dump() + " overflows");
    }
    t.shape.push_back(static_cast<int64_t>(dim));
  }

  const auto offsets = entry.find("data_offsets");
  if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2) {
    fail(path, name, "\"data_offsets\" must be [begin, end]");
  }
  t.begin = unsigned_entry(path, name, (*offsets)[0], "data_offsets");
  t.end = unsigned_entry(path, name, (*offsets)[1], "data_offsets");

  uint64_t total_bits = 0;
  if (__builtin_mul_overflow(numel, *bits, &total_bits)) fail(path, name, "shape " + shape->dump() + " overflows");
  if (total_bits % 8 != 0) fail(path, name, "its " + t.dtype_name + " elements do not fill whole bytes");
  if (t.end >= t.begin && t.end - t.begin != total_bits / 8) {
    fail(path, name,
         "data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) + "] span " +
             std::to_string(t.end - t.begin) + " bytes, but " + t.dtype_name + " " + shape->dump() + " needs " +
             std::to_string(total_bits / 8));
  }
  return t;
}

std::map<std::string, std::string> parse_metadata(const std::string& path, const json& meta) {
  if (!meta.is_object()) fail(path, "__metadata__ must be an object of strings");
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : meta.items()) {
    if (!value.is_string()) fail(path, "__metadata__ entry \"" + key + "\" is not a string");
    out[key] = value.get<std::string>();
  }
  return out;
}

// The reference rule: sorted by offset, the tensors tile the data section exactly, with no gap,
// no overlap and nothing left over, so every byte of the file is accounted for.
void check_layout(const std::string& path, const std::vector<TensorInfo>& sorted, uint64_t data_size) {
  uint64_t expected = 0;
  const TensorInfo* previous = nullptr;
  for (const TensorInfo& t : sorted) {
    const std::string range = "data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) + "]";
    if (t.end < t.begin) fail(path, t.name, range + " end before they begin");
    if (t.end > data_size) {
      fail(path, t.name, range + " run past the data section's " + std::to_string(data_size) + " bytes");
    }
    if (t.begin < expected) fail(path, t.name, range + " overlap tensor '" + previous->name + "'");
    if (t.begin > expected) {
      fail(path, t.name, range + " leave a gap: the previous tensor ends at " + std::to_string(expected));
    }
    expected = t.end;
    previous = &t;
  }
  if (expected != data_size) {
    fail(path, "the tensors cover " + std::to_string(expected) + " bytes of a " + std::to_string(data_size) +
                   "-byte data section");
  }
}

// A template rather than a function pointer, so the conversion inlines into the loop.
template <typename Widen>
void widen_all(const unsigned char* src, std::span<float> out, Widen widen) {
  for (size_t i = 0; i < out.size(); ++i) {
    uint16_t bits;
    std::memcpy(&bits, src + 2 * i, 2);
    out[i] = widen(bits);
  }
}

}  // namespace

SafetensorsFile::SafetensorsFile(std::string path) : path_(std::move(path)) {
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path_, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(path_, "not a regular file");
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ < 8) {
    ::close(fd);
    fail(path_, "only " + std::to_string(size_) + " bytes, too short for the 8-byte header length");
  }
  void* map = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
  const int map_errno = errno;
  ::close(fd);  // the mapping keeps the file alive
  if (map == MAP_FAILED) fail(path_, std::string("cannot map: ") + std::strerror(map_errno));
  ::madvise(map, size_, MADV_HUGEPAGE);  // advice, as for GGUF files (core/gguf.cpp): 2 MiB folios mapped whole
  map_ = static_cast<const unsigned char*>(map);

  try {
    const uint64_t header_len = read_u64_le(map_);
    if (header_len > kMaxHeaderBytes) {
      fail(path_, "header length " + std::to_string(header_len) + " exceeds the " + std::to_string(kMaxHeaderBytes) +
                      "-byte limit");
    }
    if (header_len > size_ - 8) {
      fail(path_, "header length " + std::to_string(header_len) + " runs past the end of the " + std::to_string(size_) +
                      "-byte file");
    }
    data_start_ = 8 + static_cast<size_t>(header_len);

    json header;
    // JSON keeps the last of two equal keys; a header naming a tensor twice is refused, naming it.
    std::vector<std::set<std::string>> keys_at_depth;
    const json::parser_callback_t no_duplicates = [&](int depth, json::parse_event_t event, json& parsed) {
      const size_t d = static_cast<size_t>(depth);
      if (event == json::parse_event_t::object_start) {
        keys_at_depth.resize(d + 2);  // the object's keys come at depth + 1
        keys_at_depth[d + 1].clear();
      } else if (event == json::parse_event_t::key && d < keys_at_depth.size() &&
                 !keys_at_depth[d].insert(parsed.get<std::string>()).second) {
        fail(path_, "header names '" + parsed.get<std::string>() + "' twice");
      }
      return true;
    };
    try {
      header = json::parse(map_ + 8, map_ + data_start_, no_duplicates);
    } catch (const json::exception& e) {  // a syntax error, or a number such as 1e400 no double holds
      fail(path_, std::string("header is not valid JSON: ") + e.what());
    }
    if (!header.is_object()) fail(path_, "header is not a JSON object");
    for (const auto& [name, entry] : header.items()) {
      if (name == "__metadata__") {
        metadata_ = parse_metadata(path_, entry);
      } else {
        tensors_.push_back(parse_tensor_entry(path_, name, entry));
      }
    }
    std::sort(tensors_.begin(), tensors_.end(), [](const TensorInfo& a, const TensorInfo& b) {
      return std::pair(a.begin, a.end) < std::pair(b.begin, b.end);
    });
    check_layout(path_, tensors_, size_ - data_start_);
  } catch (...) {
    ::munmap(map, size_);
    throw;
  }
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) ::munmap(const_cast<unsigned char*>(map_), size_);
}

SafetensorsFile::SafetensorsFile(SafetensorsFile&& other) noexcept
    : path_(std::move(other.path_)),
      map_(std::exchange(other.map_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      data_start_(other.data_start_),
      tensors_(std::move(other.tensors_)),
      metadata_(std::move(other.metadata_)) {}

const TensorInfo* SafetensorsFile::find(std::string_view name) const {
  const auto it = std::find_if(tensors_.begin(), tensors_.end(), [&](const TensorInfo& t) { return t.name == name; });
  return it == tensors_.end() ? nullptr : &*it;
}

void SafetensorsFile::read_into(const TensorInfo& tensor, std::span<float> out) const {
  if (!tensor.dtype) {
    fail(path_, tensor.name, "dtype " + tensor.dtype_name + " cannot be loaded as weights (F32, F16 or BF16 only)");
  }
  if (out.size() != static_cast<size_t>(tensor.numel())) {
    fail(path_, tensor.name,
         "holds " + std::to_string(tensor.numel()) + " values, the destination " + std::to_string(out.size()));
  }
  if (out.empty()) return;  // a tensor with a 0 in its shape: nothing to copy (and no buffer to copy into)
  // The data section starts wherever the header ends, so elements may be unaligned: memcpy them.
  const unsigned char* src = map_ + data_start_ + tensor.begin;
  if (*tensor.dtype == DType::F32) {
    std::memcpy(out.data(), src, out.size_bytes());
    return;
  }
  if (*tensor.dtype == DType::F16) {
    widen_all(src, out, f16_to_float);
  } else {
    widen_all(src, out, bf16_to_float);
  }
}

std::span<const uint8_t> SafetensorsFile::bytes(const TensorInfo& tensor) const {
  return {map_ + data_start_ + tensor.begin, static_cast<size_t>(tensor.end - tensor.begin)};
}

// ---- writing ----

namespace {

std::string encode_header(const std::string& path, const std::vector<TensorToWrite>& tensors,
                          const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const TensorToWrite& t : tensors) {
    uint64_t numel = 1;
    for (int64_t d : t.shape) {
      if (d < 0) fail(path, t.name, "negative dimension in its shape");
      numel *= static_cast<uint64_t>(d);
    }
    if (numel != t.data.size()) {
      fail(path, t.name, "shape needs " + std::to_string(numel) + " values, got " + std::to_string(t.data.size()));
    }
    if (header.contains(t.name)) fail(path, t.name, "written twice");
    const uint64_t end = offset + numel * dtype_size(t.dtype);
    header[t.name] = {{"dtype", dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, end}}};
    offset = end;
  }
  std::string text = header.dump();
  // As the reference writer does: pad with spaces so the data section starts 8-byte aligned.
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

// Buffers output so large tensors are converted and written in bounded memory.
class FileWriter {
 public:
  FileWriter(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

  void append(const void* bytes, size_t n) {
    const auto* p = static_cast<const char*>(bytes);
    if (buffer_.size() + n > kChunk) flush();
    if (n >= kChunk) {
      write_all(p, n);  // a big F32 tensor goes straight from the model, uncopied
    } else {
      buffer_.insert(buffer_.end(), p, p + n);
    }
  }

  void flush() {
    write_all(buffer_.data(), buffer_.size());
    buffer_.clear();
  }

 private:
  void write_all(const char* p, size_t size) {
    size_t done = 0;
    while (done < size) {
      const ssize_t n = ::write(fd_, p + done, size - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail(path_, std::string("write failed: ") + std::strerror(errno));
      done += static_cast<size_t>(n);
    }
  }

  static constexpr size_t kChunk = 1 << 20;
  std::string path_;
  int fd_;
  std::vector<char> buffer_;
};

void write_tensor_data(FileWriter& out, const TensorToWrite& t) {
  if (t.dtype == DType::F32) {
    out.append(t.data.data(), t.data.size_bytes());
    return;
  }
  const auto narrow = t.dtype == DType::F16 ? float_to_f16 : float_to_bf16;
  std::vector<uint16_t> chunk(std::min<size_t>(t.data.size(), 1 << 18));
  for (size_t start = 0; start < t.data.size(); start += chunk.size()) {
    const size_t n = std::min(chunk.size(), t.data.size() - start);
    for (size_t i = 0; i < n; ++i) chunk[i] = narrow(t.data[start + i]);
    out.append(chunk.data(), n * 2);
  }
}

}  // namespace

void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  namespace fs = std::filesystem;
  const std::string header = encode_header(path, tensors, metadata);

  // trace::write_file_atomically wants the whole file as one string; checkpoints can be gigabytes,
  // so stream into a temporary file beside the target and rename it over the target instead.
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string temp = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) fail(path, std::string("cannot create a temporary file: ") + std::strerror(errno));
  try {
    FileWriter out(path, fd);
    const uint64_t header_len = header.size();
    unsigned char len_bytes[8];
    for (int i = 0; i < 8; ++i) len_bytes[i] = static_cast<unsigned char>(header_len >> (8 * i));
    out.append(len_bytes, 8);
    out.append(header.data(), header.size());
    for (const TensorToWrite& t : tensors) write_tensor_data(out, t);
    out.flush();
    if (::fsync(fd) != 0) fail(path, std::string("fsync failed: ") + std::strerror(errno));
    if (::fchmod(fd, 0644) != 0) fail(path, std::string("chmod failed: ") + std::strerror(errno));
  } catch (...) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  if (::close(fd) != 0 || std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(temp.c_str());
    fail(path, "cannot move the written file into place: " + reason);
  }
}

}  // namespace kvscope::core
