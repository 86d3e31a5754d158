// GGUF models: the shipped kjv-char model (safetensors, float32) and small random models written as GGUF the way
// llama.cpp's converter and quantizer write them (tests/support/gguf_model_writer.h: interleaved Q/K rows, dims
// innermost first, norms in F32, every matrix in the type under test), loaded back through resolve_model and
// load_model, and compared with the float32 model they came from; then what kvscope refuses, and how --model
// tells the formats apart.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/generator.h"
#include "core/gguf.h"
#include "core/gguf_model.h"
#include "core/llama2c.h"
#include "core/model.h"
#include "core/model_source.h"
#include "core/quant.h"
#include "core/rng.h"
#include "core/weights.h"
#include "tests/core/test_helpers.h"
#include "tests/support/files.h"
#include "tests/support/gguf_model_writer.h"
#include "tests/support/llama2c_writer.h"
#include "tests/support/temp_dir.h"

using namespace kvscope::core;
using Catch::Matchers::Contains;
using kvscope::test::GgufModelOptions;
using kvscope::test::GgufModelParts;
using kvscope::test::TempDir;

namespace {

constexpr uint32_t type_code(GgmlType t) { return static_cast<uint32_t>(t); }

GgufModelOptions typed(kvscope::test::GgufTypeChoice types, std::optional<uint32_t> file_type = std::nullopt) {
  GgufModelOptions o;
  o.types = std::move(types);
  o.file_type = file_type;
  return o;
}

GgufModelOptions not_permuted() {
  GgufModelOptions o;
  o.permute_qk = false;
  return o;
}

// kjv-char's vocabulary: <unk> <s> </s> <pad>, newline 4, then printable ASCII from id 5.
std::vector<int32_t> kjv_ids(const std::string& text) {
  std::vector<int32_t> ids{1};
  for (char c : text) ids.push_back(c == '\n' ? 4 : 5 + (c - 0x20));
  return ids;
}
const std::vector<int32_t> kPrompt = kjv_ids("And God said, Let");

struct Model {
  LlamaConfig config;
  LlamaWeights weights;
};

// The shipped model, read once from its safetensors.
const Model& kjv_char() {
  static const Model m = [] {
    const ModelSource source = resolve_model("kjv-char");
    REQUIRE(source.format == ModelFormat::safetensors);
    LlamaModel model = load_model(source, 0, false);
    return Model{model.config(), model.weights().dequantized()};
  }();
  return m;
}

// Every position's logits of one full pass over `ids`, [T, V] row-major.
std::vector<float> logits(LlamaModel& model, const std::vector<int32_t>& ids) {
  const int T = static_cast<int>(ids.size());
  model.reserve(1, T, T);
  PassInput in;
  in.phase = kvscope::trace::Phase::Full;
  in.batch = 1;
  in.tokens = T;
  in.ids = ids;
  model.forward(in, nullptr, nullptr);
  const std::span<const float> out = model.logits(0);
  return std::vector<float>(out.begin(), out.end());
}

std::vector<float> logits(const LlamaConfig& c, LlamaWeights w, const std::vector<int32_t>& ids) {
  LlamaModel model(c, std::move(w));
  return logits(model, ids);
}

// Two models of the same float32 weights agree to float32 summation noise only: Eigen's kernels sum in an order that
// depends on how the pass buffers happen to be aligned, and kjv-char's logits reach |22|, where that noise is
// ~1.5e-5 (8 ulps). The 1e-5 of "the same logits" is therefore relative to the largest logit (absolute below 1).
double same_logits(const std::vector<float>& reference) {
  double largest = 1;
  for (float v : reference) largest = std::max(largest, static_cast<double>(std::abs(v)));
  return 1e-5 * largest;
}

// Every tensor of `a` has exactly the bits of `b`'s.
bool same_bits(const LlamaWeights& a, const LlamaWeights& b) {
  // named_tensors hands out pointers into its argument; nothing here writes through them.
  const std::vector<NamedTensor> ta = named_tensors(const_cast<LlamaWeights&>(a)),
                                 tb = named_tensors(const_cast<LlamaWeights&>(b));
  if (ta.size() != tb.size()) return false;
  for (size_t i = 0; i < ta.size(); ++i) {
    if (ta[i].name != tb[i].name || ta[i].shape != tb[i].shape) return false;
    int64_t n = 1;
    for (int64_t d : ta[i].shape) n *= d;
    if (std::memcmp(ta[i].data, tb[i].data, static_cast<size_t>(n) * sizeof(float)) != 0) return false;
  }
  return true;
}

// What a loaded GGUF model computes with, against the quantizer's own values: F32, F16, BF16 and Q8_0 matrices are
// kept as stored, so they are `rounded` bit for bit; the other block types are requantized to Q8_0 at load, each
// value within half a Q8_0 step d = max|x| / 127 of the file's, plus what storing d as float16 moves the largest
// quant (127 d 2^-11).
void check_loaded_weights(const LlamaModel& loaded, const LlamaWeights& rounded) {
  const std::vector<ModelParameter> got = model_parameters(loaded.weights());
  const std::vector<NamedTensor> want = named_tensors(const_cast<LlamaWeights&>(rounded));
  REQUIRE(got.size() == want.size());
  for (size_t k = 0; k < got.size(); ++k) {
    INFO(want[k].name);
    REQUIRE(got[k].name == want[k].name);
    const int64_t n = want[k].shape.size() == 1 ? want[k].shape[0] : want[k].shape[0] * want[k].shape[1];
    if (!got[k].matrix) {
      CHECK(std::memcmp(got[k].vector->data(), want[k].data, sizeof(float) * static_cast<size_t>(n)) == 0);
      continue;
    }
    const Matrix used = got[k].matrix->to_f32();
    if (std::memcmp(used.data(), want[k].data, sizeof(float) * static_cast<size_t>(n)) == 0) continue;
    CHECK(got[k].matrix->type() == GgmlType::Q8_0);  // only a requantized matrix may differ
    double worst = 0;
    for (int64_t b = 0; b < n / 32; ++b) {
      float amax = 0;
      for (int i = 0; i < 32; ++i) amax = std::max(amax, std::abs(want[k].data[b * 32 + i]));
      for (int i = 0; i < 32; ++i)
        worst = std::max(worst, std::abs(used.data()[b * 32 + i] - want[k].data[b * 32 + i]) /
                                    (amax / 127.0 * (0.5 + 127.0 / 2048)));
    }
    CHECK(worst <= 1.0);
  }
}

// resolve_model + load_model on a file, as --model does; the file must be recognised as GGUF.
LlamaModel load_gguf(const std::string& path) {
  const ModelSource source = resolve_model(path);
  REQUIRE(source.format == ModelFormat::gguf);
  REQUIRE(source.path == path);
  return load_model(source, 0, false);
}

// Greedy continuation of `prompt` by `n` tokens (the cached path, as `kvscope generate` runs).
std::vector<int32_t> greedy(LlamaModel& model, const std::vector<int32_t>& prompt, int n) {
  GenerationOptions options;
  options.new_tokens = n;
  Generator g(model, {prompt}, options, nullptr);
  while (!g.done()) g.step();
  return g.sequences()[0];
}

// The smallest gap between the largest and second largest logit over rows [from, T) of [T, V] logits.
double min_top2_margin(const std::vector<float>& rows, int vocab, int from) {
  double margin = 1e30;
  for (size_t r = static_cast<size_t>(from); r < rows.size() / static_cast<size_t>(vocab); ++r) {
    std::vector<float> row(rows.begin() + static_cast<std::ptrdiff_t>(r * vocab),
                           rows.begin() + static_cast<std::ptrdiff_t>((r + 1) * vocab));
    std::partial_sort(row.begin(), row.begin() + 2, row.end(), std::greater<>());
    margin = std::min(margin, static_cast<double>(row[0] - row[1]));
  }
  return margin;
}

// The tolerance of a quantized model's logits, derived from its quantization error.
//
// To first order the logit error is J e, where e stacks the weight errors E_k = dequant(quant(W_k)) - W_k of every
// tensor k and J is the logits' Jacobian at the float32 weights. Nothing about J is known in closed form (it goes
// through attention, SiLU and RMSNorm), so it is measured: replace each E_k by uniform noise of exactly the same
// Frobenius norm (the same size per tensor, in a random direction) and run the model. Rounding errors are
// uncorrelated with the logits' gradients, so J e is one more draw from the distribution these perturbations sample,
// and its size is that of theirs up to the spread between draws (measured: 0.55 to 1.6 times the largest of the
// three, over every type on both models; the second-order terms stay small for weight errors of at most ~8%
// relative). The tolerance is three times the largest of three such perturbations: it scales with the type's
// measured weight error (Q8_0's comes out more than 10x tighter than Q4_0's) and stays far below what a misread
// block gives (a wrong scale or a swapped nibble moves the weights by whole steps, the logits by O(1); the test
// also requires the file's weights to be bit for bit the quantizer's, so this bound is the second line).
struct Tolerance {
  double value = 0;
  double relative_weight_error = 0;  // ||E|| / ||W|| over every matrix
  std::vector<double> perturbation_effects;
};

Tolerance derived_tolerance(const Model& m, const LlamaWeights& dequantized, const std::vector<float>& reference,
                            const std::vector<int32_t>& ids) {
  Tolerance t;
  // named_tensors hands out pointers into its argument; nothing here writes through w or q.
  const std::vector<NamedTensor> w = named_tensors(const_cast<LlamaWeights&>(m.weights)),
                                 q = named_tensors(const_cast<LlamaWeights&>(dequantized));
  double error2 = 0, norm2 = 0;
  for (size_t k = 0; k < w.size(); ++k) {
    int64_t n = 1;
    for (int64_t d : w[k].shape) n *= d;
    for (int64_t i = 0; i < n; ++i) {
      const double e = static_cast<double>(q[k].data[i]) - w[k].data[i], v = w[k].data[i];
      error2 += e * e;
      norm2 += v * v;
    }
  }
  t.relative_weight_error = std::sqrt(error2 / norm2);
  for (uint64_t seed : {1, 2, 3}) {
    Rng rng(0x9e3779b9u + seed);
    LlamaWeights perturbed = m.weights;
    const std::vector<NamedTensor> p = named_tensors(perturbed);
    for (size_t k = 0; k < p.size(); ++k) {
      int64_t n = 1;
      for (int64_t d : p[k].shape) n *= d;
      std::vector<double> noise(static_cast<size_t>(n));
      double e2 = 0, z2 = 0;
      for (int64_t i = 0; i < n; ++i) {
        const double e = static_cast<double>(q[k].data[i]) - w[k].data[i];
        e2 += e * e;
        noise[static_cast<size_t>(i)] = 2 * rng.uniform() - 1;
        z2 += noise[static_cast<size_t>(i)] * noise[static_cast<size_t>(i)];
      }
      if (e2 == 0) continue;  // a norm kept in F32
      const double scale = std::sqrt(e2 / z2);
      for (int64_t i = 0; i < n; ++i)
        p[k].data[i] = static_cast<float>(p[k].data[i] + scale * noise[static_cast<size_t>(i)]);
    }
    t.perturbation_effects.push_back(max_abs_diff(logits(m.config, std::move(perturbed), ids), reference));
  }
  t.value = 3 * *std::max_element(t.perturbation_effects.begin(), t.perturbation_effects.end());
  return t;
}

struct TypeCase {
  const char* name;
  uint32_t type;
};
const TypeCase kTypes[] = {
    {"F32", type_code(GgmlType::F32)},   {"F16", type_code(GgmlType::F16)},   {"BF16", type_code(GgmlType::BF16)},
    {"Q8_0", type_code(GgmlType::Q8_0)}, {"Q4_0", type_code(GgmlType::Q4_0)}, {"Q4_1", type_code(GgmlType::Q4_1)},
    {"Q5_0", type_code(GgmlType::Q5_0)}, {"Q5_1", type_code(GgmlType::Q5_1)}, {"Q4_K", type_code(GgmlType::Q4_K)},
    {"Q5_K", type_code(GgmlType::Q5_K)}, {"Q6_K", type_code(GgmlType::Q6_K)},
};

// A random model small enough to write quickly but with rows of 256 (whole K-quant blocks), GQA (so Q and K
// un-permute per 4 and per 2 heads) and sharp attention (so the rotary pairing moves the logits far).
LlamaConfig small_gguf_config(bool tied) {
  LlamaConfig c;
  c.name = "gguf-small";
  c.vocab_size = 64;
  c.hidden_size = 256;
  c.intermediate_size = 256;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.rms_norm_eps = 1e-5;
  c.rope_theta = 10000.0;
  c.max_position_embeddings = 128;
  c.tie_word_embeddings = tied;
  c.validate("small_gguf_config");
  return c;
}

Model small_gguf_model(bool tied, uint64_t seed) {
  Model m{small_gguf_config(tied), {}};
  m.weights = random_weights(m.config, seed);
  Rng rng(seed ^ 0x5eed);
  auto randomise = [&](Vector& v) {
    for (Eigen::Index i = 0; i < v.size(); ++i) v(i) = static_cast<float>(0.5 + rng.uniform());
  };
  for (LayerWeights& l : m.weights.layers) {
    l.q_proj *= 20.0f;
    l.k_proj *= 20.0f;
    randomise(l.input_layernorm);
    randomise(l.post_attention_layernorm);
  }
  randomise(m.weights.norm);
  return m;
}
const std::vector<int32_t> kSmallIds{3, 14, 15, 9, 26, 5, 35, 63, 0, 32, 38, 46};

}  // namespace

