// Issues 10 and 12's large-file check: a TinyLlama-1.1B-shaped GGUF with random weights, stored as F32, BF16, Q8_0
// or with its types mixed as llama.cpp's Q4_K_M mixes them, loaded, decoded and traced in one process. It reports
// what the closing notes need: the load time and peak memory of the file, the decode speed on 1 and 2 threads
// against the read bandwidth of a large memory scan measured in the same run, and it checks the shapes of a traced
// prefill and two decode steps exactly (a mismatch fails the run, exit status 1).
//
//   bench_gguf_1b [--type T] --generate-only   write the file (reused when present with the expected size)
//   bench_gguf_1b [--type T] [--json FILE]     measure; a missing file is generated first in a forked child, so the
//                                              peak memory reported is that of loading only
//
// The file (tinyllama-1.1b-random-T.gguf) goes to --dir, else $KVSCOPE_1B_DIR, else /tmp/kvscope-1b. Weights are
// normal(0, 0.02) (norms 1), seeded per chunk so that two threads write the same bytes as one, and the same values
// for every type: F32 as they are, BF16 rounded to nearest even, Q8_0 by ggml's reference rule (norms stay F32).
// The vocabulary is a synthetic SentencePiece one (bytes, letters, letter pairs and triples) so that
// `kvscope generate --model FILE --prompt ...` runs too.
//
// Q4_K_M as llama.cpp's llama_tensor_get_type picks it for a llama model with an output tensor: output Q6_K;
// attn_v and ffn_down Q6_K in the layers use_more_bits selects (the first and last eighth of the layers and
// every third layer in between), Q4_K elsewhere; every other matrix, token_embd included, Q4_K; norms F32.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/common/recording.h"
#include "core/config.h"
#include "core/generator.h"
#include "core/gguf_model.h"
#include "core/model_source.h"
#include "core/model_weights.h"
#include "core/ops.h"
#include "core/quant.h"
#include "core/rng.h"
#include "core/thread_pool.h"
#include "core/weights.h"
#include "tests/support/quantize.h"
#include "tokenizer/tokenizer.h"

using namespace kvscope;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr uint32_t kF32 = 0, kQ8_0 = 8, kQ4K = 12, kQ6K = 14, kBF16 = 30;
constexpr uint64_t kAlignment = 32;
constexpr uint64_t kSeed = 1100;
constexpr int64_t kChunk = 1 << 20;  // elements per work item: a whole number of 256-element blocks

// The files the bench writes: every matrix in one type, or Q4_K_M's mix. ftype is llama.cpp's general.file_type
// (LLAMA_FTYPE_ALL_F32, MOSTLY_BF16, MOSTLY_Q8_0, MOSTLY_Q4_K_M).
struct FileKind {
  const char* name;
  uint32_t ftype;
  uint32_t matrix_type;  // every matrix's type, unless q4_k_m_mix
  bool q4_k_m_mix;
};
constexpr FileKind kKinds[] = {
    {"F32", 0, kF32, false}, {"BF16", 32, kBF16, false}, {"Q8_0", 7, kQ8_0, false}, {"Q4_K_M", 15, 0, true}};

const FileKind& file_kind(const std::string& name) {
  for (const FileKind& k : kKinds)
    if (name == k.name) return k;
  throw std::invalid_argument("--type '" + name + "': expected F32, BF16, Q8_0 or Q4_K_M");
}

std::string file_name(const FileKind& kind) { return std::string("tinyllama-1.1b-random-") + kind.name + ".gguf"; }

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

[[noreturn]] void die(const std::string& what) {
  std::cerr << "bench_gguf_1b: " << what << "\n";
  std::exit(1);
}

// ---- the file's plan: config, tensors, types ----

core::LlamaConfig tinyllama() { return core::preset_config("tinyllama-1.1b"); }

// llama.cpp's use_more_bits (llama-quant.cpp): the first and last eighth of the layers, every third between.
bool use_more_bits(int layer, int layers) {
  return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
}

// The layer of "model.layers.N....", -1 for the other parameters.
int layer_of(const std::string& hf_name) {
  const std::string prefix = "model.layers.";
  if (hf_name.rfind(prefix, 0) != 0) return -1;
  return std::stoi(hf_name.substr(prefix.size()));
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

uint32_t tensor_type(const FileKind& kind, const std::string& hf_name, int layers) {
  if (ends_with(hf_name, "norm.weight")) return kF32;
  if (!kind.q4_k_m_mix) return kind.matrix_type;
  if (hf_name == "lm_head.weight") return kQ6K;
  if (ends_with(hf_name, "self_attn.v_proj.weight") || ends_with(hf_name, "mlp.down_proj.weight"))
    return use_more_bits(layer_of(hf_name), layers) ? kQ6K : kQ4K;
  return kQ4K;  // token_embd and every other matrix
}

struct PlannedTensor {
  std::string hf_name, gguf_name;
  std::vector<uint64_t> dims;  // innermost first
  uint32_t type = 0;
  int64_t elements = 0, bytes = 0;
  uint64_t offset = 0;  // within the data section
  bool norm = false;
};

struct Plan {
  std::string header;  // everything before the data section, unpadded
  uint64_t data_start = 0, file_size = 0;
  std::vector<PlannedTensor> tensors;
};

// Little-endian GGUF v3 serialisation of the metadata and tensor infos.
class HeaderWriter {
 public:
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) u8(static_cast<uint8_t>(v >> (8 * i)));
  }
  void i32(int32_t v) { u32(static_cast<uint32_t>(v)); }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) u8(static_cast<uint8_t>(v >> (8 * i)));
  }
  void f32(float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    u32(bits);
  }
  void str(const std::string& s) {
    u64(s.size());
    out_ += s;
  }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

enum : uint32_t { kTU32 = 4, kTI32 = 5, kTF32 = 6, kTBool = 7, kTString = 8, kTArray = 9 };

// A SentencePiece-style vocabulary of exactly `n` pieces: <unk>, <s>, </s>, the 256 byte tokens, then "▁",
// printable ASCII, "▁x", "xy", "▁xy", "xyz", "▁xyz" (lower-case letters) until n, scored shortest first.
void synthetic_vocabulary(int n, std::vector<std::string>& tokens, std::vector<float>& scores,
                          std::vector<int32_t>& types) {
  auto add = [&](std::string piece, float score, int32_t type) {
    if (static_cast<int>(tokens.size()) >= n) return;
    tokens.push_back(std::move(piece));
    scores.push_back(score);
    types.push_back(type);
  };
  add("<unk>", 0, 2);
  add("<s>", 0, 3);
  add("</s>", 0, 3);
  for (int b = 0; b < 256; ++b) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "<0x%02X>", b);
    add(hex, 0, 6);
  }
  const std::string space = "\xE2\x96\x81";  // U+2581, SentencePiece's word boundary
  float score = -1;
  add(space, score--, 1);
  for (char c = 33; c < 127; ++c) add(std::string(1, c), score--, 1);
  std::vector<std::string> words;
  for (char a = 'a'; a <= 'z'; ++a) words.emplace_back(1, a);
  for (char a = 'a'; a <= 'z'; ++a) add(space + a, score--, 1);
  for (int len = 2; static_cast<int>(tokens.size()) < n; ++len) {
    std::vector<std::string> longer;
    for (const std::string& w : words)
      for (char c = 'a'; c <= 'z'; ++c) longer.push_back(w + c);
    for (const std::string& w : longer) add(w, score--, 1);
    for (const std::string& w : longer) add(space + w, score--, 1);
    words = std::move(longer);
  }
}

