#pragma once
// Range checks for integer flags, with messages a person reads: "--new-tokens: must be at least 1, got 0",
// not CLI11's "Value 0 not in range 0.000000 to 1797...(309 digits)". Shared by the CLI and the app.
#include <cstdint>
#include <limits>

#include <CLI/CLI.hpp>

namespace kvscope::app {

// An integer in [min, max], written in decimal; a sign on an unsigned flag ("--seed -1") is refused rather than
// wrapped around to 2^64 - 1.
CLI::Validator integer_in(int64_t min, int64_t max = std::numeric_limits<int64_t>::max());

// The largest batch and the most tokens a run takes: far beyond what a visualiser shows, small enough that
// every buffer size computed from them fits.
inline constexpr int64_t kMaxBatch = 4096;
inline constexpr int64_t kMaxNewTokens = 1 << 21;  // the largest max_position_embeddings a config may have

}  // namespace kvscope::app
