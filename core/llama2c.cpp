#include "core/llama2c.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kvscope::core {

// The format is little-endian on disk; the bulk reads below rely on the host agreeing.
static_assert(std::endian::native == std::endian::little,
              "kvscope reads llama2.c checkpoints on little-endian hosts only");

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) { throw WeightsError(path + ": " + what); }

// An open, regular, read-only file, read with pread (no alignment assumed anywhere).
class File {
 public:
  explicit File(std::string path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) fail(path_, std::string("cannot open: ") + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
      const int err = errno;
      ::close(fd_);
      fail(path_, std::string("cannot stat: ") + std::strerror(err));
    }
    if (!S_ISREG(st.st_mode)) {
      ::close(fd_);
      fail(path_, S_ISDIR(st.st_mode) ? "is a directory, not a llama2.c checkpoint file" : "not a regular file");
    }
    size_ = static_cast<int64_t>(st.st_size);
  }
  ~File() { ::close(fd_); }
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  int64_t size() const { return size_; }

  // The whole file mapped read-only, unmapped when the last owner lets go.
  std::shared_ptr<const uint8_t> map() const {
    void* p = ::mmap(nullptr, static_cast<size_t>(size_), PROT_READ, MAP_PRIVATE, fd_, 0);
    if (p == MAP_FAILED) fail(path_, std::string("cannot map: ") + std::strerror(errno));
    const auto bytes = static_cast<size_t>(size_);
    return {static_cast<const uint8_t*>(p), [bytes](const uint8_t* q) { ::munmap(const_cast<uint8_t*>(q), bytes); }};
  }

  // Reads exactly n bytes at offset; the sizes were checked against the file's length beforehand, so a short read
  // means the file changed under us.
  void read(int64_t offset, void* out, int64_t n) const {
    auto* p = static_cast<char*>(out);
    while (n > 0) {
      const auto chunk = static_cast<size_t>(std::min<int64_t>(n, int64_t{1} << 30));
      const ssize_t got = ::pread(fd_, p, chunk, static_cast<off_t>(offset));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) fail(path_, std::string("read failed: ") + std::strerror(errno));
      if (got == 0) fail(path_, "ends at byte " + std::to_string(offset) + " (did it shrink while being read?)");
      p += got;
      offset += got;
      n -= got;
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
  int64_t size_ = 0;
};

