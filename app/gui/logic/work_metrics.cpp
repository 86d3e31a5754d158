#include "app/gui/logic/work_metrics.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "app/gui/logic/ui_text.h"

namespace kvscope::gui {

trace::ModeWork step_work(const trace::Run& run, int step) {
  const auto it = std::find_if(run.steps.begin(), run.steps.end(), [&](const auto& s) { return s.step == step; });
  if (it == run.steps.end())
    throw std::out_of_range("step " + std::to_string(step) + " is not in the " +
                            std::string(trace::cache_mode_name(run.mode)) + " run");
  const trace::StepRecord* record = &*it;
  return trace::work_of(run, {&record, 1});
}

BytesRead step_bytes_read(const trace::Run& run, const trace::StepRecord& step) {
  constexpr int64_t kFloat = sizeof(float);
  BytesRead b;
  for (int i = step.first_event; i < step.end_event; ++i) {
    const trace::Event& e = run.events.at(static_cast<size_t>(i));
    if (e.op == trace::Op::Linear && !e.inputs.empty() && !e.shape.empty()) {
      // in x out features; the output may be laid out by heads ([B, heads, T, d]), so out comes from the element
      // counts: each of the input's rows (tokens) produced out values.
      const trace::Event& in = run.events.at(static_cast<size_t>(e.inputs[0]));
      const int64_t features = in.shape.empty() ? 0 : in.shape.back();
      const int64_t rows = features > 0 ? in.numel() / features : 0;
      if (rows > 0) b.weights += features * (e.numel() / rows) * kFloat;
    } else if (e.op == trace::Op::Embedding) {
      b.weights += e.numel() * kFloat;  // only the rows of the tokens looked up
    } else if (e.role == trace::Role::CacheHistory) {
      b.kv_cache += e.numel() * kFloat;
    }
  }
  return b;
}

WorkSeries work_series(const trace::Run& cached, const trace::Run& uncached) {
  WorkSeries w;
  auto accumulate = [](const trace::Run& run, std::vector<double>& macs, std::vector<double>& bytes,
                       std::vector<double>* kv) {
    double total_macs = 0;
    for (const trace::ModeWork& token : trace::work_per_token(run)) {
      total_macs += static_cast<double>(token.macs);
      macs.push_back(total_macs);
      int64_t read = 0;
      for (const trace::StepRecord& s : run.steps)
        if (std::find(token.steps.begin(), token.steps.end(), s.step) != token.steps.end())
          read += step_bytes_read(run, s).total();
      bytes.push_back(static_cast<double>(read));
      if (kv) kv->push_back(static_cast<double>(token.kv_cache_bytes));
    }
  };
  accumulate(cached, w.cached_macs, w.cached_bytes_read, &w.kv_cache_bytes);
  accumulate(uncached, w.uncached_macs, w.uncached_bytes_read, nullptr);
  return w;
}

std::vector<WorkChart> work_charts(const WorkSeries& w) {
  return {{"cumulative MACs", Unit::Macs, &w.cached_macs, &w.uncached_macs},
          {"bytes read per token", Unit::Bytes, &w.cached_bytes_read, &w.uncached_bytes_read,
           "weights (once per pass) + KV cache rows read; activations not counted"},
          {"KV cache in use", Unit::Bytes, &w.kv_cache_bytes, nullptr}};
}

double chart_max(const WorkChart& c) {
  double top = 0;
  for (const auto* s : {c.cached, c.uncached})
    if (s)
      for (double v : *s) top = std::max(top, v);
  return top;
}

std::string chart_point_text(const WorkChart& c, size_t index) {
  const int token = static_cast<int>(index) + 1;
  auto value = [&](const std::vector<double>* s) {
    return s && index < s->size() ? si_quantity((*s)[index], c.unit) : std::string("-");
  };
  char buf[256];
  if (c.uncached)
    std::snprintf(buf, sizeof buf, tr("token %d: cached %s, uncached %s"), token, value(c.cached).c_str(),
                  value(c.uncached).c_str());
  else std::snprintf(buf, sizeof buf, tr("token %d: cached %s"), token, value(c.cached).c_str());
  return c.note ? buf + std::string("\n") + tr(c.note) : std::string(buf);
}

std::string chart_tick_label(const WorkChart& c, double v) {
  return c.unit == Unit::Macs ? si_number(v) : si_quantity(v, c.unit);
}

}  // namespace kvscope::gui