TEST_CASE("a GGUF in every type computes what the float32 model it was written from computes", "[gguf]") {
  TempDir dir("gguf-model");
  for (const bool trained : {false, true}) {
    const Model m = trained ? kjv_char() : small_gguf_model(false, 21);
    const std::vector<int32_t>& ids = trained ? kPrompt : kSmallIds;
    const std::vector<float> reference = logits(m.config, m.weights, ids);
    const double exact = same_logits(reference);

    for (const TypeCase& k : kTypes) {
      INFO((trained ? "kjv-char" : "random model") << ", type " << k.name);
      const std::string path = dir.file(std::string(trained ? "kjv-char-" : "random-") + k.name + ".gguf");
      kvscope::test::write_gguf_model(path, m.config, m.weights, typed(kvscope::test::all_matrices(k.type)));
      LlamaModel loaded = load_gguf(path);
      CHECK(config_to_json(loaded.config()) == config_to_json(m.config));
      const std::vector<float> got = logits(loaded, ids);
      const double vs_float32 = max_abs_diff(got, reference);

      // The file holds the weights rounded or quantized to the type (F32: the weights themselves), and the
      // float32 reader gives them back bit for bit, in HF's row order; the model computes with them as stored,
      // or requantized to Q8_0.
      const LlamaWeights rounded = kvscope::test::dequantized_weights(m.config, m.weights,
                                                                      kvscope::test::all_matrices(k.type));
      CHECK(same_bits(load_gguf_weights(GgufFile::open(path), m.config), rounded));
      check_loaded_weights(loaded, rounded);
      const LlamaWeights used = loaded.weights().dequantized();
      // A float type computes in float32, so the logits are those of the model of the rounded weights; Q8_0
      // quantizes the activations too (as ggml does), which the derived tolerance below bounds.
      const bool float_type = k.type == type_code(GgmlType::F32) || k.type == type_code(GgmlType::F16) ||
                              k.type == type_code(GgmlType::BF16);
      if (float_type) CHECK(max_abs_diff(got, logits(m.config, rounded, ids)) <= exact);
      if (k.type == type_code(GgmlType::F32)) {
        CHECK(vs_float32 <= exact);
        WARN((trained ? "kjv-char" : "random model")
             << " F32: max |logit - float32| = " << vs_float32 << ", tolerance " << exact);
        continue;
      }
      // And near the float32 model by what the rounding error of the weights it computes with allows.
      const Tolerance tol = derived_tolerance(m, used, reference, ids);
      INFO("relative weight error " << tol.relative_weight_error << "; noise of that size moves the logits by "
                                    << tol.perturbation_effects[0] << ", " << tol.perturbation_effects[1] << ", "
                                    << tol.perturbation_effects[2]);
      CHECK(vs_float32 <= tol.value);
      // The file really is stored in that type: its rounding shows.
      CHECK(vs_float32 >= tol.value / 100);
      WARN((trained ? "kjv-char " : "random model ")
           << k.name << ": max |logit - float32| = " << vs_float32 << ", tolerance " << tol.value
           << " (relative weight error " << tol.relative_weight_error << ")");
    }
  }
}