Plan make_plan(const core::LlamaConfig& c, const FileKind& kind) {
  Plan plan;
  uint64_t offset = 0;
  for (const core::ParameterShape& p : core::parameter_shapes(c)) {
    PlannedTensor t;
    t.hf_name = p.name;
    t.gguf_name = core::gguf_tensor_name(p.name);
    for (auto it = p.shape.rbegin(); it != p.shape.rend(); ++it) t.dims.push_back(static_cast<uint64_t>(*it));
    t.type = tensor_type(kind, p.name, c.num_hidden_layers);
    t.norm = ends_with(p.name, "norm.weight");
    t.elements = 1;
    for (int64_t d : p.shape) t.elements *= d;
    t.bytes = core::tensor_bytes(t.type, t.elements);
    t.offset = offset;
    offset = (offset + static_cast<uint64_t>(t.bytes) + kAlignment - 1) / kAlignment * kAlignment;
    plan.tensors.push_back(std::move(t));
  }

  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
  synthetic_vocabulary(c.vocab_size, tokens, scores, types);

  HeaderWriter h;
  uint64_t kv_count = 0;
  HeaderWriter kv;
  auto key = [&](const std::string& k, uint32_t type) {
    ++kv_count;
    kv.str(k);
    kv.u32(type);
  };
  auto key_u32 = [&](const std::string& k, uint32_t v) {
    key(k, kTU32);
    kv.u32(v);
  };
  auto key_f32 = [&](const std::string& k, float v) {
    key(k, kTF32);
    kv.f32(v);
  };
  auto key_str = [&](const std::string& k, const std::string& v) {
    key(k, kTString);
    kv.str(v);
  };
  key_str("general.architecture", "llama");
  key_str("general.name", "TinyLlama-1.1B-shaped (random weights)");
  key_u32("general.file_type", kind.ftype);
  key_u32("general.alignment", static_cast<uint32_t>(kAlignment));
  key_u32("llama.context_length", static_cast<uint32_t>(c.max_position_embeddings));
  key_u32("llama.embedding_length", static_cast<uint32_t>(c.hidden_size));
  key_u32("llama.block_count", static_cast<uint32_t>(c.num_hidden_layers));
  key_u32("llama.feed_forward_length", static_cast<uint32_t>(c.intermediate_size));
  key_u32("llama.rope.dimension_count", static_cast<uint32_t>(c.head_size()));
  key_u32("llama.attention.head_count", static_cast<uint32_t>(c.num_attention_heads));
  key_u32("llama.attention.head_count_kv", static_cast<uint32_t>(c.num_key_value_heads));
  key_f32("llama.attention.layer_norm_rms_epsilon", static_cast<float>(c.rms_norm_eps));
  key_f32("llama.rope.freq_base", static_cast<float>(c.rope_theta));
  key_u32("llama.vocab_size", static_cast<uint32_t>(c.vocab_size));
  key_str("tokenizer.ggml.model", "llama");
  key("tokenizer.ggml.tokens", kTArray);
  kv.u32(kTString);
  kv.u64(tokens.size());
  for (const std::string& t : tokens) kv.str(t);
  key("tokenizer.ggml.scores", kTArray);
  kv.u32(kTF32);
  kv.u64(scores.size());
  for (float s : scores) kv.f32(s);
  key("tokenizer.ggml.token_type", kTArray);
  kv.u32(kTI32);
  kv.u64(types.size());
  for (int32_t t : types) kv.i32(t);
  key_u32("tokenizer.ggml.bos_token_id", 1);
  key_u32("tokenizer.ggml.eos_token_id", 2);
  key_u32("tokenizer.ggml.unknown_token_id", 0);
  key("tokenizer.ggml.add_bos_token", kTBool);
  kv.u8(1);

  h.bytes() = "GGUF";
  h.u32(3);
  h.u64(plan.tensors.size());
  h.u64(kv_count);
  h.bytes() += kv.bytes();
  for (const PlannedTensor& t : plan.tensors) {
    h.str(t.gguf_name);
    h.u32(static_cast<uint32_t>(t.dims.size()));
    for (uint64_t d : t.dims) h.u64(d);
    h.u32(t.type);
    h.u64(t.offset);
  }
  plan.header = std::move(h.bytes());
  plan.data_start = (plan.header.size() + kAlignment - 1) / kAlignment * kAlignment;
  const PlannedTensor& last = plan.tensors.back();
  plan.file_size = plan.data_start + last.offset + static_cast<uint64_t>(last.bytes);
  return plan;
}

// ---- writing the file ----

// normal(0, 1) by Marsaglia's polar method on core::Rng's uniform bits, with libm's log (fast; the exact
// values do not matter here, only that the same chunk seed gives the same values in this build).
class FastNormal {
 public:
  explicit FastNormal(uint64_t seed) : rng_(seed) {}
  float next() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = 2.0 * rng_.uniform() - 1.0;
      v = 2.0 * rng_.uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double f = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = static_cast<float>(v * f);
    has_spare_ = true;
    return static_cast<float>(u * f);
  }

 private:
  core::Rng rng_;
  bool has_spare_ = false;
  float spare_ = 0;
};

void pwrite_all(int fd, const void* data, size_t n, uint64_t at, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(at));
    if (w < 0) die(path + ": write failed: " + std::strerror(errno));
    p += w;
    n -= static_cast<size_t>(w);
    at += static_cast<uint64_t>(w);
  }
}

