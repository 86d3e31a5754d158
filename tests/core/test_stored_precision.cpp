// Weights stay in the precision their file stores: float16 and bfloat16 matrices are kept 16-bit and widened
// inside the matrix kernels, float32 ones are used from the file's mapping. Widening is exact and the kernels
// sum in one fixed order, so a model gives the same tokens and the same logit bits as its float32 copy.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/config.h"
#include "core/generator.h"
#include "core/gguf.h"
#include "core/gguf_model.h"
#include "core/hf_weights.h"
#include "core/model.h"
#include "core/model_source.h"
#include "core/ops.h"
#include "core/quant.h"
#include "core/safetensors.h"
#include "core/vector_math.h"
#include "core/weight_matrix.h"
#include "tests/core/test_helpers.h"
#include "tests/support/gguf_model_writer.h"
#include "tests/support/temp_dir.h"

using namespace kvscope;

namespace {

Outcome generate_five(core::LlamaModel& model, core::CacheMode mode) {
  core::GenerationOptions options;
  options.mode = mode;
  options.new_tokens = 5;
  return generate_outcome(model, {{5, 17, 33, 2, 9}, {8, 1, 90, 3, 12}}, options);
}

// Every matrix of the model, with the type it is kept as.
std::vector<core::GgmlType> matrix_types(const core::ModelWeights& w) {
  std::vector<core::GgmlType> out;
  for (const core::ModelParameter& p : core::model_parameters(w))
    if (p.matrix) out.push_back(p.matrix->type());
  return out;
}

// `blocks` Q8_0 blocks: float16 scales 0.01-0.016, quants running over all of -128..127.
std::vector<uint8_t> q8_0_bytes(int64_t blocks) {
  std::vector<uint8_t> bytes(static_cast<size_t>(blocks * 34));
  for (size_t b = 0; b < static_cast<size_t>(blocks); ++b) {
    const uint16_t d = core::float_to_f16(0.01f + 0.001f * static_cast<float>(b % 7));
    std::memcpy(&bytes[b * 34], &d, 2);
    for (int i = 0; i < 32; ++i)
      bytes[b * 34 + 2 + i] = static_cast<uint8_t>(static_cast<int8_t>((b * 31 + i * 17) % 256 - 128));
  }
  return bytes;
}

}  // namespace

