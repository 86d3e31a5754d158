#include "app/gui/logic/work_metrics.h"

#include <algorithm>
#include <stdexcept>

namespace kvscope::gui {

trace::ModeWork step_work(const trace::Run& run, int step) {
  const auto it = std::find_if(run.steps.begin(), run.steps.end(), [&](const auto& s) { return s.step == step; });
  if (it == run.steps.end())
    throw std::out_of_range("step " + std::to_string(step) + " is not in the " +
                            std::string(trace::cache_mode_name(run.mode)) + " run");
  const trace::StepRecord* record = &*it;
  return trace::work_of(run, {&record, 1});
}

WorkSeries work_series(const trace::Run& cached, const trace::Run& uncached) {
  WorkSeries w;
  auto accumulate = [](const trace::Run& run, std::vector<double>& macs, std::vector<double>& ms,
                       std::vector<double>* kv) {
    double total_macs = 0, total_ms = 0;
    for (const trace::ModeWork& token : trace::work_per_token(run)) {
      total_macs += static_cast<double>(token.macs);
      total_ms += token.ms;
      macs.push_back(total_macs);
      ms.push_back(total_ms);
      if (kv) kv->push_back(static_cast<double>(token.kv_cache_bytes));
    }
  };
  accumulate(cached, w.cached_macs, w.cached_ms, &w.kv_cache_bytes);
  accumulate(uncached, w.uncached_macs, w.uncached_ms, nullptr);
  return w;
}

}  // namespace kvscope::gui
