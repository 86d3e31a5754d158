#pragma once
// The sink that keeps events in a Run, optionally with value statistics and values.
#include <cstdint>

#include "trace/event.h"

namespace kvscope::trace {

struct CaptureOptions {
  bool stats = false;
  bool values = false;
  int64_t values_max = 65536;  // tensors with more elements keep stats only (logits keep their last row)
};

class Recorder : public Sink {
 public:
  Recorder(Run& run, CaptureOptions options) : run_(run), options_(options) {}
  int record(const EventSpec& spec) override;
  int next_id() const override { return static_cast<int>(run_.events.size()); }

 private:
  Run& run_;
  CaptureOptions options_;
};

Stats compute_stats(const TensorView& view);

}  // namespace kvscope::trace
