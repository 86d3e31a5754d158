// Presets are HF config.json data; bad configs are refused with the file and field named.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/config.h"
#include "core/kv_cache.h"

using namespace kvscope;

TEST_CASE("presets load from their config.json", "[config]") {
  CHECK(core::preset_names() == std::vector<std::string>{"openllama-3b", "seed-tiny", "stories15m", "tinyllama-1.1b"});
  const auto tiny = core::preset_config("seed-tiny");
  CHECK(tiny.vocab_size == 100);
  CHECK(tiny.hidden_size == 256);
  CHECK(tiny.intermediate_size == 512);
  CHECK(tiny.num_hidden_layers == 2);
  CHECK(tiny.num_attention_heads == 4);
  CHECK(tiny.num_key_value_heads == 4);
  CHECK(tiny.rms_norm_eps == 1e-6);
  CHECK(tiny.rope_theta == 10000);
  CHECK(tiny.max_position_embeddings == 2048);
  CHECK_FALSE(tiny.tie_word_embeddings);
  const auto open = core::preset_config("openllama-3b");
  CHECK(open.head_size() == 100);
  CHECK(open.num_hidden_layers == 26);
  CHECK(open.intermediate_size == 8640);
  const auto tl = core::preset_config("tinyllama-1.1b");
  CHECK(tl.kv_groups() == 8);
  CHECK(tl.head_size() == 64);
  const auto st = core::preset_config("stories15m");
  CHECK(st.max_position_embeddings == 256);
  CHECK(st.head_size() == 48);
}

TEST_CASE("HF defaults fill absent keys", "[config]") {
  const auto c = core::config_from_json_text(
      R"({"vocab_size": 10, "hidden_size": 8, "intermediate_size": 6, "num_hidden_layers": 1, "num_attention_heads": 2})",
      "x/config.json");
  CHECK(c.num_key_value_heads == 2);
  CHECK(c.rms_norm_eps == 1e-6);
  CHECK(c.rope_theta == 10000);
  CHECK(c.head_size() == 4);
}