TEST_CASE("a Q4_K_M-like GGUF (Q4_K with Q6_K where llama-quantize puts it) stays within its derived tolerance",
          "[gguf]") {
  const Model& kjv = kjv_char();
  const std::vector<float> reference = logits(kjv.config, kjv.weights, kPrompt);
  TempDir dir("gguf-model");
  const std::string path = dir.file("kjv-char-Q4_K_M.gguf");
  const auto mix = kvscope::test::q4_k_m_like(kjv.config);
  kvscope::test::write_gguf_model(path, kjv.config, kjv.weights, typed(mix, 15));
  CHECK(GgufFile::open(path).get_u32("general.file_type") == 15);

  // Both types are in the file, and stored_weights reports each tensor's.
  const ModelSource source = resolve_model(path);
  std::map<std::string, int> counts;
  for (const StoredWeight& w : stored_weights(source)) {
    INFO(w.name);
    const bool norm = w.name.find("norm") != std::string::npos;
    CHECK(w.stored_as == (norm ? "F32" : std::string(ggml_type_name(mix(w.name)))));
    ++counts[w.stored_as];
  }
  // lm_head, and layer 1's attn_v and ffn_down: of 2 layers use_more_bits(i, 2) picks i >= 7 * 2 / 8, layer 1 only.
  CHECK(counts["Q6_K"] == 3);
  CHECK(ggml_type_name(mix("model.layers.1.self_attn.v_proj.weight")) == "Q6_K");
  CHECK(ggml_type_name(mix("model.layers.1.mlp.down_proj.weight")) == "Q6_K");
  CHECK(ggml_type_name(mix("model.layers.0.self_attn.v_proj.weight")) == "Q4_K");
  CHECK(ggml_type_name(mix("model.layers.1.mlp.up_proj.weight")) == "Q4_K");
  CHECK(counts["Q4_K"] == 1 + 2 * 7 - 2);
  CHECK(counts["F32"] == 2 * 2 + 1);

  LlamaModel loaded = load_model(source, 0, false);
  const std::vector<float> got = logits(loaded, kPrompt);
  const LlamaWeights rounded = kvscope::test::dequantized_weights(kjv.config, kjv.weights, mix);
  CHECK(same_bits(load_gguf_weights(GgufFile::open(path), kjv.config), rounded));
  // Q4_K and Q6_K are requantized to Q8_0 at load and computed as Q8_0.
  check_loaded_weights(loaded, rounded);
  const Tolerance tol = derived_tolerance(kjv, loaded.weights().dequantized(), reference, kPrompt);
  const double vs_float32 = max_abs_diff(got, reference);
  CHECK(vs_float32 <= tol.value);
  CHECK(vs_float32 >= tol.value / 100);
  WARN("kjv-char Q4_K_M-like: max |logit - float32| = "
       << vs_float32 << ", tolerance " << tol.value << " (relative weight error " << tol.relative_weight_error << ")");
}