int32_t i32_at(const unsigned char* p) {
  int32_t v = 0;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// The tensors of a checkpoint, by kind, in file order.
enum class Part { Embed, AttnNorm, Wq, Wk, Wv, Wo, FfnNorm, W1, W2, W3, FinalNorm, RopeTable, Classifier };

struct Block {
  Part part;
  const char* name;  // llama2.c's name, for messages
  int64_t tensors;   // 1, or n_layers
  int64_t values;    // per tensor
  bool quantized;    // int8 values, then one float32 scale per group
  int64_t bytes;     // per tensor, filled in by the size check
};

// The raw header fields, as int64 so the arithmetic on them cannot overflow before it is checked.
struct Fields {
  int64_t dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;
};

std::vector<Block> blocks_of(const Llama2cHeader& h, const Fields& f) {
  const int64_t head = f.dim / f.n_heads, q = f.n_heads * head, kv = f.n_kv_heads * head, L = f.n_layers;
  const bool quant = h.version == 2;
  std::vector<Block> b;
  auto add = [&](Part part, const char* name, int64_t tensors, int64_t values, bool quantized) {
    b.push_back({part, name, tensors, values, quantized, 0});
  };
  auto norms = [&] {
    add(Part::AttnNorm, "rms_att_weight", L, f.dim, false);
    add(Part::FfnNorm, "rms_ffn_weight", L, f.dim, false);
    add(Part::FinalNorm, "rms_final_weight", 1, f.dim, false);
  };
  auto projections = [&] {
    add(Part::Wq, "wq", L, q * f.dim, quant);
    add(Part::Wk, "wk", L, kv * f.dim, quant);
    add(Part::Wv, "wv", L, kv * f.dim, quant);
    add(Part::Wo, "wo", L, f.dim * q, quant);
    add(Part::W1, "w1", L, f.hidden_dim * f.dim, quant);
    add(Part::W2, "w2", L, f.dim * f.hidden_dim, quant);
    add(Part::W3, "w3", L, f.hidden_dim * f.dim, quant);
  };
  if (h.version == 0) {
    add(Part::Embed, "token_embedding_table", 1, f.vocab_size * f.dim, false);
    add(Part::AttnNorm, "rms_att_weight", L, f.dim, false);
    add(Part::Wq, "wq", L, q * f.dim, false);
    add(Part::Wk, "wk", L, kv * f.dim, false);
    add(Part::Wv, "wv", L, kv * f.dim, false);
    add(Part::Wo, "wo", L, f.dim * q, false);
    add(Part::FfnNorm, "rms_ffn_weight", L, f.dim, false);
    add(Part::W1, "w1", L, f.hidden_dim * f.dim, false);
    add(Part::W2, "w2", L, f.dim * f.hidden_dim, false);
    add(Part::W3, "w3", L, f.hidden_dim * f.dim, false);
    add(Part::FinalNorm, "rms_final_weight", 1, f.dim, false);
    add(Part::RopeTable, "freq_cis_real", 1, f.seq_len * head / 2, false);
    add(Part::RopeTable, "freq_cis_imag", 1, f.seq_len * head / 2, false);
  } else {
    norms();
    add(Part::Embed, "token_embedding_table", 1, f.vocab_size * f.dim, quant);
    projections();
  }
  if (!h.shared_classifier) add(Part::Classifier, "wcls", 1, f.vocab_size * f.dim, quant);
  return b;
}

std::string describe(const Llama2cHeader& h, const Fields& f) {
  std::string s = h.version == 0 ? "legacy header" : "version " + std::to_string(h.version) + " header";
  s += " (dim " + std::to_string(f.dim) + ", hidden_dim " + std::to_string(f.hidden_dim) + ", n_layers " +
       std::to_string(f.n_layers) + ", n_heads " + std::to_string(f.n_heads) + ", n_kv_heads " +
       std::to_string(f.n_kv_heads) + ", vocab_size " + std::to_string(f.vocab_size) + ", seq_len " +
       std::to_string(f.seq_len);
  if (h.version == 2) s += ", group_size " + std::to_string(h.group_size);
  s += std::string(", ") + (h.shared_classifier ? "shared" : "unshared") + " classifier)";
  return s;
}

// The header's fields, validated, and the byte count of every tensor checked against the file's length. Returns
// the tensor blocks in file order with their per-tensor sizes.
std::vector<Block> parse_header(const std::string& path, const File& file, Llama2cHeader& h) {
  const int64_t size = file.size();
  h.file_bytes = size;
  if (size == 0) fail(path, "empty file, not a llama2.c checkpoint");
  unsigned char bytes[kLlama2cHeaderBytes] = {};
  file.read(0, bytes, std::min<int64_t>(size, kLlama2cHeaderBytes));

  uint32_t magic = 0;
  if (size >= 4) std::memcpy(&magic, bytes, sizeof magic);
  const bool versioned = magic == kLlama2cMagic;
  int64_t header_bytes = kLlama2cLegacyHeaderBytes;
  const unsigned char* fields = bytes;
  if (versioned) {
    header_bytes = kLlama2cHeaderBytes;
    if (size < header_bytes)
      fail(path, "only " + std::to_string(size) +
                     " bytes, too short for the 256-byte header of a versioned (\"ak42\") llama2.c checkpoint");
    const int32_t version = i32_at(bytes + 4);
    if (version != 1 && version != 2)
      fail(path, "header field 'version' is " + std::to_string(version) +
                     "; kvscope reads llama2.c's legacy files and versions 1 (float32) and 2 (int8 groups)");
    h.version = version;
    fields = bytes + 8;
    const unsigned flag = bytes[36];
    if (flag > 1) fail(path, "header field 'shared_classifier' is " + std::to_string(flag) + ", not 0 or 1");
    h.shared_classifier = flag == 1;
    if (version == 2) {
      h.group_size = i32_at(bytes + 37);
      if (h.group_size <= 0)
        fail(path, "header field 'group_size' must be positive, got " + std::to_string(h.group_size));
    }
  } else if (size < header_bytes) {
    fail(path, "only " + std::to_string(size) + " bytes, too short for the 28-byte header of a llama2.c checkpoint");
  }

  Fields f{};
  int64_t* const slots[] = {&f.dim, &f.hidden_dim, &f.n_layers, &f.n_heads, &f.n_kv_heads, &f.vocab_size, &f.seq_len};
  const char* const names[] = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
  for (int i = 0; i < 7; ++i) *slots[i] = i32_at(fields + 4 * i);
  // The legacy header marks an unshared classifier with a negative vocab_size (run.c takes its absolute value).
  if (!versioned) {
    h.shared_classifier = f.vocab_size > 0;
    f.vocab_size = std::abs(f.vocab_size);
    if (f.vocab_size > std::numeric_limits<int32_t>::max())
      fail(path, "header field 'vocab_size' -2147483648 has no positive counterpart");
  }
  for (int i = 0; i < 7; ++i) {
    if (*slots[i] <= 0)
      fail(path, std::string("header field '") + names[i] + "' must be positive, got " + std::to_string(*slots[i]));
  }
  if (f.dim % f.n_heads != 0)
    fail(path, "header field 'n_heads' " + std::to_string(f.n_heads) + " does not divide 'dim' " +
                   std::to_string(f.dim) + " into whole heads");
  if ((f.dim / f.n_heads) % 2 != 0)
    fail(path, "header fields 'dim' " + std::to_string(f.dim) + " / 'n_heads' " + std::to_string(f.n_heads) +
                   " give an odd head size " + std::to_string(f.dim / f.n_heads) + "; rotary embeddings need it even");
  if (f.n_heads % f.n_kv_heads != 0)
    fail(path, "header field 'n_kv_heads' " + std::to_string(f.n_kv_heads) + " does not divide 'n_heads' " +
                   std::to_string(f.n_heads));

  // Every product of two header fields fits in 62 bits; the byte counts are checked from here on.
  std::vector<Block> blocks = blocks_of(h, f);
  const std::string overflow = "the " + describe(h, f) + " describes more bytes than a 64-bit count holds";
  for (Block& b : blocks) {
    if (b.quantized && b.values % h.group_size != 0)
      fail(path, "header field 'group_size' " + std::to_string(h.group_size) + " does not divide the " +
                     std::to_string(b.values) + " values of " + b.name);
    const int64_t scales = b.quantized ? b.values / h.group_size : 0;
    int64_t float_bytes = 0;
    if (__builtin_mul_overflow(b.quantized ? scales : b.values, int64_t{4}, &float_bytes) ||
        __builtin_add_overflow(float_bytes, b.quantized ? b.values : 0, &b.bytes))
      fail(path, overflow);
  }
  int64_t total = header_bytes;
  for (const Block& b : blocks) {
    int64_t all = 0;
    if (__builtin_mul_overflow(b.bytes, b.tensors, &all) || __builtin_add_overflow(total, all, &total))
      fail(path, overflow);
  }
  if (total != size) {
    if (size > total)
      fail(path, "the file has " + std::to_string(size) + " bytes, " + std::to_string(size - total) +
                     " more than the " + describe(h, f) + " accounts for (" + std::to_string(total) + ")");
    // Truncated: name the tensor the file ends in.
    int64_t offset = header_bytes;
    std::string where;
    for (const Block& b : blocks) {
      if (size < offset + b.bytes * b.tensors) {
        const int64_t index = (size - offset) / b.bytes;
        where = std::string(b.name) + (b.tensors > 1 ? " (layer " + std::to_string(index) + ")" : "");
        break;
      }
      offset += b.bytes * b.tensors;
    }
    fail(path, "truncated: the " + describe(h, f) + " needs " + std::to_string(total) + " bytes, the file has " +
                   std::to_string(size) + " and ends inside " + where);
  }

  LlamaConfig& c = h.config;
  c.name = std::filesystem::path(path).stem().string();
  if (c.name.empty()) c.name = path;
  c.vocab_size = static_cast<int>(f.vocab_size);
  c.hidden_size = static_cast<int>(f.dim);
  c.intermediate_size = static_cast<int>(f.hidden_dim);
  c.num_hidden_layers = static_cast<int>(f.n_layers);
  c.num_attention_heads = static_cast<int>(f.n_heads);
  c.num_key_value_heads = static_cast<int>(f.n_kv_heads);
  c.head_dim = 0;  // dim / n_heads, as llama2.c computes it
  c.rms_norm_eps = 1e-5;
  c.rope_theta = 10000.0;
  c.max_position_embeddings = static_cast<int>(f.seq_len);
  c.tie_word_embeddings = h.shared_classifier;
  try {
    c.validate(path);
  } catch (const ConfigError& e) {
    throw WeightsError(e.what());
  }
  return blocks;
}

// Where a tensor of `part` goes; nullptr for what kvscope does not keep (the legacy RoPE tables).
float* destination(LlamaWeights& w, Part part, int64_t layer) {
  auto in_layer = [&]() -> LayerWeights& { return w.layers[static_cast<size_t>(layer)]; };
  switch (part) {
    case Part::Embed: return w.embed_tokens.data();
    case Part::AttnNorm: return in_layer().input_layernorm.data();
    case Part::Wq: return in_layer().q_proj.data();
    case Part::Wk: return in_layer().k_proj.data();
    case Part::Wv: return in_layer().v_proj.data();
    case Part::Wo: return in_layer().o_proj.data();
    case Part::FfnNorm: return in_layer().post_attention_layernorm.data();
    case Part::W1: return in_layer().gate_proj.data();
    case Part::W2: return in_layer().down_proj.data();
    case Part::W3: return in_layer().up_proj.data();
    case Part::FinalNorm: return w.norm.data();
    case Part::Classifier: return w.lm_head.data();
    case Part::RopeTable: return nullptr;
  }
  return nullptr;
}

// The llama2.c part and layer of an HF parameter name.
std::pair<Part, int64_t> part_of(const std::string& name) {
  static const std::pair<std::string_view, Part> kInLayer[] = {{"input_layernorm.weight", Part::AttnNorm},
                                                               {"self_attn.q_proj.weight", Part::Wq},
                                                               {"self_attn.k_proj.weight", Part::Wk},
                                                               {"self_attn.v_proj.weight", Part::Wv},
                                                               {"self_attn.o_proj.weight", Part::Wo},
                                                               {"post_attention_layernorm.weight", Part::FfnNorm},
                                                               {"mlp.gate_proj.weight", Part::W1},
                                                               {"mlp.down_proj.weight", Part::W2},
                                                               {"mlp.up_proj.weight", Part::W3}};
  if (name == "model.embed_tokens.weight") return {Part::Embed, 0};
  if (name == "model.norm.weight") return {Part::FinalNorm, 0};
  if (name == "lm_head.weight") return {Part::Classifier, 0};
  const std::string prefix = "model.layers.";
  const size_t dot = name.find('.', prefix.size());
  if (name.rfind(prefix, 0) == 0 && dot != std::string::npos) {
    const int64_t layer = std::stoll(name.substr(prefix.size(), dot - prefix.size()));
    for (const auto& [suffix, part] : kInLayer)
      if (std::string_view(name).substr(dot + 1) == suffix) return {part, layer};
  }
  throw std::logic_error("llama2c: no checkpoint tensor for " + name);
}

}  // namespace

