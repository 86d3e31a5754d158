#pragma once
// The sink that keeps events in a Run, optionally with value statistics and values.
#include <cstdint>
#include <functional>
#include <string>

#include "trace/event.h"

namespace kvscope::trace {

struct CaptureOptions {
  bool stats = false;
  bool values = false;
  int64_t values_max = 65536;  // tensors with more elements keep stats only (logits keep their last row)
};

// The piece of a token id as the tokenizer's vocabulary spells it ("▁the", "<0x0A>"); may throw for an id
// outside the vocabulary, and the event then carries no pieces.
using TokenPieces = std::function<std::string(int)>;

class Recorder : public Sink {
 public:
  // pieces: when set, every token-id event (input ids, next tokens) carries the piece of each id.
  Recorder(Run& run, CaptureOptions options, TokenPieces pieces = {})
      : run_(run), options_(options), pieces_(std::move(pieces)) {}
  int record(const EventSpec& spec) override;
  int next_id() const override { return static_cast<int>(run_.events.size()); }

 private:
  void fill(Event& e, int id, const EventSpec& spec);
  Run& run_;
  CaptureOptions options_;
  TokenPieces pieces_;
};

Stats compute_stats(const TensorView& view);

}  // namespace kvscope::trace
