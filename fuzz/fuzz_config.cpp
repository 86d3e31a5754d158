// HF config.json (core/config.h): config_from_json_text, which validates; a config it accepts must also survive
// what every loader does next (parameter count and shapes, the JSON round trip). Rejection: ConfigError.
#include "core/config.h"

#include <nlohmann/json.hpp>

#include "core/weights.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kvscope;
  const std::string text = fuzz::input_text(data, size);
  KVSCOPE_FUZZ_GUARD({
    try {
      const core::LlamaConfig config = core::config_from_json_text(text, "config.json");
      (void)config.parameter_count();
      (void)config.head_size();
      (void)config.kv_groups();
      (void)core::parameter_shapes(config);
      // What `kvscope save-weights` writes must read back as the same config.
      const core::LlamaConfig again = core::config_from_json_text(core::config_to_json(config).dump(), "round trip");
      if (again.parameter_count() != config.parameter_count()) {
        std::fprintf(stderr, "fuzz_config: the JSON round trip changed the parameter count\n");
        std::abort();
      }
    } catch (const core::ConfigError&) {
    }
  })
  return 0;
}
