#pragma once
// Range checks for integer flags, with messages a person reads: "--new-tokens: must be at least 1, got 0",
// not CLI11's "Value 0 not in range 0.000000 to 1797...(309 digits)". Shared by the CLI and the app.
#include <cstdint>
#include <limits>
#include <string>

#include <CLI/CLI.hpp>

namespace kvscope::app {

// An integer in [min, max], written in decimal; a sign on an unsigned flag ("--seed -1") is refused rather than
// wrapped around to 2^64 - 1.
CLI::Validator integer_in(int64_t min, int64_t max = std::numeric_limits<int64_t>::max());

// What a command-line error prints and returns: help (--help) as CLI11 prints it, exit 0; any other parse error
// as one line on standard error, "PROGRAM: error: --new-tokens: must be at least 1, got 0 (PROGRAM --help)",
// exit kUsageError, so that scripts can tell a mistyped command from a run that failed (exit 1).
int exit_on_parse_error(const CLI::App& app, const CLI::ParseError& error, const std::string& program);
inline constexpr int kUsageError = 2;

// The largest batch, thread count and number of tokens a run takes: far beyond what a visualiser shows, small
// enough that every buffer size computed from them fits.
inline constexpr int64_t kMaxBatch = 4096;
inline constexpr int64_t kMaxThreads = 1024;
inline constexpr int64_t kMaxNewTokens = 1 << 21;  // the largest max_position_embeddings a config may have

}  // namespace kvscope::app
