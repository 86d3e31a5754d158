#pragma once
// What a step cost, read from its trace events (MACs counted by trace/macs.h): the side-by-side panes' figures and the plots of
// cumulative work and time over the generated tokens (uncached work grows with the square of the length).
#include <cstdint>
#include <vector>

#include "trace/event.h"

namespace kvscope::gui {

struct StepMetrics {
  int tokens_in = 0;
  int64_t macs = 0;
  int64_t kv_cache_bytes = 0;
  double ms = 0;
};
StepMetrics step_metrics(const trace::Run& run, int step);  // throws std::out_of_range for a missing step

// Per generated token, both modes so far: cumulative MACs and milliseconds, and the cache's bytes.
struct WorkSeries {
  std::vector<double> cached_macs, uncached_macs, cached_ms, uncached_ms, kv_cache_bytes;
};
WorkSeries work_series(const trace::Run& cached, const trace::Run& uncached);

}  // namespace kvscope::gui