void generate(const Plan& plan, const fs::path& path, int threads) {
  const fs::path partial = path.string() + ".partial";
  fs::create_directories(path.parent_path());
  const int fd = ::open(partial.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0) die(partial.string() + ": cannot create: " + std::strerror(errno));
  if (::ftruncate(fd, static_cast<off_t>(plan.file_size)) != 0) die(partial.string() + ": ftruncate failed");
  pwrite_all(fd, plan.header.data(), plan.header.size(), 0, partial.string());

  struct Item {
    size_t tensor;
    int64_t chunk;
  };
  std::vector<Item> items;
  for (size_t t = 0; t < plan.tensors.size(); ++t)
    for (int64_t c = 0; c * kChunk < plan.tensors[t].elements; ++c) items.push_back({t, c});
  std::atomic<size_t> next{0};
  std::atomic<int64_t> done_elements{0};
  int64_t total_elements = 0;
  for (const PlannedTensor& t : plan.tensors) total_elements += t.elements;

  auto worker = [&] {
    std::vector<float> values;
    for (size_t i = next++; i < items.size(); i = next++) {
      const PlannedTensor& t = plan.tensors[items[i].tensor];
      const int64_t first = items[i].chunk * kChunk;
      const int64_t n = std::min(kChunk, t.elements - first);
      values.resize(static_cast<size_t>(n));
      if (t.norm) {
        std::fill(values.begin(), values.end(), 1.0f);
      } else {
        FastNormal normal(core::stream_seed(core::stream_seed(kSeed, items[i].tensor), static_cast<uint64_t>(first)));
        for (float& v : values) v = 0.02f * normal.next();
      }
      const std::vector<uint8_t> bytes = test::quantize(t.type, values);
      // n is a whole number of blocks, so the chunk's bytes start at its share of the tensor's.
      const uint64_t at = plan.data_start + t.offset + static_cast<uint64_t>(core::tensor_bytes(t.type, first));
      pwrite_all(fd, bytes.data(), bytes.size(), at, partial.string());
      done_elements += n;
    }
  };
  const auto t0 = Clock::now();
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) pool.emplace_back(worker);
  std::atomic<bool> finished{false};
  std::thread progress([&] {
    while (!finished) {
      for (int i = 0; i < 50 && !finished; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (!finished)
        std::fprintf(stderr, "  generating: %5.1f%% (%.0f s)\n",
                     100.0 * static_cast<double>(done_elements) / static_cast<double>(total_elements),
                     seconds_since(t0));
    }
  });
  for (std::thread& t : pool) t.join();
  finished = true;
  progress.join();
  // Written out and dropped from the page cache: buffered writes leave it in small folios, which a mapping then
  // takes page by page; read back from disk, it comes in as the kernel reads any file (see read_back).
  if (::fdatasync(fd) != 0) die(partial.string() + ": fdatasync failed");
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  if (::close(fd) != 0) die(partial.string() + ": close failed");
  fs::rename(partial, path);
  std::printf("generated %s: %.1f MiB in %.1f s (%d threads)\n", path.c_str(),
              static_cast<double>(plan.file_size) / (1 << 20), seconds_since(t0), threads);
}

// Reuses a file of the expected size that starts with the expected header.
bool reusable(const Plan& plan, const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec) || fs::file_size(path, ec) != plan.file_size) return false;
  std::ifstream in(path, std::ios::binary);
  std::string head(plan.header.size(), '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  return in && head == plan.header;
}

// ---- memory ----

struct Memory {
  double maxrss_mib = 0;     // getrusage(RUSAGE_SELF).ru_maxrss
  double hwm_mib = 0;        // /proc/self/status VmHWM: the peak resident set
  double rss_mib = 0;        // VmRSS: resident now
  double anon_mib = 0;       // RssAnon: of which anonymous (copies of weights, activations, the scan's buffer)
  double file_mib = 0;       // RssFile: of which file-backed (the mapped GGUF, the binary)
  double file_pmd_mib = 0;   // /proc/self/smaps_rollup FilePmdMapped: file pages mapped as 2 MiB huge pages
  double anon_huge_mib = 0;  // AnonHugePages: anonymous memory in huge pages
};

Memory memory_now() {
  Memory m;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  m.maxrss_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB on Linux
  std::ifstream status("/proc/self/status");
  std::string line;
  auto field = [&](const char* name, double& out) {
    if (line.rfind(name, 0) == 0) out = std::strtod(line.c_str() + std::strlen(name), nullptr) / 1024.0;
  };
  while (std::getline(status, line)) {
    field("VmHWM:", m.hwm_mib);
    field("VmRSS:", m.rss_mib);
    field("RssAnon:", m.anon_mib);
    field("RssFile:", m.file_mib);
  }
  std::ifstream rollup("/proc/self/smaps_rollup");
  while (std::getline(rollup, line)) {
    field("FilePmdMapped:", m.file_pmd_mib);
    field("AnonHugePages:", m.anon_huge_mib);
  }
  return m;
}

struct Cpu {
  double user_s = 0, sys_s = 0;
  long minflt = 0;
};

Cpu cpu_now() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return {static_cast<double>(u.ru_utime.tv_sec) + 1e-6 * static_cast<double>(u.ru_utime.tv_usec),
          static_cast<double>(u.ru_stime.tv_sec) + 1e-6 * static_cast<double>(u.ru_stime.tv_usec), u.ru_minflt};
}

nlohmann::ordered_json to_json(const Memory& m) {
  return {{"ru_maxrss_mib", m.maxrss_mib},
          {"vm_hwm_mib", m.hwm_mib},
          {"vm_rss_mib", m.rss_mib},
          {"rss_anon_mib", m.anon_mib},
          {"rss_file_mib", m.file_mib},
          {"file_pmd_mapped_mib", m.file_pmd_mib},
          {"anon_huge_pages_mib", m.anon_huge_mib}};
}

void print_memory(const char* label, const Memory& m) {
  std::printf(
      "  %-22s peak %7.0f MiB (VmHWM), %7.0f MiB (ru_maxrss); now %7.0f MiB (anon %.0f, file %.0f; in huge pages: "
      "file %.0f, anon %.0f)\n",
      label, m.hwm_mib, m.maxrss_mib, m.rss_mib, m.anon_mib, m.file_mib, m.file_pmd_mib, m.anon_huge_mib);
}

// ---- checks ----

std::vector<std::string> failures;

void expect(bool ok, const std::string& what) {
  if (!ok) failures.push_back(what);
}