TEST_CASE("on a model with wide top-2 margins every GGUF type generates the float32 model's 16 greedy tokens",
          "[gguf]") {
  // The random GQA model made decisive: large embeddings dominate the residual stream, and the head scores token
  // (5t + 3) mod 64 with the current token t's own embedding, so each step's winner leads by a wide margin.
  Model m = small_gguf_model(false, 17);
  m.weights.embed_tokens *= 25.0f;
  for (int t = 0; t < m.config.vocab_size; ++t)
    m.weights.lm_head.row((5 * t + 3) % m.config.vocab_size) = 0.2f * m.weights.embed_tokens.row(t);
  const std::vector<int32_t> prompt{7, 30, 2, 51, 11};
  LlamaModel float32(m.config, m.weights);
  const std::vector<int32_t> sequence = greedy(float32, prompt, 16);
  REQUIRE(sequence.size() == prompt.size() + 16);
  // The float32 model's margins at every position that chose a token (the last prompt position onwards).
  const std::vector<float> rows = logits(float32, sequence);
  const double margin = min_top2_margin(rows, m.config.vocab_size, static_cast<int>(prompt.size()) - 1);
  TempDir dir("gguf-model");
  for (const TypeCase& k : kTypes) {
    INFO("type " << k.name);
    const std::string path = dir.file(std::string("decisive-") + k.name + ".gguf");
    kvscope::test::write_gguf_model(path, m.config, m.weights, typed(kvscope::test::all_matrices(k.type)));
    LlamaModel loaded = load_gguf(path);
    // Wide margins: no logit of the file's model moves by half the smallest margin (measured on the float32 model's
    // sequence), so no step can pick another token. That the moves are within each type's derived tolerance is the
    // test above's.
    const double moved = max_abs_diff(logits(loaded, sequence), rows);
    INFO("smallest top-2 margin " << margin << ", logits moved by up to " << moved);
    REQUIRE(margin > 2 * moved);
    CHECK(greedy(loaded, prompt, 16) == sequence);
  }
}

