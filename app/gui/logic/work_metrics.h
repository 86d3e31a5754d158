#pragma once
// What the generation cost, as trace/compare.h accounts it per generated token: the side-by-side panes'
// figures and the plots of cumulative work and time over the generated tokens (uncached work grows with
// the square of the length).
#include <vector>

#include "trace/compare.h"
#include "trace/event.h"

namespace kvscope::gui {

trace::ModeWork step_work(const trace::Run& run, int step);  // throws std::out_of_range for a missing step

// Per generated token, both modes so far: cumulative MACs and milliseconds, and the cache's bytes.
struct WorkSeries {
  std::vector<double> cached_macs, uncached_macs, cached_ms, uncached_ms, kv_cache_bytes;
};
WorkSeries work_series(const trace::Run& cached, const trace::Run& uncached);

}  // namespace kvscope::gui