std::string shape_text(std::span<const int64_t> s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// The config read from the file is TinyLlama's.
void check_config(const core::LlamaConfig& got, const core::LlamaConfig& want) {
  auto same = [&](const char* field, double a, double b) {
    expect(a == b, std::string("config ") + field + ": file gives " + std::to_string(a) + ", TinyLlama has " +
                       std::to_string(b));
  };
  same("vocab_size", got.vocab_size, want.vocab_size);
  same("hidden_size", got.hidden_size, want.hidden_size);
  same("intermediate_size", got.intermediate_size, want.intermediate_size);
  same("num_hidden_layers", got.num_hidden_layers, want.num_hidden_layers);
  same("num_attention_heads", got.num_attention_heads, want.num_attention_heads);
  same("num_key_value_heads", got.num_key_value_heads, want.num_key_value_heads);
  same("head_size", got.head_size(), want.head_size());
  same("rms_norm_eps", got.rms_norm_eps, want.rms_norm_eps);
  same("rope_theta", got.rope_theta, want.rope_theta);
  same("max_position_embeddings", got.max_position_embeddings, want.max_position_embeddings);
  same("tie_word_embeddings", got.tie_word_embeddings, want.tie_word_embeddings);
}

// Every event of a traced generation has the shape TinyLlama gives it: 32 query heads and 4 KV heads of 64, 22
// layers, hidden 2048, intermediate 5632, vocabulary 32000. Shapes are HF's with the batch axis leading when the
// batch is above 1 and left out for one sequence, as the seed notes print them: query_states [32, T, 64] for one
// sequence, [2, 32, T, 64] for two. Every layer must trace each checked tensor once per step. Returns the number
// of events whose shape was checked.
int check_trace(const trace::Run& run, const core::LlamaConfig& c, const std::string& which, int batch, int prompt_len,
                int decode_steps) {
  const int64_t H = c.num_attention_heads, KV = c.num_key_value_heads, D = c.head_size(), V = c.vocab_size;
  const int64_t E = c.hidden_size, F = c.intermediate_size;
  expect(static_cast<int>(run.steps.size()) == 1 + decode_steps, which + ": " + std::to_string(run.steps.size()) +
                                                                     " steps, expected prefill + " +
                                                                     std::to_string(decode_steps) + " decode steps");
  int checked = 0;
  for (const trace::StepRecord& step : run.steps) {
    const std::string at = which + " step " + std::to_string(step.step);
    const bool prefill = step.phase == trace::Phase::Prefill;
    const int64_t T = step.tokens_in, S = step.cache_len + step.tokens_in;
    const int64_t want_T = prefill ? prompt_len : 1;
    expect(T == want_T, at + ": " + std::to_string(T) + " tokens in, expected " + std::to_string(want_T));
    expect(step.cache_len == (prefill ? 0 : prompt_len + step.step - 1),
           at + ": " + std::to_string(step.cache_len) + " cached positions before the step");
    auto with_batch = [&](std::vector<int64_t> s) {
      if (batch > 1) s.insert(s.begin(), batch);
      return s;
    };
    // key -> (shape, events per step); cached_* only where there is a cache to extend (decode steps).
    const int L = c.num_hidden_layers;
    std::map<std::string, std::pair<std::vector<int64_t>, int>> want = {
        {"input_embeds", {with_batch({T, E}), L}},           {"query_states", {with_batch({H, T, D}), L}},
        {"key_states", {with_batch({KV, T, D}), L}},         {"value_states", {with_batch({KV, T, D}), L}},
        {"pos_query_states", {with_batch({H, T, D}), L}},    {"pos_key_states", {with_batch({KV, T, D}), L}},
        {"repeated_key_states", {with_batch({H, S, D}), L}}, {"repeated_value_states", {with_batch({H, S, D}), L}},
        {"attn_weights", {with_batch({H, T, S}), L}},        {"gate_projected", {with_batch({T, F}), L}},
        {"up_projected", {with_batch({T, F}), L}},           {"down_projected", {with_batch({T, E}), L}},
        {"layer_output", {with_batch({T, E}), L}},           {"logits", {with_batch({T, V}), 1}},
    };
    if (!prefill) {
      want["cached_key_states"] = {with_batch({KV, S, D}), L};
      want["cached_value_states"] = {with_batch({KV, S, D}), L};
    }
    std::map<std::string, int> seen;
    for (int i = step.first_event; i < step.end_event; ++i) {
      const trace::Event& e = run.events[static_cast<size_t>(i)];
      const auto it = want.find(std::string(e.key));
      if (it == want.end()) continue;
      ++seen[std::string(e.key)];
      ++checked;
      expect(e.shape == it->second.first, at + " layer " + std::to_string(e.layer) + ": " + std::string(e.name) + " (" +
                                              std::string(e.key) + ") is " + shape_text(e.shape) + ", expected " +
                                              shape_text(it->second.first));
    }
    for (const auto& [key, expected] : want)
      expect(seen[key] == expected.second, at + ": " + std::to_string(seen[key]) + " " + key + " events, expected " +
                                               std::to_string(expected.second));
  }
  return checked;
}

}  // namespace

namespace {

// ---- the read bandwidth the machine gives: a large read-only scan ----

// Sums n bytes (a multiple of 128) as 32-bit integers, four eight-lane accumulators: the adds keep up with any
// memory, so the time is the reading's.
uint32_t scan_sum(const uint8_t* p, size_t n) {
  using u32x8 = uint32_t __attribute__((vector_size(32)));
  u32x8 a0{}, a1{}, a2{}, a3{};
  for (size_t i = 0; i + 128 <= n; i += 128) {
    u32x8 v0, v1, v2, v3;
    std::memcpy(&v0, p + i, 32);
    std::memcpy(&v1, p + i + 32, 32);
    std::memcpy(&v2, p + i + 64, 32);
    std::memcpy(&v3, p + i + 96, 32);
    a0 += v0;
    a1 += v1;
    a2 += v2;
    a3 += v3;
  }
  const u32x8 s = (a0 + a1) + (a2 + a3);
  uint32_t total = 0;
  for (int k = 0; k < 8; ++k) total += s[k];
  return total;
}

// A buffer of `bytes` (resident: every page written) scanned by `threads` threads, each a contiguous share, on a
// core::ThreadPool as the decode's matrix products are. Returns GB/s (1e9 bytes) of one pass.
// The buffer is 2 MiB-aligned anonymous memory with huge pages advised, so that the scan is limited by the memory,
// not by the TLB: the bar the decode is held to is the best the machine reads.
class MemoryScan {
 public:
  explicit MemoryScan(size_t bytes) : bytes_(std::max(kHuge, bytes / kHuge * kHuge)) {
    void* map = ::mmap(nullptr, bytes_ + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) die("the memory scan's buffer: mmap failed");
    map_ = static_cast<uint8_t*>(map);
    buffer_ = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(map_) + kHuge - 1) / kHuge * kHuge);
    ::madvise(buffer_, bytes_, MADV_HUGEPAGE);
    for (size_t i = 0; i < bytes_; ++i) buffer_[i] = static_cast<uint8_t>(i * 131 + 7);
  }
  ~MemoryScan() { ::munmap(map_, bytes_ + kHuge); }
  MemoryScan(const MemoryScan&) = delete;
  MemoryScan& operator=(const MemoryScan&) = delete;
  size_t bytes() const { return bytes_; }
  double pass_gb_s(core::ThreadPool& pool) {
    const int parts = pool.size();
    std::vector<uint32_t> sums(static_cast<size_t>(parts));
    const size_t lines = bytes_ / 128;
    const auto t0 = Clock::now();
    pool.run([&](int part) {
      const size_t first = lines * static_cast<size_t>(part) / static_cast<size_t>(parts);
      const size_t last = lines * static_cast<size_t>(part + 1) / static_cast<size_t>(parts);
      sums[static_cast<size_t>(part)] = scan_sum(buffer_ + 128 * first, 128 * (last - first));
    });
    const double s = seconds_since(t0);
    for (uint32_t v : sums) checksum_ += v;  // kept, so the reads are not dropped
    return static_cast<double>(bytes_) / s / 1e9;
  }
  uint32_t checksum() const { return checksum_; }

 private:
  static constexpr size_t kHuge = size_t{2} << 20;
  size_t bytes_;
  uint8_t* map_ = nullptr;
  uint8_t* buffer_ = nullptr;
  uint32_t checksum_ = 0;
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Drops the file from the page cache (its dirty pages are written first by whoever wrote it).
void evict(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0 || ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0) die(path.string() + ": posix_fadvise failed");
  ::close(fd);
}