TEST_CASE("GGUF Q and K rows are un-permuted from the converter's interleaved layout", "[gguf]") {
  TempDir dir("gguf-model");
  for (bool kjv_model : {true, false}) {
    const Model m = kjv_model ? kjv_char() : small_gguf_model(false, 7);
    const std::vector<int32_t> ids = kjv_model ? kPrompt : kSmallIds;
    INFO((kjv_model ? "kjv-char" : "random GQA model"));
    const std::vector<float> reference = logits(m.config, m.weights, ids);
    const std::string permuted = dir.file("permuted.gguf"), plain = dir.file("not-permuted.gguf");
    kvscope::test::write_gguf_model(permuted, m.config, m.weights);
    kvscope::test::write_gguf_model(plain, m.config, m.weights, not_permuted());

    // The file holds the interleaved rows: within each head, HF's rows 0, half, 1, half + 1, ...
    const GgufFile file = GgufFile::open(permuted);
    const GgufTensorInfo* k0 = file.find("blk.0.attn_k.weight");
    REQUIRE(k0);
    const int head = m.config.head_size(), cols = m.config.hidden_size;
    std::vector<float> stored(static_cast<size_t>(k0->elements));
    dequantize(k0->type, file.data(*k0).data(), k0->elements, stored.data());
    const Matrix& hf_k = m.weights.layers[0].k_proj;
    for (int h = 0; h < m.config.num_key_value_heads; ++h)
      for (int r = 0; r < head; ++r) {
        const int hf_row = h * head + (r % 2) * (head / 2) + r / 2;
        CHECK(stored[static_cast<size_t>((h * head + r) * cols + 5)] == hf_k(hf_row, 5));
      }

    LlamaModel loaded = load_gguf(permuted);
    CHECK((loaded.weights().layers[1].q_proj.to_f32() == m.weights.layers[1].q_proj));
    CHECK((loaded.weights().layers[1].k_proj.to_f32() == m.weights.layers[1].k_proj));
    CHECK(max_abs_diff(logits(loaded, ids), reference) <= same_logits(reference));
    // Written without the permutation, the rows come back in the wrong pairing and the logits move far.
    LlamaModel wrong = load_gguf(plain);
    CHECK(max_abs_diff(logits(wrong, ids), reference) > 0.1);
  }
}

