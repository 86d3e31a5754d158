#pragma once
// What export and compare draw from: a new run described by the run flags, or a trace recorded earlier
// (`--from trace.json`), never both.
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/cli/commands.h"

namespace kvscope::cli {

struct TraceInput {
  app::RunSpec spec;
  std::string from;  // a JSON trace written by `kvscope trace` or `kvscope export --format json`
};

// Adds the run flags and --from.
void add_trace_input_flags(CLI::App& cmd, TraceInput& input);

// The document holding one run per mode, in the order asked (runs of other modes dropped).
// Throws std::runtime_error naming the flag or file at fault.
trace::Document load_runs(const CLI::App& cmd, const TraceInput& input, const std::vector<core::CacheMode>& modes);

}  // namespace kvscope::cli