// The page cache as a file's first reader leaves it: the file evicted, then read back from disk once with read(),
// so that loading finds every page cached, in the folios the kernel's readahead makes (2 MiB ones on this machine's
// disk, whose readahead is 8 MiB). A file still cached from being written is held in small folios, and mapping
// those costs more (see docs/models-bench.md). Returns the seconds the reading took.
double read_back(const fs::path& path) {
  evict(path);
  const auto t0 = Clock::now();
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) die(path.string() + ": cannot open: " + std::strerror(errno));
  std::vector<char> buf(8 << 20);
  while (::read(fd, buf.data(), buf.size()) > 0) {
  }
  ::close(fd);
  return seconds_since(t0);
}

// The weight bytes one decode step reads: every matrix whole, one row of the token embeddings (unless they are
// also the output head), the norms.
int64_t bytes_read_per_token(const core::ModelWeights& w) {
  int64_t bytes = 0;
  for (const core::ModelParameter& p : core::model_parameters(w)) {
    if (!p.matrix) bytes += p.vector->size() * int64_t{sizeof(float)};
    else if (p.matrix == &w.embed_tokens && !w.tied) bytes += p.matrix->stored_bytes() / p.matrix->rows();
    else bytes += p.matrix->stored_bytes();
  }
  return bytes;
}

// ---- the matrix kernels' own speed, memory aside ----

// Each kind of matrix a step multiplies (stored type and width) timed over a slice of its rows that stays in the
// cores' L2 caches (half a core's L2 per thread, so that the activations and the rest stay in it too), on `pool`'s
// threads; a whole step's matrices then take their bytes over these speeds. Below the memory scan, the kernels'
// arithmetic, not memory, bounds the decode.
struct KernelSpeed {
  double step_gb_s = 0;
  int64_t slice_bytes = 0;  // per thread
  nlohmann::ordered_json kinds = nlohmann::ordered_json::array();
};

KernelSpeed kernel_speed(const core::ModelWeights& w, core::ThreadPool& pool) {
  std::map<std::pair<core::GgmlType, int64_t>, double> gb_s;
  KernelSpeed out;
  const long l2 = ::sysconf(_SC_LEVEL2_CACHE_SIZE);  // 0 where glibc cannot tell
  out.slice_bytes = (l2 > 0 ? l2 : int64_t{1} << 20) / 2;
  double bytes = 0, seconds = 0;
  for (const core::ModelParameter& p : core::model_parameters(w)) {
    if (!p.matrix || (p.matrix == &w.embed_tokens && !w.tied)) continue;  // of the embeddings a step reads one row
    const core::WeightMatrix& m = *p.matrix;
    const std::pair kind{m.type(), m.cols()};
    if (!gb_s.count(kind)) {
      const int64_t row_bytes = m.stored_bytes() / m.rows();
      const int64_t rows = std::clamp<int64_t>(out.slice_bytes * pool.size() / row_bytes, 1, m.rows());
      const core::WeightMatrix slice(m.type(), rows, m.cols(), m.stored_row_data(0), nullptr);
      core::Matrix x(1, m.cols()), y(1, rows);
      for (int64_t i = 0; i < m.cols(); ++i) x(0, i) = std::sin(0.37f * static_cast<float>(i));
      std::vector<double> times;
      const auto start = Clock::now();
      for (int i = 0; i < 20 || (seconds_since(start) < 0.1 && i < 100000); ++i) {
        const auto t0 = Clock::now();
        core::ops::linear(x, slice, y, 1, pool);
        if (i >= 3) times.push_back(seconds_since(t0));  // the first calls bring the slice into the caches
      }
      gb_s[kind] = static_cast<double>(rows * row_bytes) / median(times) / 1e9;
      out.kinds.push_back({{"type", core::ggml_type_name(static_cast<uint32_t>(m.type()))},
                           {"cols", m.cols()},
                           {"slice_rows", rows},
                           {"gb_s", gb_s[kind]}});
    }
    bytes += static_cast<double>(m.stored_bytes());
    seconds += static_cast<double>(m.stored_bytes()) / (gb_s[kind] * 1e9);
  }
  out.step_gb_s = bytes / seconds / 1e9;
  return out;
}

struct Options {
  fs::path dir;
  std::string type = "Q4_K_M";
  bool generate_only = false;
  bool cold = false;  // drop the file from the page cache before loading (posix_fadvise DONTNEED)
  bool print_shapes = false;
  std::string json;
  int decode_steps = 8;
  int runs = 3;
  std::vector<int> decode_threads = {1, 2};
  double scan_gib = 1.0;
  int threads = 0;
};

void usage() {
  std::puts(
      "usage: bench_gguf_1b [--type F32|BF16|Q8_0|Q4_K_M] [--dir DIR] [--generate-only] [--cold]\n"
      "                     [--decode-steps N] [--runs N] [--decode-threads LIST] [--scan-gib X] [--threads N]\n"
      "                     [--json FILE] [--print-shapes]\n"
      "  --type T             the file's weights: F32, BF16, Q8_0 or Q4_K_M (llama.cpp's mix of Q4_K and Q6_K;\n"
      "                       the default); the file is tinyllama-1.1b-random-T.gguf\n"
      "  --dir DIR            where the GGUF lives (default $KVSCOPE_1B_DIR, else /tmp/kvscope-1b)\n"
      "  --generate-only      write the file (reused when present with the expected size) and exit\n"
      "  --cold               evict the file from the page cache before loading (default: evict it, then read\n"
      "                       it back once, so the load finds it in the page cache as a first reader leaves it)\n"
      "  --decode-steps N     untraced greedy decode steps per timed run, after its prefill (default 8)\n"
      "  --runs N             timed runs per thread count, interleaved with the memory scans (default 3)\n"
      "  --decode-threads L   the thread counts timed, comma-separated (default 1,2)\n"
      "  --scan-gib X         the memory scan's buffer in GiB (default 1)\n"
      "  --threads N          threads writing the file (default: every core)\n"
      "  --json FILE          also write the figures as JSON\n"
      "  --print-shapes       list every traced tensor's shape of the meta run");
}

std::vector<int> int_list(const std::string& text) {
  std::vector<int> out;
  size_t at = 0;
  while (at <= text.size()) {
    const size_t comma = std::min(text.find(',', at), text.size());
    out.push_back(std::max(1, std::stoi(text.substr(at, comma - at))));
    at = comma + 1;
  }
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  const char* env = std::getenv("KVSCOPE_1B_DIR");
  o.dir = env && *env ? fs::path(env) : fs::path("/tmp/kvscope-1b");
  o.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--dir") o.dir = value();
    else if (a == "--type") o.type = value();
    else if (a == "--generate-only") o.generate_only = true;
    else if (a == "--cold") o.cold = true;
    else if (a == "--print-shapes") o.print_shapes = true;
    else if (a == "--json") o.json = value();
    else if (a == "--decode-steps") o.decode_steps = std::max(1, std::stoi(value()));
    else if (a == "--runs") o.runs = std::max(1, std::stoi(value()));
    else if (a == "--decode-threads") o.decode_threads = int_list(value());
    else if (a == "--scan-gib") o.scan_gib = std::max(0.01, std::stod(value()));
    else if (a == "--threads") o.threads = std::max(1, std::stoi(value()));
    else if (a == "-h" || a == "--help") {
      usage();
      std::exit(0);
    } else {
      usage();
      die("unknown argument '" + a + "'");
    }
  }
  return o;
}

