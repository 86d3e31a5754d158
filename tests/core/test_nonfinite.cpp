// NaN and infinity never pass silently: a checkpoint holding one is refused at load, naming the tensor and the
// element; a step whose logits go non-finite stops generation, naming the step and the first tensor that went
// non-finite; trace statistics count non-finite values apart from the finite ones they summarise.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "core/generator.h"
#include "core/hf_weights.h"
#include "core/model_source.h"
#include "core/safetensors.h"
#include "core/weights.h"
#include "tests/support/temp_dir.h"
#include "trace/recorder.h"

using namespace kvscope;
using Catch::Matchers::Contains;

namespace {

std::string run_error(core::LlamaModel& model, core::CacheMode mode) {
  core::GenerationOptions options;
  options.mode = mode;
  options.new_tokens = 3;
  core::Generator gen(model, {{1, 2, 3}}, options, nullptr);
  try {
    while (!gen.done()) gen.step();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("a checkpoint holding NaN or infinity is refused at load, naming the tensor and the element", "[nonfinite]") {
  const core::LlamaConfig c = core::preset_config("seed-tiny");
  // Float16 and bfloat16 weights are kept as stored and checked on their bits.
  for (const auto& [dtype, bad] : {std::pair{core::DType::F32, std::numeric_limits<float>::quiet_NaN()},
                                   std::pair{core::DType::F32, -std::numeric_limits<float>::infinity()},
                                   std::pair{core::DType::F16, std::numeric_limits<float>::quiet_NaN()},
                                   std::pair{core::DType::F16, std::numeric_limits<float>::infinity()},
                                   std::pair{core::DType::BF16, -std::numeric_limits<float>::infinity()}}) {
    INFO(core::dtype_name(dtype) << " " << bad);
    test::TempDir dir("nonfinite");
    core::LlamaWeights w = core::random_weights(c, 3);
    w.layers[1].q_proj(2, 5) = bad;
    core::save_hf_weights(dir.path.string(), c, w, dtype);
    const core::ModelSource source = core::resolve_model(dir.path.string());
    const std::string want = source.path + ": tensor 'model.layers.1.self_attn.q_proj.weight' holds " +
                             (std::isnan(bad) ? "NaN" : "an infinity") + " at index " +
                             std::to_string(2 * c.hidden_size + 5) +
                             " (row 2, column 5); kvscope refuses non-finite weights";
    CHECK_THROWS_WITH(core::load_model(source, 0, false), want);
    CHECK_NOTHROW(core::load_model(source, 0, true));  // shapes only read no weight
  }
}

TEST_CASE("non-finite logits stop generation, naming the step and the first tensor that went non-finite",
          "[nonfinite]") {
  const core::LlamaConfig c = core::preset_config("seed-tiny");
  for (const core::CacheMode mode : {core::CacheMode::Cached, core::CacheMode::Uncached}) {
    INFO((mode == core::CacheMode::Cached ? "cached" : "uncached"));
    {  // a NaN in layer 1's value projection: everything after it is NaN
      core::LlamaWeights w = core::random_weights(c, 3);
      w.layers[1].v_proj(0, 0) = std::numeric_limits<float>::quiet_NaN();
      core::LlamaModel model(c, std::move(w));
      const std::string e = run_error(model, mode);
      CHECK_THAT(e, Contains("the logits of sequence 0 are not finite"));
      CHECK_THAT(e, Contains("the first tensor holding a NaN or an infinity is value_states in layer 1"));
      CHECK_THAT(e, Contains(mode == core::CacheMode::Cached ? "step 1:" : "step 0:"));
    }
    {  // a head so large that the logits overflow float: finite until the last product
      core::LlamaWeights w = core::random_weights(c, 3);
      w.lm_head.setConstant(3e38f);  // finite, but 256 of them summed are not
      core::LlamaModel model(c, std::move(w));
      CHECK_THAT(run_error(model, mode), Contains("the first tensor holding a NaN or an infinity is logits"));
    }
  }
  // Finite weights generate to the end.
  core::LlamaModel fine(c, core::random_weights(c, 3));
  CHECK(run_error(fine, core::CacheMode::Cached) == "no error");
}

TEST_CASE("trace statistics count NaN and infinity apart from the finite values they summarise", "[nonfinite]") {
  const float values[] = {1.0f, std::numeric_limits<float>::quiet_NaN(), 3.0f, std::numeric_limits<float>::infinity()};
  trace::TensorView view;
  view.data = values;
  view.rank = 1;
  view.shape[0] = 4;
  view.strides[0] = 1;
  const trace::Stats s = trace::compute_stats(view);
  CHECK(s.nonfinite == 2);
  CHECK(s.min == 1.0);
  CHECK(s.max == 3.0);
  CHECK(s.mean == 2.0);
  CHECK(s.std == 1.0);
}