TEST_CASE("a tied GGUF has no output tensor and reuses token_embd, an untied one has its own", "[gguf]") {
  TempDir dir("gguf-model");
  for (bool tied : {true, false}) {
    INFO((tied ? "tied" : "untied"));
    const Model m = small_gguf_model(tied, 3);
    REQUIRE(m.weights.tied == tied);
    const std::string path = dir.file("small.gguf");
    kvscope::test::write_gguf_model(path, m.config, m.weights);
    CHECK((GgufFile::open(path).find("output.weight") == nullptr) == tied);

    const ModelSource source = resolve_model(path);
    CHECK(source.config.tie_word_embeddings == tied);
    CHECK(source.config.name == "small");
    CHECK(config_to_json(source.config) == config_to_json(m.config));
    const std::vector<StoredWeight> stored = stored_weights(source);
    CHECK(stored.size() == parameter_shapes(m.config).size());
    CHECK(std::any_of(stored.begin(), stored.end(), [](const StoredWeight& w) { return w.name == "lm_head.weight"; }) ==
          !tied);

    LlamaModel loaded = load_model(source, 0, false);
    CHECK(loaded.weights().tied == tied);
    CHECK(max_abs_diff(logits(loaded, kSmallIds), logits(m.config, m.weights, kSmallIds)) <= 1e-5);

    // A tied head is what the Q4_K_M-like mix stores in Q6_K: the embeddings.
    const auto mix = kvscope::test::q4_k_m_like(m.config);
    CHECK(std::string(ggml_type_name(mix("model.embed_tokens.weight"))) == (tied ? "Q6_K" : "Q4_K"));
  }
  // Untied, the head is its own tensor: a different output matrix changes the logits, the embeddings unchanged.
  const Model original = small_gguf_model(false, 3);
  Model m = original;
  m.weights.lm_head = m.weights.lm_head.reverse().eval();
  const std::string path = dir.file("swapped.gguf");
  kvscope::test::write_gguf_model(path, m.config, m.weights);
  LlamaModel loaded = load_gguf(path);
  CHECK((loaded.weights().lm_head.to_f32() == m.weights.lm_head));
  CHECK((loaded.weights().embed_tokens.to_f32() == original.weights.embed_tokens));
  CHECK(max_abs_diff(logits(loaded, kSmallIds), logits(original.config, original.weights, kSmallIds)) > 1e-2);
}