const char* const kPromptText = "the quick brown fox jumps over the lazy dog";

// One untraced greedy generation: the prefill, then `steps` decode steps of one token, each timed. `beside`, when
// given, runs before each decode step and after the last, untimed.
struct DecodeRun {
  double prefill_s = 0;
  std::vector<double> step_s;
  std::vector<int32_t> generated;
  std::vector<float> last_logits;
  bool finite = true;
};

DecodeRun decode_run(core::LlamaModel& model, const std::vector<int32_t>& prompt, int steps,
                     const std::function<void()>& beside = {}) {
  core::Generator gen(model, {prompt}, {core::CacheMode::Cached, core::PrefillScheme::All, 1 + steps}, nullptr);
  DecodeRun run;
  bool first = true;
  while (!gen.done()) {
    if (!first && beside) beside();
    const auto ts = Clock::now();
    const core::StepResult r = gen.step();
    const double s = seconds_since(ts);
    if (first) run.prefill_s = s;
    else run.step_s.push_back(s);
    first = false;
    for (const auto& row : r.last_logits)
      run.finite = run.finite && std::all_of(row.begin(), row.end(), [](float v) { return std::isfinite(v); });
  }
  if (beside) beside();
  run.generated.assign(gen.sequences()[0].begin() + static_cast<std::ptrdiff_t>(prompt.size()),
                       gen.sequences()[0].end());
  const auto logits = model.last_logits(0);
  run.last_logits.assign(logits.begin(), logits.end());
  return run;
}