Matrix rotary_rows_from_interleaved(const Matrix& interleaved, int heads) {
  if (heads <= 0 || interleaved.rows() % heads != 0 || (interleaved.rows() / heads) % 2 != 0)
    throw std::invalid_argument("rotary_rows_from_interleaved: " + std::to_string(interleaved.rows()) +
                                " rows are not " + std::to_string(heads) + " heads of an even size");
  const Eigen::Index head = interleaved.rows() / heads, half = head / 2;
  Matrix out(interleaved.rows(), interleaved.cols());
  for (Eigen::Index h = 0; h < heads; ++h)
    for (Eigen::Index t = 0; t < 2; ++t)
      for (Eigen::Index i = 0; i < half; ++i) out.row(h * head + t * half + i) = interleaved.row(h * head + 2 * i + t);
  return out;
}

bool looks_like_llama2c(const std::string& path) {
  try {
    const File file(path);
    if (file.size() >= 4) {
      uint32_t magic = 0;
      file.read(0, &magic, sizeof magic);
      if (magic == kLlama2cMagic) return true;
    }
    Llama2cHeader h;
    parse_header(path, file, h);  // a legacy header: only when its sizes account for the whole file
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

Llama2cHeader read_llama2c_header(const std::string& path) {
  const File file(path);
  Llama2cHeader h;
  parse_header(path, file, h);
  return h;
}

Llama2cCheckpoint read_llama2c(const std::string& path) {
  const File file(path);
  Llama2cCheckpoint out;
  Llama2cHeader& h = out.header;
  const std::vector<Block> blocks = parse_header(path, file, h);
  const LlamaConfig& c = h.config;
  out.weights = allocate_weights(c, h.shared_classifier);
  LlamaWeights& w = out.weights;

  int64_t offset = h.version == 0 ? kLlama2cLegacyHeaderBytes : kLlama2cHeaderBytes;
  std::vector<int8_t> q;
  std::vector<float> scales;
  for (const Block& b : blocks) {
    for (int64_t t = 0; t < b.tensors; ++t, offset += b.bytes) {
      float* dest = destination(w, b.part, t);
      if (!dest) continue;  // the legacy RoPE tables: run.c computes the rotation itself
      if (!b.quantized) {
        file.read(offset, dest, b.values * 4);
      } else {
        q.resize(static_cast<size_t>(b.values));
        scales.resize(static_cast<size_t>(b.values / h.group_size));
        file.read(offset, q.data(), b.values);
        file.read(offset + b.values, scales.data(), static_cast<int64_t>(scales.size()) * 4);
        const auto group = static_cast<size_t>(h.group_size);
        for (size_t i = 0; i < q.size(); ++i) dest[i] = static_cast<float>(q[i]) * scales[i / group];
      }
      if (b.part == Part::Wq) {
        Matrix& m = w.layers[static_cast<size_t>(t)].q_proj;
        m = rotary_rows_from_interleaved(m, c.num_attention_heads);
      } else if (b.part == Part::Wk) {
        Matrix& m = w.layers[static_cast<size_t>(t)].k_proj;
        m = rotary_rows_from_interleaved(m, c.num_key_value_heads);
      }
    }
  }
  out.config = c;
  return out;
}

ModelWeights map_llama2c_weights(const std::string& path) {
  const File file(path);
  Llama2cHeader h;
  const std::vector<Block> blocks = parse_header(path, file, h);
  if (h.version == 2) return ModelWeights::adopt(read_llama2c(path).weights);
  const std::shared_ptr<const uint8_t> map = file.map();
  std::map<std::pair<Part, int64_t>, const uint8_t*> at;
  int64_t offset = h.version == 0 ? kLlama2cLegacyHeaderBytes : kLlama2cHeaderBytes;
  for (const Block& b : blocks)
    for (int64_t t = 0; t < b.tensors; ++t, offset += b.bytes) at[{b.part, t}] = map.get() + offset;
  std::map<std::string, std::vector<int64_t>, std::less<>> shapes;
  for (ParameterShape& p : parameter_shapes(h.config)) shapes[p.name] = std::move(p.shape);
  const LlamaConfig& c = h.config;
  auto matrix = [&](const std::string& name) {
    const auto [part, layer] = part_of(name);
    const std::vector<int64_t>& shape = shapes.at(name);
    WeightMatrix m(GgmlType::F32, shape[0], shape[1], at.at({part, layer}), map);
    // Rows read through an order, the mapping untouched: the same rows as rotary_rows_from_interleaved's copy.
    if (part == Part::Wq) m.reorder_rows(rotary_order_from_interleaved(shape[0], c.num_attention_heads));
    else if (part == Part::Wk) m.reorder_rows(rotary_order_from_interleaved(shape[0], c.num_key_value_heads));
    return m;
  };
  auto vector = [&](const std::string& name) {
    Vector v(shapes.at(name)[0]);
    std::memcpy(v.data(), at.at(part_of(name)), static_cast<size_t>(v.size()) * sizeof(float));
    return v;
  };
  return assemble_weights(c, matrix, vector);
}

}  // namespace kvscope::core
