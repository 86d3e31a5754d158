// The safetensors container (core/safetensors.h): the 8-byte header length, the JSON header, the layout check,
// then every tensor kvscope can convert read as float32. Rejection: WeightsError.
#include <cstdlib>
#include <vector>

#include "core/safetensors.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kvscope;
  const auto path = fuzz::input_file(data, size, "model.safetensors");
  KVSCOPE_FUZZ_GUARD({
    try {
      const core::SafetensorsFile file(path.string());
      for (const core::TensorInfo& t : file.tensors()) {
        (void)file.find(t.name);
        // The layout check bounds every byte range by the file, so numel() is at most the input's size.
        if (!t.dtype) continue;
        // A known finding (fuzz/regressions/fuzz_safetensors): read_into memcpy's from a null pointer for a tensor
        // of no elements. Long runs set this to keep fuzzing past it until it is fixed; CI does not.
        if (t.numel() == 0 && std::getenv("KVSCOPE_FUZZ_SKIP_EMPTY_READ")) continue;
        std::vector<float> out(static_cast<size_t>(t.numel()));
        file.read_into(t, out);
      }
      for (const auto& [key, value] : file.metadata()) (void)(key.size() + value.size());
    } catch (const core::WeightsError&) {
    }
  })
  return 0;
}