TEST_CASE("stored_weights reports each GGUF tensor's type by its HF name", "[gguf]") {
  TempDir dir("gguf-model");
  const Model m = small_gguf_model(false, 5);
  // A different type for each kind of matrix, so a mixed-up name shows.
  const std::map<std::string, uint32_t> by_part{
      {"embed_tokens", type_code(GgmlType::Q8_0)}, {"q_proj", type_code(GgmlType::Q4_K)},
      {"k_proj", type_code(GgmlType::Q5_K)},       {"v_proj", type_code(GgmlType::Q6_K)},
      {"o_proj", type_code(GgmlType::F16)},        {"gate_proj", type_code(GgmlType::BF16)},
      {"up_proj", type_code(GgmlType::Q4_0)},      {"down_proj", type_code(GgmlType::Q5_1)},
      {"lm_head", type_code(GgmlType::Q4_1)}};
  auto part_of = [](const std::string& name) {
    for (const char* p :
         {"embed_tokens", "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "lm_head"})
      if (name.find(p) != std::string::npos) return std::string(p);
    return std::string();
  };
  const auto types = [&](const std::string& name) { return by_part.at(part_of(name)); };
  const std::string path = dir.file("mixed.gguf");
  kvscope::test::write_gguf_model(path, m.config, m.weights, typed(types));
  const ModelSource source = resolve_model(path);
  const std::vector<StoredWeight> stored = stored_weights(source);
  const std::vector<ParameterShape> shapes = parameter_shapes(m.config);
  REQUIRE(stored.size() == shapes.size());
  for (size_t i = 0; i < stored.size(); ++i) {
    INFO(shapes[i].name);
    CHECK(stored[i].name == shapes[i].name);
    const std::string want = shapes[i].shape.size() == 1
                                 ? "F32"
                                 : std::string(ggml_type_name(by_part.at(part_of(shapes[i].name))));
    CHECK(stored[i].stored_as == want);
  }
  // And the weights are each read from their own type: the float32 reader gives each quantizer's values, the model
  // keeps F16, BF16, Q8_0, Q4_K and Q6_K as stored and requantizes the others to Q8_0.
  const LlamaWeights rounded = kvscope::test::dequantized_weights(m.config, m.weights, types);
  CHECK(same_bits(load_gguf_weights(GgufFile::open(path), m.config), rounded));
  LlamaModel loaded = load_model(source, 0, false);
  check_loaded_weights(loaded, rounded);
  const ModelWeights& w = loaded.weights();
  CHECK(w.embed_tokens.type() == GgmlType::Q8_0);
  CHECK(w.layers[0].o_proj.type() == GgmlType::F16);
  CHECK(w.layers[0].gate_proj.type() == GgmlType::BF16);
  CHECK(w.layers[1].q_proj.type() == GgmlType::Q4_K);
  CHECK(w.layers[1].k_proj.type() == GgmlType::Q8_0);  // from Q5_K
  CHECK(w.layers[1].v_proj.type() == GgmlType::Q6_K);
  CHECK(w.lm_head.type() == GgmlType::Q8_0);  // from Q4_1
}

TEST_CASE("GGUF models kvscope cannot compute are refused in one line naming the file and key or tensor", "[gguf]") {
  TempDir dir("gguf-model");
  const std::string path = dir.file("bad.gguf");
  const Model m = small_gguf_model(false, 9);
  const GgufModelParts good = kvscope::test::gguf_model_parts(m.config, m.weights);
  // The message of opening and loading the file as --model does; fails the test when it loads.
  auto error = [&](const GgufModelParts& parts) {
    parts.write(path);
    std::string message;
    try {
      const ModelSource source = resolve_model(path);
      load_model(source, 0, false);
    } catch (const GgufError& e) {
      message = e.what();
    } catch (const ConfigError& e) {
      message = e.what();
    }
    CHECK_FALSE(message.empty());
    CHECK(message.find('\n') == std::string::npos);
    CHECK_THAT(message, Contains(path));
    return message;
  };
  auto with = [&](const std::string& key, GgufValue value) {
    GgufModelParts p = good;
    p.set(key, std::move(value));
    return p;
  };
  auto without = [&](const std::string& key) {
    GgufModelParts p = good;
    p.erase(key);
    return p;
  };
  const uint32_t q3_k = type_code(GgmlType::Q3_K), iq2_xs = type_code(GgmlType::IQ2_XS);

  // The unbroken file loads, so each failure below is the one change's.
  good.write(path);
  CHECK_NOTHROW(load_model(resolve_model(path), 0, false));

  SECTION("another architecture, named") {
    CHECK_THAT(error(with("general.architecture", GgufValue(std::string("gpt2")))),
               Contains("general.architecture") && Contains("'gpt2'"));
  }
  SECTION("no architecture") { CHECK_THAT(error(without("general.architecture")), Contains("general.architecture")); }
  SECTION("a config key missing") {
    CHECK_THAT(error(without("llama.block_count")), Contains("llama.block_count") && Contains("missing"));
    CHECK_THAT(error(without("llama.embedding_length")), Contains("llama.embedding_length"));
    CHECK_THAT(error(without("llama.attention.layer_norm_rms_epsilon")),
               Contains("llama.attention.layer_norm_rms_epsilon"));
  }
  SECTION("a config key of the wrong type") {
    CHECK_THAT(error(with("llama.feed_forward_length", GgufValue(std::string("256")))),
               Contains("llama.feed_forward_length") && Contains("string"));
  }
  SECTION("a tensor missing") {
    GgufModelParts p = good;
    p.erase_tensor("blk.1.ffn_up.weight");
    CHECK_THAT(error(p), Contains("'blk.1.ffn_up.weight'") && Contains("missing"));
  }
  SECTION("a tensor with the wrong dims") {
    GgufModelParts p = good;
    std::swap(p.tensor("blk.0.attn_k.weight").dims[0], p.tensor("blk.0.attn_k.weight").dims[1]);
    CHECK_THAT(error(p), Contains("'blk.0.attn_k.weight'") && Contains("{128, 256}") && Contains("{256, 128}"));
  }
  SECTION("a vocabulary size that the embeddings do not have") {
    CHECK_THAT(error(with("llama.vocab_size", GgufValue(uint32_t{65}))), Contains("'token_embd.weight'"));
  }
  SECTION("a tensor type kvscope cannot dequantize") {
    for (uint32_t type : {q3_k, iq2_xs}) {
      GgufModelParts p = good;
      auto& t = p.tensor("blk.0.ffn_gate.weight");
      t.type = type;
      const size_t blocks = 256 * 256 / 256;  // [intermediate 256, hidden 256] in blocks of 256
      t.data = std::string(blocks * (type == q3_k ? 110 : 74), '\0');  // block_q3_K, block_iq2_xs
      CHECK_THAT(error(p), Contains("'blk.0.ffn_gate.weight'") && Contains(std::string(ggml_type_name(type))));
    }
  }
  SECTION("a rotary dimension other than the head size") {
    CHECK_THAT(error(with("llama.rope.dimension_count", GgufValue(uint32_t{32}))),
               Contains("llama.rope.dimension_count") && Contains("32") && Contains("64"));
  }
  SECTION("scaled rotary embeddings") {
    GgufModelParts p = with("llama.rope.scaling.type", GgufValue(std::string("linear")));
    p.set("llama.rope.scaling.factor", GgufValue(4.0f));
    CHECK_THAT(error(p), Contains("llama.rope.scaling.type") && Contains("'linear'"));
  }
  SECTION("heads that do not divide") {
    CHECK_THAT(error(with("llama.attention.head_count", GgufValue(uint32_t{3}))), Contains("num_attention_heads"));
    CHECK_THAT(error(with("llama.attention.head_count_kv", GgufValue(uint32_t{3}))), Contains("num_key_value_heads"));
  }
}

TEST_CASE("resolve_model recognises GGUF and llama2.c files by content, whatever their name", "[gguf]") {
  TempDir dir("gguf-model");
  const Model m = small_gguf_model(true, 13);
  const std::vector<float> reference = logits(m.config, m.weights, kSmallIds);

  // A GGUF file named like a llama2.c checkpoint.
  const std::string gguf_as_bin = dir.file("model.bin");
  kvscope::test::write_gguf_model(gguf_as_bin, m.config, m.weights);
  const ModelSource g = resolve_model(gguf_as_bin);
  CHECK(g.format == ModelFormat::gguf);
  LlamaModel from_gguf = load_model(g, 0, false);
  CHECK(max_abs_diff(logits(from_gguf, kSmallIds), reference) <= 1e-5);

  // A llama2.c checkpoint named like a GGUF file (llama2.c assumes eps 1e-5 and theta 10000, as the config has).
  const std::string bin_as_gguf = dir.file("x.gguf");
  {
    const std::string bytes = kvscope::test::llama2c_version1_file(m.config,
                                                                   kvscope::test::llama2c_layout(m.config, m.weights));
    std::ofstream(bin_as_gguf, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  const ModelSource l = resolve_model(bin_as_gguf);
  CHECK(l.format == ModelFormat::llama2c);
  LlamaModel from_llama2c = load_model(l, 0, false);
  CHECK(max_abs_diff(logits(from_llama2c, kSmallIds), reference) <= 1e-5);

  // Anything else: one line saying what was expected.
  auto refusal = [&](const std::string& name, const std::string& bytes) {
    const std::string path = dir.file(name);
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    std::string message;
    try {
      resolve_model(path);
    } catch (const ConfigError& e) {
      message = e.what();
    }
    CHECK(message.find('\n') == std::string::npos);
    CHECK_THAT(message, Contains(path));
    return message;
  };
  std::string noise(1000, '\0');
  Rng rng(1);
  for (char& c : noise) c = static_cast<char>(static_cast<uint8_t>(rng.uniform() * 256));  // a byte, then its char
  for (const std::string name : {"random.gguf", "random.bin", "random"}) {
    INFO(name);
    CHECK_THAT(refusal(name, noise),
               Contains("neither a GGUF file") && Contains("\"GGUF\"") && Contains("llama2.c checkpoint"));
  }
  CHECK_THAT(refusal("empty.gguf", ""), Contains("neither a GGUF file"));
  // A file that starts as GGUF is GGUF: what is wrong with it is the container's message.
  try {
    const std::string path = dir.file("truncated.gguf");
    const std::string bytes = kvscope::test::read_file(gguf_as_bin).substr(0, 100);
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    resolve_model(path);
    FAIL("a truncated GGUF file resolved");
  } catch (const GgufError& e) {
    CHECK_THAT(std::string(e.what()), Contains("truncated.gguf"));
  }
}
