#include "trace/macs.h"

#include <stdexcept>

namespace kvscope::trace {

int64_t event_macs(const Run& run, const Event& e) {
  if (e.op != Op::Linear && e.op != Op::Matmul) return 0;
  if (e.inputs.empty() || e.inputs[0] < 0 || e.inputs[0] >= static_cast<int>(run.events.size()))
    throw std::invalid_argument("event " + std::to_string(e.id) + " ('" + std::string(e.name) + "', " +
                                std::string(op_name(e.op)) + ") has no input to count its work from");
  const Event& left = run.events[e.inputs[0]];
  if (left.shape.empty())
    throw std::invalid_argument("event " + std::to_string(e.id) + " ('" + std::string(e.name) + "'): input '" +
                                std::string(left.name) + "' has no axes");
  return e.numel() * left.shape.back();
}

int64_t step_macs(const Run& run, const StepRecord& step) {
  int64_t total = 0;
  for (int i = step.first_event; i < step.end_event; ++i) total += event_macs(run, run.events[i]);
  return total;
}

}  // namespace kvscope::trace
