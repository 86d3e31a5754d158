#pragma once
// What the generation cost, as the trace accounts it per generated token: the side-by-side panes' figures and
// the Work tab's charts of MACs and bytes over the generated tokens (uncached work grows with the square of the
// length). The charts count work, not wall-clock time: one timed sample says more about the machine's load
// than about the cache, so time is only shown as a median of repeated runs (timing.h).
#include <cstdint>
#include <string>
#include <vector>

#include "app/gui/logic/chart_axes.h"
#include "app/gui/logic/timing.h"
#include "trace/compare.h"
#include "trace/event.h"

namespace kvscope::gui {

trace::ModeWork step_work(const trace::Run& run, int step);  // throws std::out_of_range for a missing step

// What a step read from memory besides its own activations: each weight matrix its linear layers multiplied
// (once per pass, however many tokens the pass carries), the embedding rows it looked up, and the KV cache
// rows its attention read (the events whose role is CacheHistory). Float32 throughout, as the core computes.
struct BytesRead {
  int64_t weights = 0, kv_cache = 0;
  int64_t total() const { return weights + kv_cache; }
};
BytesRead step_bytes_read(const trace::Run& run, const trace::StepRecord& step);

// Per generated token (index 0 is token 1), both modes so far: cumulative MACs, bytes read for that token
// (all the steps that prepared it), and the cache in use once it is produced.
struct WorkSeries {
  std::vector<double> cached_macs, uncached_macs;
  std::vector<double> cached_bytes_read, uncached_bytes_read;
  std::vector<double> kv_cache_bytes;
};
WorkSeries work_series(const trace::Run& cached, const trace::Run& uncached);

// One chart of the Work tab: English title and legend names (the panel translates them), the unit of its y
// axis, and a cached and (but for the KV cache chart) an uncached series.
struct WorkChart {
  const char* title;
  Unit unit;
  const std::vector<double>* cached;
  const std::vector<double>* uncached;  // null: the chart has one series
  const char* note = nullptr;           // what the title leaves out, for the point tooltips
};
std::vector<WorkChart> work_charts(const WorkSeries& w);

// The largest value of the chart's series, for its y axis.
double chart_max(const WorkChart& c);
// The point tooltip of generated token `index` (0-based; it says "token index + 1"):
// "token 5: cached 1.2 M MACs, uncached 8.4 M MACs", then the chart's note. In the interface language.
std::string chart_point_text(const WorkChart& c, size_t index);
// A y tick's label: "5 M" for MACs (the title names the unit), "40 kB" for bytes.
std::string chart_tick_label(const WorkChart& c, double v);

}  // namespace kvscope::gui
