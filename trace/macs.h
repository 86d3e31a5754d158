#pragma once
// The work of a pass, counted from the trace itself: multiply-accumulates of each matrix product, from the
// shapes of the event and of its inputs, so the count follows whatever the model really computed.
#include <cstdint>

#include "trace/event.h"

namespace kvscope::trace {

// linear: output elements x input features (the input's last axis);
// matmul: output elements x the contracted axis (the left operand's last axis, the left operand being the
//         event's first input: scores = q.k^T contract the head size, weights.v the key positions);
// every other op: 0. Norms, RoPE, softmax and the SwiGLU product cost a few operations per element, which
// is negligible next to the products and not a multiply-accumulate.
// Throws std::invalid_argument when a product lacks the input its count needs.
int64_t event_macs(const Run& run, const Event& e);

int64_t step_macs(const Run& run, const StepRecord& step);

}  // namespace kvscope::trace