TEST_CASE("a float16 or bfloat16 matrix multiplies to the same bits as its float32 widening", "[stored]") {
  for (const int cols : {7, 64, 77, 300}) {
    const int out = 13, rows = 5;
    core::Matrix x(rows, cols);
    for (int i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>((i * 53) % 89 - 44) / 29.0f;
    std::vector<uint16_t> f16(static_cast<size_t>(out * cols)), bf16(f16.size());
    for (size_t i = 0; i < f16.size(); ++i) {
      const float v = static_cast<float>((static_cast<int>(i) * 37) % 101 - 50) / 37.0f;
      f16[i] = core::float_to_f16(v);
      bf16[i] = core::float_to_bf16(v);
    }
    for (const auto& [type, bits] : {std::pair{core::GgmlType::F16, &f16}, std::pair{core::GgmlType::BF16, &bf16}}) {
      INFO(cols << " columns, " << core::ggml_type_name(static_cast<uint32_t>(type)));
      const core::WeightMatrix kept(type, out, cols, reinterpret_cast<const uint8_t*>(bits->data()), nullptr);
      const core::WeightMatrix widened{kept.to_f32()};
      const uint16_t b1 = (*bits)[1];
      CHECK(widened.to_f32()(0, 1) == (type == core::GgmlType::F16 ? core::f16_to_f32(b1) : core::bf16_to_f32(b1)));
      for (const int threads : {1, 2, 3}) {
        core::ThreadPool pool(threads);
        for (const int r : {1, 2, rows}) {
          core::Matrix a(rows, out), b(rows, out);
          core::ops::linear(x, kept, a, r, pool);
          core::ops::linear(x, widened, b, r, pool);
          CHECK(std::memcmp(a.data(), b.data(), sizeof(float) * static_cast<size_t>(r * out)) == 0);
        }
      }
    }
  }
}

TEST_CASE("safetensors weights are kept as stored and give the float32 copy's tokens and logit bits", "[stored]") {
  const core::LlamaConfig c = odd_sizes_config();
  for (const core::DType dtype : {core::DType::F32, core::DType::F16, core::DType::BF16}) {
    INFO(core::dtype_name(dtype));
    test::TempDir dir("stored");
    core::LlamaWeights w = core::random_weights(c, 5);
    core::save_hf_weights(dir.path.string(), c, w, dtype);
    core::LlamaModel kept = core::load_model(core::resolve_model(dir.path.string()), 0, false);
    const core::GgmlType want = dtype == core::DType::F32   ? core::GgmlType::F32
                                : dtype == core::DType::F16 ? core::GgmlType::F16
                                                            : core::GgmlType::BF16;
    for (const core::GgmlType t : matrix_types(kept.weights())) CHECK(t == want);
    // Half the bytes of float32 for the 16-bit types (the norms are float32 either way).
    const core::LlamaModel f32(c, kept.weights().dequantized());
    const int64_t norms = (2 * c.num_hidden_layers + 1) * int64_t{c.hidden_size} * 4;
    CHECK(kept.weights().stored_bytes() - norms ==
          (f32.weights().stored_bytes() - norms) / (dtype == core::DType::F32 ? 1 : 2));

    core::LlamaModel reference(kept.config(), core::load_hf_weights(dir.path.string(), c));
    for (const core::CacheMode mode : {core::CacheMode::Cached, core::CacheMode::Uncached}) {
      const Outcome a = generate_five(kept, mode), b = generate_five(reference, mode);
      CHECK(a.sequences == b.sequences);
      CHECK(same_bits(a.logits, b.logits));
    }
  }
}

TEST_CASE("GGUF float16 and bfloat16 matrices are kept as stored, q and k read in HF's row order", "[stored]") {
  const core::LlamaConfig c = odd_sizes_config();
  const core::LlamaWeights w = core::random_weights(c, 9);
  for (const core::GgmlType type : {core::GgmlType::F32, core::GgmlType::F16, core::GgmlType::BF16}) {
    INFO(core::ggml_type_name(static_cast<uint32_t>(type)));
    test::TempDir dir("stored-gguf");
    const std::string path = dir.file("m.gguf");
    test::GgufModelOptions options;
    options.types = test::all_matrices(static_cast<uint32_t>(type));
    test::write_gguf_model(path, c, w, options);
    core::LlamaModel kept = core::load_model(core::resolve_model(path), 0, false);
    for (const core::GgmlType t : matrix_types(kept.weights())) CHECK(t == type);
    // The rows the file interleaves come back in HF's order, as the float32 reader puts them.
    const core::LlamaWeights f32 = core::load_gguf_weights(core::GgufFile::open(path), kept.config());
    CHECK((kept.weights().layers[1].q_proj.to_f32() == f32.layers[1].q_proj));
    CHECK((kept.weights().layers[1].k_proj.to_f32() == f32.layers[1].k_proj));
    core::LlamaModel reference(kept.config(), f32);
    const Outcome a = generate_five(kept, core::CacheMode::Cached),
                  b = generate_five(reference, core::CacheMode::Cached);
    CHECK(a.sequences == b.sequences);
    CHECK(same_bits(a.logits, b.logits));
  }
}

TEST_CASE("GGUF Q8_0, Q4_K and Q6_K matrices are kept as stored, the other block types requantized to Q8_0",
          "[stored]") {
  const core::LlamaConfig c = core::preset_config("seed-tiny");
  for (const core::GgmlType type :
       {core::GgmlType::Q8_0, core::GgmlType::Q4_K, core::GgmlType::Q6_K, core::GgmlType::Q4_0, core::GgmlType::Q5_K}) {
    INFO(core::ggml_type_name(static_cast<uint32_t>(type)));
    test::TempDir dir("stored-q");
    const std::string path = dir.file("m.gguf");
    test::GgufModelOptions options;
    options.types = test::all_matrices(static_cast<uint32_t>(type));
    test::write_gguf_model(path, c, core::random_weights(c, 2), options);
    core::LlamaModel loaded = core::load_model(core::resolve_model(path), 0, false);
    loaded.set_threads(1);
    const bool kept = core::WeightMatrix::kept_as_stored(static_cast<uint32_t>(type));
    const core::GgmlType want = kept ? type : core::GgmlType::Q8_0;
    CHECK(kept == (type != core::GgmlType::Q4_0 && type != core::GgmlType::Q5_K));
    for (const core::GgmlType t : matrix_types(loaded.weights())) CHECK(t == want);
    // The block type's bytes per weight (Q8_0: 34 per 32), and the norms in float32.
    const core::BlockLayout block = *core::block_layout(static_cast<uint32_t>(want));
    const int64_t norms = (2 * c.num_hidden_layers + 1) * int64_t{c.hidden_size} * 4;
    CHECK(loaded.weights().stored_bytes() - norms ==
          (c.parameter_count() * 4 - norms) / 4 / block.elements * block.bytes);
    // Whatever the thread count, the same tokens and logit bits (a fresh model each time: a step that computes no
    // logits leaves the last ones in place).
    const Outcome one = generate_five(loaded, core::CacheMode::Cached);
    for (const int threads : {2, 3}) {
      core::LlamaModel again = core::load_model(core::resolve_model(path), 0, false);
      again.set_threads(threads);
      const Outcome many = generate_five(again, core::CacheMode::Cached);
      CHECK(many.sequences == one.sequences);
      CHECK(same_bits(many.logits, one.logits));
    }
  }
}

namespace {

// n weights of `type` (Q4_K or Q6_K) from fixed bytes: every quant, scale and minimum bit pattern occurs, the
// float16 scales are finite.
std::vector<uint8_t> k_quant_bytes(core::GgmlType type, int64_t n) {
  const core::BlockLayout block = *core::block_layout(static_cast<uint32_t>(type));
  std::vector<uint8_t> bytes(static_cast<size_t>(n / block.elements * block.bytes));
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>((i * 151 + i / 7) % 256);
  for (size_t b = 0; b < bytes.size() / static_cast<size_t>(block.bytes); ++b) {
    uint8_t* p = bytes.data() + b * static_cast<size_t>(block.bytes);
    const uint16_t d = core::float_to_f16(0.002f + 0.0005f * static_cast<float>(b % 5));
    const uint16_t dmin = core::float_to_f16(0.001f + 0.0003f * static_cast<float>(b % 3));
    if (type == core::GgmlType::Q4_K) {
      std::memcpy(p, &d, 2);
      std::memcpy(p + 2, &dmin, 2);
    } else {
      std::memcpy(p + 208, &d, 2);
    }
  }
  return bytes;
}

// ggml's K-quant dot product in double: the activations quantized per 256 (d = max|x| / 127, q = round(x / d)),
// each weight taken from its block's integer fields (Q4_K: d * scale * q - dmin * min; Q6_K: d * scale * (q - 32)).
// Returns the product and the sum of the magnitudes of its terms.
std::pair<double, double> k_quant_reference(core::GgmlType type, const uint8_t* w, const float* x, int64_t n) {
  double sum = 0, size = 0;
  const core::BlockLayout block = *core::block_layout(static_cast<uint32_t>(type));
  for (int64_t b = 0; b < n / 256; ++b) {
    const float* v = x + b * 256;
    float amax = 0;
    for (int i = 0; i < 256; ++i) amax = std::max(amax, std::fabs(v[i]));
    const float dx = amax / 127.0f, id = dx != 0 ? 1.0f / dx : 0.0f;
    const uint8_t* p = w + b * block.bytes;
    for (int e = 0; e < 256; ++e) {
      const double q8 = std::round(v[e] * id) * double{dx};
      double weight = 0;
      if (type == core::GgmlType::Q4_K) {
        uint8_t sc[8], mins[8];
        core::unpack_q4_k_scales(p + 4, sc, mins);
        uint16_t d = 0, dmin = 0;
        std::memcpy(&d, p, 2);
        std::memcpy(&dmin, p + 2, 2);
        const int run = e / 64, i = e % 64, sub = e / 32;
        const int q = i < 32 ? p[16 + 32 * run + i] & 0xF : p[16 + 32 * run + i - 32] >> 4;
        weight = double{core::f16_to_f32(d)} * sc[sub] * q - double{core::f16_to_f32(dmin)} * mins[sub];
      } else {
        uint16_t d = 0;
        std::memcpy(&d, p + 208, 2);
        const int h = e / 128, g = (e % 128) / 32, l = e % 32;
        const int low = (p[64 * h + 32 * (g & 1) + l] >> (4 * (g >> 1))) & 0xF;
        const int high = (p[128 + 32 * h + l] >> (2 * g)) & 3;
        weight = double{core::f16_to_f32(d)} * static_cast<int8_t>(p[192 + e / 16]) * ((low | (high << 4)) - 32);
      }
      sum += weight * q8;
      size += std::abs(weight * q8);
    }
  }
  return {sum, size};
}

}  // namespace

TEST_CASE("Q4_K and Q6_K matrices multiply as ggml's K-quant dot products do, the same for any thread count",
          "[stored]") {
  const int cols = 512, out = 11, rows = 3;
  core::Matrix x(rows, cols);
  for (int i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>((i * 53) % 89 - 44) / 29.0f;
  for (const core::GgmlType type : {core::GgmlType::Q4_K, core::GgmlType::Q6_K}) {
    INFO(core::ggml_type_name(static_cast<uint32_t>(type)));
    const std::vector<uint8_t> bytes = k_quant_bytes(type, int64_t{out} * cols);
    const core::WeightMatrix w(type, out, cols, bytes.data(), nullptr);
    const int64_t row_bytes = core::tensor_bytes(static_cast<uint32_t>(type), cols);
    core::ThreadPool one(1);
    core::Matrix y(rows, out);
    core::ops::linear(x, w, y, rows, one);
    const core::Matrix widened = w.to_f32();
    for (int r = 0; r < rows; ++r)
      for (int j = 0; j < out; ++j) {
        INFO("row " << r << ", output " << j);
        const auto [want, size] = k_quant_reference(type, bytes.data() + j * row_bytes, x.data() + r * cols, cols);
        CHECK(std::abs(y(r, j) - want) <= 1e-6 * size);
        // Against the float32 product of the dequantized weights, the activations' 8 bits are all that differ.
        const double exact = double{x.row(r).dot(widened.row(j))};
        CHECK(std::abs(y(r, j) - exact) <= 0.02 * size);
      }
    for (const int threads : {2, 3}) {
      core::ThreadPool pool(threads);
      core::Matrix z(rows, out);
      core::ops::linear(x, w, z, rows, pool);
      CHECK(std::memcmp(z.data(), y.data(), sizeof(float) * static_cast<size_t>(z.size())) == 0);
      for (int r = 0; r < rows; ++r) {  // one row alone (a decode step) as in the batch (a prefill)
        core::Matrix single = x.row(r);
        core::Matrix yr(1, out);
        core::ops::linear(single, w, yr, 1, pool);
        CHECK(std::memcmp(yr.data(), y.row(r).data(), sizeof(float) * out) == 0);
      }
    }
  }
}

TEST_CASE("a Q8_0 matrix multiplies as ggml's Q8_0 dot product does, the same for any thread count", "[stored]") {
  // ggml's semantics, in double: the activations quantized per block of 32 (d = max|x| / 127, q = round(x / d)),
  // each block's integer products scaled by both scales.
  const int cols = 96, out = 11, rows = 3;
  core::Matrix x(rows, cols);
  for (int i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>((i * 53) % 89 - 44) / 29.0f;
  const std::vector<uint8_t> bytes = q8_0_bytes(out * cols / 32);
  const core::WeightMatrix w(core::GgmlType::Q8_0, out, cols, bytes.data(), nullptr);
  core::ThreadPool one(1);
  core::Matrix y(rows, out);
  core::ops::linear(x, w, y, rows, one);
  for (int r = 0; r < rows; ++r)
    for (int j = 0; j < out; ++j) {
      double want = 0, size = 0;
      for (int b = 0; b < cols / 32; ++b) {
        const float* v = x.data() + r * cols + b * 32;
        float amax = 0;
        for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(v[i]));
        const float dx = amax / 127.0f, id = dx != 0 ? 1.0f / dx : 0.0f;
        const uint8_t* block = bytes.data() + (j * cols / 32 + b) * 34;
        uint16_t dw = 0;
        std::memcpy(&dw, block, 2);
        int64_t products = 0;
        for (int i = 0; i < 32; ++i)
          products += int64_t{static_cast<int8_t>(block[2 + i])} * static_cast<int64_t>(std::round(v[i] * id));
        want += double{core::f16_to_f32(dw)} * dx * static_cast<double>(products);
        size += std::abs(double{core::f16_to_f32(dw)} * dx * static_cast<double>(products));
      }
      INFO("row " << r << ", output " << j);
      CHECK(std::abs(y(r, j) - want) <= 1e-6 * size);
    }
  for (const int threads : {2, 3}) {
    core::ThreadPool pool(threads);
    core::Matrix z(rows, out);
    core::ops::linear(x, w, z, rows, pool);
    CHECK(std::memcmp(z.data(), y.data(), sizeof(float) * static_cast<size_t>(z.size())) == 0);
  }
}

namespace {

// core/linear.cpp's one summation order, element by element: 32 running lanes over the 32-float blocks (lane l
// takes the elements l, l + 32, ...), the remaining 8-float blocks into lanes 0-7, lanes l, l + 8, l + 16 and
// l + 24 added as (l + (l + 8)) + ((l + 16) + (l + 24)), those eight pairwise, then the tail in order.
float dot_in_order(const float* x, const float* w, int n) {
  float lane[32] = {};
  int i = 0;
  for (; i + 32 <= n; i += 32)
    for (int l = 0; l < 32; ++l) lane[l] = core::simd::madd(x[i + l], w[i + l], lane[l]);
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) lane[l] = core::simd::madd(x[i + l], w[i + l], lane[l]);
  float v[8];
  for (int l = 0; l < 8; ++l) v[l] = (lane[l] + lane[l + 8]) + (lane[l + 16] + lane[l + 24]);
  float s = ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
  for (; i < n; ++i) s = core::simd::madd(x[i], w[i], s);
  return s;
}

}  // namespace

TEST_CASE("the float kernels sum in the one documented order, whatever vector width the build gives them", "[stored]") {
  // The kernels have 8- and 16-lane forms (AVX2, AVX-512) and a scalar fallback; all must give these bits.
  for (const int cols : {7, 8, 40, 64, 77, 300, 1000}) {
    const int out = 5, rows = 3;
    core::Matrix x(rows, cols), w(out, cols);
    for (int i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>((i * 53) % 89 - 44) / 29.0f;
    for (int i = 0; i < w.size(); ++i) w.data()[i] = static_cast<float>((i * 37) % 101 - 50) / 37.0f;
    const core::WeightMatrix kept{core::Matrix(w)};
    core::ThreadPool pool(2);
    for (const int r : {1, 2, rows}) {  // one row alone, and rows multiplied two at a time
      core::Matrix y(rows, out);
      core::ops::linear(x, kept, y, r, pool);
      for (int i = 0; i < r; ++i)
        for (int j = 0; j < out; ++j) {
          INFO(cols << " columns, " << r << " rows, row " << i << ", output " << j);
          const float want = dot_in_order(x.data() + i * cols, w.data() + j * cols, cols);
          CHECK(std::memcmp(&y(i, j), &want, sizeof want) == 0);
        }
    }
  }
}

TEST_CASE("a Q8_0 product sums its blocks in the one documented order, whatever the vector width", "[stored]") {
  // Even blocks into eight lanes, odd ones into eight others, each block's exact integer products (lane k: bytes
  // 4k .. 4k + 3) times the product of the two scales; the two sets added, then the lanes pairwise.
  for (const int cols : {32, 96, 128, 320}) {
    const int out = 3, blocks = cols / 32;
    core::Matrix x(1, cols);
    for (int i = 0; i < cols; ++i) x.data()[i] = static_cast<float>((i * 53) % 89 - 44) / 29.0f;
    const std::vector<uint8_t> bytes = q8_0_bytes(out * blocks);
    const core::WeightMatrix w(core::GgmlType::Q8_0, out, cols, bytes.data(), nullptr);
    core::ThreadPool pool(2);
    core::Matrix y(1, out);
    core::ops::linear(x, w, y, 1, pool);
    for (int j = 0; j < out; ++j) {
      float lanes[2][8] = {};
      for (int b = 0; b < blocks; ++b) {
        const float* v = x.data() + b * 32;
        float amax = 0;
        for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(v[i]));
        const float dx = amax / 127.0f, id = dx != 0 ? 1.0f / dx : 0.0f;
        const uint8_t* block = bytes.data() + (j * blocks + b) * 34;
        uint16_t dw = 0;
        std::memcpy(&dw, block, 2);
        const float scale = core::f16_to_f32(dw) * dx;
        for (int k = 0; k < 8; ++k) {
          int32_t products = 0;
          for (int i = 4 * k; i < 4 * k + 4; ++i)
            products += int32_t{static_cast<int8_t>(block[2 + i])} * static_cast<int32_t>(std::round(v[i] * id));
          lanes[b % 2][k] = core::simd::madd(scale, static_cast<float>(products), lanes[b % 2][k]);
        }
      }
      float v[8];
      for (int k = 0; k < 8; ++k) v[k] = lanes[0][k] + lanes[1][k];
      const float want = ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
      INFO(cols << " columns, output " << j);
      CHECK(std::memcmp(&y(0, j), &want, sizeof want) == 0);
    }
  }
}

TEST_CASE("row reordering composes and rejects a wrong length", "[stored]") {
  core::Matrix m(4, 2);
  m << 0, 0, 1, 1, 2, 2, 3, 3;
  core::WeightMatrix w{core::Matrix(m)};
  w.reorder_rows({3, 2, 1, 0});
  w.reorder_rows({1, 0, 3, 2});
  const core::Matrix got = w.to_f32();
  CHECK(got(0, 0) == 2);
  CHECK(got(1, 0) == 3);
  CHECK(got(2, 0) == 0);
  CHECK(got(3, 0) == 1);
  CHECK_THROWS_WITH(w.reorder_rows({0, 1}), "reorder_rows: 2 indices for 4 rows");
  // HF row h*hd + t*hd/2 + i is stored row h*hd + 2i + t: one head of 4 rows is 0, 2, 1, 3.
  CHECK(core::rotary_order_from_interleaved(8, 2) == std::vector<int32_t>{0, 2, 1, 3, 4, 6, 5, 7});
}