TEST_CASE("invalid configs name the file and the field", "[config]") {
  auto error = [](const std::string& json) {
    try {
      core::config_from_json_text(json, "m/config.json");
    } catch (const core::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string base = R"("vocab_size": 10, "intermediate_size": 6, "num_hidden_layers": 1, )";
  CHECK_THAT(error("{" + base + R"("hidden_size": 10, "num_attention_heads": 4})"),
             Catch::Contains("m/config.json") && Catch::Contains("not divisible by num_attention_heads"));
  CHECK_THAT(error("{" + base + R"("hidden_size": 8, "num_attention_heads": 4, "num_key_value_heads": 3})"),
             Catch::Contains("not divisible by num_key_value_heads 3"));
  CHECK_THAT(error("{" + base + R"("hidden_size": 0, "num_attention_heads": 4})"),
             Catch::Contains("field 'hidden_size' is 0, outside 1..65536"));
  CHECK_THAT(error("{" + base + R"("hidden_size": -8, "num_attention_heads": 4})"),
             Catch::Contains("field 'hidden_size' is -8, outside 1..65536"));
  CHECK_THAT(error("{" + base + R"("hidden_size": "8", "num_attention_heads": 4})"),
             Catch::Contains("'hidden_size' must be a whole number, got"));
  CHECK_THAT(error(R"({"hidden_size": 8})"), Catch::Contains("missing field 'vocab_size'"));
  CHECK_THAT(error("[1, 2]"), Catch::Contains("expected a JSON object"));
  CHECK_THAT(error("{" + base + R"("hidden_size": 8, "num_attention_heads": 4, "rms_norm_eps": 0})"),
             Catch::Contains("rms_norm_eps"));
  CHECK_THAT(error("{" + base + R"("hidden_size": 12, "num_attention_heads": 4})"), Catch::Contains("must be even"));
  CHECK_THAT(
      core::config_from_json_text("{" + base + R"("hidden_size": 8, "num_attention_heads": 4, "head_dim": 6})", "m")
                  .head_size() == 6
          ? "head_dim used"
          : "ignored",
      Catch::Equals("head_dim used"));
}

namespace {

// The error a small valid config gets with `fields` added (later keys win), or "no error".
std::string error_with(const std::string& fields) {
  try {
    core::config_from_json_text(R"({"vocab_size": 10, "hidden_size": 8, "intermediate_size": 6,
                                    "num_hidden_layers": 1, "num_attention_heads": 4, )" +
                                    fields + "}",
                                "m/config.json");
  } catch (const core::ConfigError& e) {
    return std::string(e.what());
  }
  return std::string("no error");
}

}  // namespace

TEST_CASE("config integers are read in 64 bits and refused outside their documented range", "[config]") {
  // Truncated to 32 bits these were 100 and 2; 2^40 was 0.
  CHECK(error_with(R"("max_position_embeddings": 64, "vocab_size": 4294967396)") ==
        "m/config.json: field 'vocab_size' is 4294967396, outside 1..2097152");
  CHECK(error_with(R"("num_hidden_layers": 4294967298)") ==
        "m/config.json: field 'num_hidden_layers' is 4294967298, outside 1..1024");
  CHECK(error_with(R"("vocab_size": 1099511627776)") ==
        "m/config.json: field 'vocab_size' is 1099511627776, outside 1..2097152");
  CHECK(error_with(R"("intermediate_size": 18446744073709551615)") ==
        "m/config.json: field 'intermediate_size' is 18446744073709551615, outside 1..262144");
  CHECK(error_with(R"("num_hidden_layers": 100000)") ==
        "m/config.json: field 'num_hidden_layers' is 100000, outside 1..1024");
  CHECK(error_with(R"("head_dim": 1073741824)") == "m/config.json: field 'head_dim' is 1073741824, outside 0..4096");
  CHECK(error_with(R"("max_position_embeddings": -1)") ==
        "m/config.json: field 'max_position_embeddings' is -1, outside 1..2097152");
  // The largest values of every range are accepted (shapes only: nothing is allocated by a config).
  CHECK(error_with(R"("num_hidden_layers": 1024, "vocab_size": 2097152, "max_position_embeddings": 2097152)") ==
        "no error");
  // Floating-point fields: finite, in range; a number JSON cannot hold names the file.
  CHECK_THAT(error_with(R"("rope_theta": 1e400)"), Catch::StartsWith("m/config.json: not valid JSON"));
  CHECK_THAT(error_with(R"("rms_norm_eps": 1e400)"), Catch::StartsWith("m/config.json: not valid JSON"));
  CHECK_THAT(error_with(R"("rms_norm_eps": 2)"), Catch::Contains("'rms_norm_eps' is 2.0, outside (0, 1)"));
  // Every field with a range is named by it.
  for (const core::ConfigRange& r : core::config_ranges()) CHECK(core::config_range(r.key).max >= r.min);
}

TEST_CASE("config keys that change the computation are refused, not ignored", "[config]") {
  CHECK(error_with(R"("hidden_act": "gelu")") ==
        "m/config.json: field 'hidden_act' is \"gelu\"; kvscope computes SwiGLU with silu only");
  CHECK(error_with(R"("attention_bias": true)") ==
        "m/config.json: field 'attention_bias' is true; kvscope computes projections without bias");
  CHECK(error_with(R"("mlp_bias": true)") ==
        "m/config.json: field 'mlp_bias' is true; kvscope computes projections without bias");
  CHECK_THAT(error_with(R"("rope_scaling": {"type": "linear", "factor": 2.0})"),
             Catch::Contains("'rope_scaling' is set"));
  // What HF writes for a plain LLaMA is accepted.
  CHECK(error_with(R"("hidden_act": "silu", "attention_bias": false, "mlp_bias": false, "rope_scaling": null)") ==
        "no error");
}

TEST_CASE("KV cache bytes are exact", "[config][cache]") {
  const auto c = core::preset_config("openllama-3b");
  core::KvCache cache(c, 1, 8, false);
  // 2 (k, v) x 26 layers x 1 x 32 heads x 8 positions x 100 x 4 bytes
  CHECK(cache.allocated_bytes() == 2LL * 26 * 32 * 8 * 100 * 4);
  cache.advance(6);
  CHECK(cache.used_bytes() == 2LL * 26 * 32 * 6 * 100 * 4);
  CHECK_THROWS(cache.advance(3));
}
