#pragma once
// Small runs built by hand, shaped like the core's traces (issue 2's names and inputs), so the graph and
// exporter tests do not depend on the model.
#include <string>
#include <vector>

#include "trace/event.h"

namespace kvscope::test {

struct RunBuilder {
  trace::Run run;
  int add(const std::string& name, std::vector<int64_t> shape, int layer, int step, trace::Phase phase, trace::Op op,
          std::vector<int> inputs);
  void begin_step(int step, trace::Phase phase, int tokens_in, int cache_len, int generated_index);
  void end_step(int next_token, int64_t kv_bytes, double ms);
};

// A cached all-but-last run: prompt of `prompt_len`, `layers` layers, hidden 8, 2 heads of 4, vocab 10,
// one prefill step and `decode_steps` decode steps, the decoder layer trimmed to its attention path.
trace::Run cached_run(int prompt_len, int layers, int decode_steps);
// An uncached run of the same shapes: `steps` full passes over a growing sequence.
trace::Run uncached_run(int prompt_len, int layers, int steps);

}  // namespace kvscope::test
