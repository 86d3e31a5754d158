#include "app/gui/logic/work_metrics.h"

#include <stdexcept>

#include "trace/macs.h"

namespace kvscope::gui {

StepMetrics step_metrics(const trace::Run& run, int step) {
  for (const auto& s : run.steps) {
    if (s.step != step) continue;
    return {s.tokens_in, trace::step_macs(run, s), s.kv_cache_bytes, s.ms};
  }
  throw std::out_of_range("step " + std::to_string(step) + " is not in the " + run.mode + " run");
}

WorkSeries work_series(const trace::Run& cached, const trace::Run& uncached) {
  WorkSeries w;
  // The cached prefill predicts nothing under the all-but-last scheme: its cost joins the first token's.
  auto accumulate = [](const trace::Run& run, std::vector<double>& macs, std::vector<double>& ms,
                       std::vector<double>* kv) {
    double total_macs = 0, total_ms = 0;
    for (const auto& s : run.steps) {
      total_macs += static_cast<double>(step_metrics(run, s.step).macs);
      total_ms += s.ms;
      if (s.generated_index < 0) continue;
      macs.push_back(total_macs);
      ms.push_back(total_ms);
      if (kv) kv->push_back(static_cast<double>(s.kv_cache_bytes));
    }
  };
  accumulate(cached, w.cached_macs, w.cached_ms, &w.kv_cache_bytes);
  accumulate(uncached, w.uncached_macs, w.uncached_ms, nullptr);
  return w;
}

}  // namespace kvscope::gui