int measure(const Options& o, const FileKind& kind, const Plan& plan, const fs::path& path) {
  nlohmann::ordered_json report;
  const core::LlamaConfig want = tinyllama();
  std::map<std::string, int> type_counts;
  std::map<std::string, uint32_t> planned_type;
  for (const PlannedTensor& t : plan.tensors) {
    ++type_counts[std::string(core::ggml_type_name(t.type))];
    planned_type[t.hf_name] = t.type;
  }

  double read_back_s = 0;
  if (o.cold) evict(path);
  else read_back_s = read_back(path);
  const Memory before = memory_now();

  // ---- load: what `kvscope --model FILE.gguf` does before its first forward pass ----
  const auto t0 = Clock::now();
  const core::ModelSource source = core::resolve_model(path.string());
  const double resolve_s = seconds_since(t0);
  const auto t1 = Clock::now();
  const Cpu cpu0 = cpu_now();
  core::LlamaModel model = core::load_model(source, 0, false);
  const double load_s = seconds_since(t1);
  const Cpu cpu1 = cpu_now();
  const double total_load_s = seconds_since(t0);
  const Memory after_load = memory_now();

  expect(source.format == core::ModelFormat::gguf, "resolve_model did not recognise the file as GGUF");
  check_config(source.config, want);
  const std::vector<core::StoredWeight> stored = core::stored_weights(source);
  expect(stored.size() == plan.tensors.size(), "stored_weights lists " + std::to_string(stored.size()) +
                                                   " weights, the file has " + std::to_string(plan.tensors.size()));
  for (const core::StoredWeight& w : stored) {
    const auto it = planned_type.find(w.name);
    if (it == planned_type.end()) {
      expect(false, "stored_weights names " + w.name + ", which the file does not have");
      continue;
    }
    const std::string want_type(core::ggml_type_name(it->second));
    expect(w.stored_as == want_type, w.name + " is stored as " + w.stored_as + ", the file has " + want_type);
  }
  // How the matrices are kept in memory (as stored, or converted at load), and what a decode step reads.
  std::map<std::string, int> kept_counts;
  for (const core::ModelParameter& p : core::model_parameters(model.weights()))
    if (p.matrix) ++kept_counts[std::string(core::ggml_type_name(static_cast<uint32_t>(p.matrix->type())))];
  const int64_t per_token = bytes_read_per_token(model.weights());

  // ---- the prompt, through the file's own vocabulary ----
  const auto tokenizer = tokenizer::load_tokenizer(path);
  const std::vector<int> encoded = tokenizer->encode(kPromptText, tokenizer->adds_bos());
  const std::vector<int32_t> prompt(encoded.begin(), encoded.end());
  const int T = static_cast<int>(prompt.size());
  expect(tokenizer->vocab_size() == want.vocab_size, "the tokenizer has " + std::to_string(tokenizer->vocab_size()) +
                                                         " tokens, expected " + std::to_string(want.vocab_size));
  expect(tokenizer->decode(encoded) == kPromptText, "the vocabulary does not round-trip the prompt");

  // ---- a first, untimed run on every core: touches the weights once and gives the reference tokens ----
  const DecodeRun reference = decode_run(model, prompt, o.decode_steps);
  const Memory after_decode = memory_now();
  expect(reference.finite, "the logits of the untraced run are not all finite");

  // ---- timed: for each run, each thread count: a decode run with a pass of the memory scan before each step and
  // after the last ----
  // The host's other guests move this machine's bandwidth by a third within a run (on 2 threads, passes of 20 and
  // 30 GB/s a few seconds apart), so each step is also held against the better of the two passes beside it, and the
  // median of those ratios is the decode's share of the bandwidth; the best pass of the whole run is the stricter
  // bar, reported beside it.
  MemoryScan scan(static_cast<size_t>(o.scan_gib * (1 << 30)));
  struct PerThreads {
    std::vector<double> scan_gb_s, step_s, prefill_s, run_tokens_per_s, paired_fraction;
  };
  std::map<int, PerThreads> timed;
  // One scan pool per thread count for the whole measurement, each warmed by an untimed pass: a thread just made
  // may share a busy core with its maker until the scheduler moves it, and a pass then reads at one thread's speed.
  model.set_threads(1);
  std::map<int, std::unique_ptr<core::ThreadPool>> scan_pools;
  for (const int threads : o.decode_threads) {
    scan_pools[threads] = std::make_unique<core::ThreadPool>(threads);
    scan.pass_gb_s(*scan_pools[threads]);
  }
  // A pool's idle workers spin for about half a millisecond before they sleep; a pause of 3 ms on either side of a
  // pass keeps the model's workers and the scan's from spinning beside each other's work.
  const auto settle = [] { std::this_thread::sleep_for(std::chrono::milliseconds(3)); };
  for (int run = 0; run < o.runs; ++run)
    for (const int threads : o.decode_threads) {
      PerThreads& p = timed[threads];
      model.set_threads(threads);
      std::vector<double> passes;
      const DecodeRun r = decode_run(model, prompt, o.decode_steps, [&] {
        settle();
        passes.push_back(scan.pass_gb_s(*scan_pools[threads]));
        settle();
      });
      for (size_t i = 0; i < r.step_s.size(); ++i)
        p.paired_fraction.push_back(static_cast<double>(per_token) / r.step_s[i] / 1e9 /
                                    std::max(passes[i], passes[i + 1]));
      p.scan_gb_s.insert(p.scan_gb_s.end(), passes.begin(), passes.end());
      p.prefill_s.push_back(r.prefill_s);
      p.step_s.insert(p.step_s.end(), r.step_s.begin(), r.step_s.end());
      double sum = 0;
      for (double s : r.step_s) sum += s;
      p.run_tokens_per_s.push_back(static_cast<double>(r.step_s.size()) / sum);
      expect(r.finite, std::to_string(threads) + " threads: the logits are not all finite");
      expect(r.generated == reference.generated,
             std::to_string(threads) + " threads: the greedy tokens differ from the first run's");
      expect(r.last_logits.size() == reference.last_logits.size() &&
                 std::memcmp(r.last_logits.data(), reference.last_logits.data(),
                             sizeof(float) * r.last_logits.size()) == 0,
             std::to_string(threads) + " threads: the last logits differ in their bits from the first run's");
    }
  std::map<int, KernelSpeed> kernels;
  model.set_threads(1);
  for (const int threads : o.decode_threads) kernels[threads] = kernel_speed(model.weights(), *scan_pools[threads]);
  model.set_threads(core::available_cores());
  const std::vector<int32_t>& generated = reference.generated;

  // ---- traced: prefill + 2 decode steps, shapes only, on the weights and in meta mode ----
  const core::GenerationOptions traced_options{core::CacheMode::Cached, core::PrefillScheme::All, 3};
  const auto t2 = Clock::now();
  app::RecordedGeneration real(model, {prompt}, traced_options, {});
  real.run_to_end();
  const double real_trace_s = seconds_since(t2);
  const int real_checked = check_trace(real.run(), want, "traced run", 1, T, 2);
  const std::vector<int32_t> real_tokens(real.generator().sequences()[0].begin() + T,
                                         real.generator().sequences()[0].end());
  expect(std::equal(real_tokens.begin(), real_tokens.end(), generated.begin()),
         "the traced run's greedy tokens differ from the untraced run's");

  const auto t3 = Clock::now();
  core::LlamaModel meta = core::load_model(source, 0, true);
  app::RecordedGeneration shapes(meta, {prompt}, traced_options, {});
  shapes.run_to_end();
  const double meta_trace_s = seconds_since(t3);
  const int meta_checked = check_trace(shapes.run(), want, "meta trace", 1, T, 2);
  expect(shapes.run().events.size() == real.run().events.size(),
         "the meta trace has " + std::to_string(shapes.run().events.size()) + " events, the traced run " +
             std::to_string(real.run().events.size()));
  for (size_t i = 0; i < std::min(shapes.run().events.size(), real.run().events.size()); ++i) {
    const trace::Event &a = shapes.run().events[i], &b = real.run().events[i];
    if (a.name != b.name || a.shape != b.shape) {
      expect(false, "event " + std::to_string(i) + ": meta " + std::string(a.name) + " " + shape_text(a.shape) +
                        ", traced " + std::string(b.name) + " " + shape_text(b.shape));
      break;
    }
  }
  // Two sequences: the same shapes behind a leading batch axis of 2.
  const auto t4 = Clock::now();
  app::RecordedGeneration batched(meta, {prompt, prompt}, traced_options, {});
  batched.run_to_end();
  const double batched_trace_s = seconds_since(t4);
  const int batched_checked = check_trace(batched.run(), want, "meta trace, batch 2", 2, T, 2);
  if (o.print_shapes) {
    for (const trace::Event& e : shapes.run().events)
      if (e.layer <= 0)
        std::printf("  step %d layer %2d %-36s %s\n", e.step, e.layer, std::string(e.name).c_str(),
                    shape_text(e.shape).c_str());
  }

  // ---- report ----
  const double mib = static_cast<double>(plan.file_size) / (1 << 20);
  auto counts_text = [](const std::map<std::string, int>& counts) {
    std::string out;
    for (const auto& [name, n] : counts) out += (out.empty() ? "" : ", ") + std::to_string(n) + " " + name;
    return out;
  };
  const std::string page_cache = o.cold ? "cold: evicted" : "warm: evicted, then read back once with read()";
  std::printf("\nTinyLlama-1.1B-shaped GGUF, %s, random weights\n", kind.name);
  std::printf("  file                   %s\n", path.c_str());
  std::printf("  size                   %.1f MiB (%llu bytes), %zu tensors: %s; %.2f bits/weight\n", mib,
              static_cast<unsigned long long>(plan.file_size), plan.tensors.size(), counts_text(type_counts).c_str(),
              8.0 * static_cast<double>(plan.file_size) / static_cast<double>(want.parameter_count()));
  std::printf("  kept in memory as      %s (matrices)\n", counts_text(kept_counts).c_str());
  if (o.cold) std::printf("load (cold page cache: the file was evicted first)\n");
  else std::printf("load (warm page cache: the file was evicted, then read back once, in %.2f s)\n", read_back_s);
  std::printf("  resolve_model          %8.3f s   (header, metadata, config)\n", resolve_s);
  std::printf(
      "  load_model             %8.3f s   (map, validate; block types other than F32, F16, BF16, Q8_0,\n"
      "                                     Q4_K, Q6_K requantized to Q8_0; Q/K in HF order)\n",
      load_s);
  std::printf("  total                  %8.3f s   (load_model CPU: user %.1f s, system %.1f s; %ld page faults)\n",
              total_load_s, cpu1.user_s - cpu0.user_s, cpu1.sys_s - cpu0.sys_s, cpu1.minflt - cpu0.minflt);
  std::printf("memory (this process only; the file was not generated here)\n");
  print_memory("before load", before);
  print_memory("after load", after_load);
  print_memory("after a decode", after_decode);
  std::printf("  float32 would take     %7.0f MiB (%lld parameters)\n",
              static_cast<double>(want.parameter_count()) * 4 / (1 << 20),
              static_cast<long long>(want.parameter_count()));
  std::printf("decode (untraced, greedy, cached; %d runs of %d steps per thread count, median step)\n", o.runs,
              o.decode_steps);
  std::printf("  prompt                 \"%s\" = %d tokens\n", kPromptText, T);
  std::printf("  weights read per token %.1f MiB\n", static_cast<double>(per_token) / (1 << 20));
  std::printf("  memory scan            %.2f GiB read-only, a pass before each step and after the last\n",
              static_cast<double>(scan.bytes()) / (1 << 30));
  nlohmann::ordered_json per_threads = nlohmann::ordered_json::array();
  for (const int threads : o.decode_threads) {
    const PerThreads& p = timed[threads];
    const double step = median(p.step_s), tps = step > 0 ? 1 / step : 0;
    // The strict bar is the run's best pass: memory cannot be read faster than it can be read.
    const double scan_gb_s = *std::max_element(p.scan_gb_s.begin(), p.scan_gb_s.end());
    const double decode_gb_s = static_cast<double>(per_token) * tps / 1e9;
    const double paired = median(p.paired_fraction);
    const double prefill = median(p.prefill_s);
    const KernelSpeed& kernel = kernels[threads];
    // Bandwidth-bound where the kernels outrun the scan: only there can memory be what a step waits for.
    const bool bandwidth_bound = kernel.step_gb_s >= scan_gb_s;
    std::printf(
        "  %d thread%s              %7.2f tokens/s (%.1f ms/token; runs %s), prefill %.2f tokens/s\n"
        "                         reads %.1f GB/s of the scan's best pass, %.1f GB/s: %.0f%%\n"
        "                         each step against the passes beside it: median %.0f%% (steps %.0f-%.0f%%)\n"
        "                         the kernels from cache: %.1f GB/s (%s; decode %.0f%% of it)\n",
        threads, threads == 1 ? " " : "s", tps, 1000 * step,
        [&] {
          std::string s;
          for (double v : p.run_tokens_per_s) s += (s.empty() ? "" : " ") + std::to_string(v).substr(0, 5);
          return s;
        }()
            .c_str(),
        T / prefill, decode_gb_s, scan_gb_s, 100 * decode_gb_s / scan_gb_s, 100 * paired,
        100 * *std::min_element(p.paired_fraction.begin(), p.paired_fraction.end()),
        100 * *std::max_element(p.paired_fraction.begin(), p.paired_fraction.end()), kernel.step_gb_s,
        bandwidth_bound ? "faster than the scan: bandwidth-bound" : "slower than the scan: bound by their arithmetic",
        100 * decode_gb_s / kernel.step_gb_s);
    per_threads.push_back({{"threads", threads},
                           {"tokens_per_s", tps},
                           {"median_step_s", step},
                           {"run_tokens_per_s", p.run_tokens_per_s},
                           {"step_s", p.step_s},
                           {"prefill_s", p.prefill_s},
                           {"prefill_tokens_per_s", T / prefill},
                           {"scan_gb_s", scan_gb_s},
                           {"scan_median_gb_s", median(p.scan_gb_s)},
                           {"scan_passes_gb_s", p.scan_gb_s},
                           {"decode_gb_s", decode_gb_s},
                           {"fraction_of_scan", decode_gb_s / scan_gb_s},
                           {"paired_fraction_of_scan", paired},
                           {"step_paired_fractions", p.paired_fraction},
                           {"kernel_cache_gb_s", kernel.step_gb_s},
                           {"kernel_cache_slice_bytes", kernel.slice_bytes},
                           {"kernel_cache_kinds", kernel.kinds},
                           {"bandwidth_bound", bandwidth_bound},
                           {"fraction_of_kernel_cache", decode_gb_s / kernel.step_gb_s}});
  }
  std::printf("trace (prefill %d tokens + 2 decode steps, shapes only)\n", T);
  std::printf("  on the weights         %8.3f s, %zu events, %d shapes checked\n", real_trace_s,
              real.run().events.size(), real_checked);
  std::printf("  meta (no weights)      %8.3f s, %zu events, %d shapes checked\n", meta_trace_s,
              shapes.run().events.size(), meta_checked);
  std::printf("  meta, batch 2          %8.3f s, %zu events, %d shapes checked\n", batched_trace_s,
              batched.run().events.size(), batched_checked);

  report["type"] = kind.name;
  report["file"] = {{"path", path.string()},
                    {"bytes", plan.file_size},
                    {"mib", mib},
                    {"tensors", plan.tensors.size()},
                    {"types", type_counts},
                    {"kept_as", kept_counts},
                    {"parameters", want.parameter_count()}};
  report["config"] = core::config_to_json(source.config);
  report["load"] = {{"page_cache", page_cache},
                    {"read_back_s", read_back_s},
                    {"resolve_model_s", resolve_s},
                    {"load_model_s", load_s},
                    {"total_s", total_load_s},
                    {"load_model_user_s", cpu1.user_s - cpu0.user_s},
                    {"load_model_sys_s", cpu1.sys_s - cpu0.sys_s},
                    {"load_model_minor_faults", cpu1.minflt - cpu0.minflt}};
  report["memory"] = {
      {"before_load", to_json(before)}, {"after_load", to_json(after_load)}, {"after_decode", to_json(after_decode)}};
  report["decode"] = {{"prompt", kPromptText},
                      {"prompt_tokens", T},
                      {"decode_steps", o.decode_steps},
                      {"runs", o.runs},
                      {"bytes_read_per_token", per_token},
                      {"scan_bytes", scan.bytes()},
                      {"threads", per_threads},
                      {"generated", generated}};
  report["trace"] = {{"decode_steps", 2},
                     {"real_s", real_trace_s},
                     {"real_events", real.run().events.size()},
                     {"meta_s", meta_trace_s},
                     {"meta_events", shapes.run().events.size()},
                     {"meta_batch2_s", batched_trace_s},
                     {"meta_batch2_events", batched.run().events.size()},
                     {"shapes_checked", real_checked + meta_checked + batched_checked}};
  report["checks"] = {{"passed", failures.empty()}, {"failures", failures}};
  if (!o.json.empty()) {
    std::ofstream out(o.json);
    out << report.dump(2) << "\n";
    if (!out) die(o.json + ": cannot write");
    std::printf("json                     %s\n", o.json.c_str());
  }

  if (!failures.empty()) {
    std::printf("\nFAILED: %zu check(s)\n", failures.size());
    for (const std::string& f : failures) std::printf("  MISMATCH: %s\n", f.c_str());
    return 1;
  }
  std::printf(
      "\nall checks passed: config, stored types, vocabulary, finite logits, the same greedy tokens and last logits "
      "on every thread count, traced and untraced, %d traced shapes (scan checksum %u)\n",
      real_checked + meta_checked + batched_checked, scan.checksum());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  try {
    const FileKind& kind = file_kind(o.type);
    const Plan plan = make_plan(tinyllama(), kind);
    const fs::path path = o.dir / file_name(kind);
    if (reusable(plan, path)) {
      std::printf("reusing %s (%.1f MiB)\n", path.c_str(), static_cast<double>(plan.file_size) / (1 << 20));
    } else if (o.generate_only) {
      generate(plan, path, o.threads);
    } else {
      // Generated in a child, so that this process's peak memory is the load's alone.
      std::fflush(stdout);
      const pid_t child = ::fork();
      if (child < 0) die("fork failed");
      if (child == 0) {
        try {
          generate(plan, path, o.threads);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "bench_gguf_1b: %s\n", e.what());
          std::_Exit(1);
        }
        std::fflush(stdout);
        std::_Exit(0);
      }
      int status = 0;
      if (::waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("generating the file failed");
      if (!reusable(plan, path)) die(path.string() + ": the generated file does not have the expected header and size");
    }
    if (o.generate_only) return 0;
    return measure(o, kind, plan, path);
  } catch (const std::exception& e) {
    die(e.what());
  }
}
