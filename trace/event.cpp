#include "trace/event.h"

#include <array>

namespace kvscope::trace {

namespace {

// The JSON spelling of an enum, by its value.
template <typename E, size_t N>
std::optional<E> from_name(const std::array<std::string_view, N>& names, std::string_view name) {
  for (size_t i = 0; i < N; ++i)
    if (names[i] == name) return static_cast<E>(i);
  return std::nullopt;
}

constexpr std::array<std::string_view, 2> kModes{"cached", "uncached"};
constexpr std::array<std::string_view, 2> kSchemes{"all-but-last", "all"};
constexpr std::array<std::string_view, 3> kDTypes{"float32", "int32", "text"};

}  // namespace

std::string WeightsFile::storage_of(std::string_view name) const {
  for (const auto& [n, as] : stored_as)
    if (n == name) return as;
  return name == "lm_head.weight" ? storage_of("model.embed_tokens.weight") : "";
}

std::string_view cache_mode_name(CacheMode m) { return kModes[static_cast<size_t>(m)]; }
std::optional<CacheMode> cache_mode_from_name(std::string_view name) { return from_name<CacheMode>(kModes, name); }

std::string_view prefill_scheme_name(PrefillScheme p) { return kSchemes[static_cast<size_t>(p)]; }
std::optional<PrefillScheme> prefill_scheme_from_name(std::string_view name) {
  return from_name<PrefillScheme>(kSchemes, name);
}

std::string_view dtype_name(DType d) { return kDTypes[static_cast<size_t>(d)]; }
std::optional<DType> dtype_from_name(std::string_view name) { return from_name<DType>(kDTypes, name); }

int64_t Event::numel() const {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

}  // namespace kvscope::trace
