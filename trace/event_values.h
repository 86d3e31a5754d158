#pragma once
// An event's values, stored with it or rebuilt from its inputs: the cache's history is its previous history
// plus the new rows, and repeat_kv repeats its input's heads, so neither is stored again at every step.
#include <optional>
#include <vector>

#include "trace/event.h"

namespace kvscope::trace {

bool has_values(const Event& e);

// Row-major values as the event's values_of says; nullopt when none were kept.
std::optional<std::vector<float>> event_values(const Run& run, const Event& e);

// The event with its values in it, as a file holds them; rebuilt values are kept in `storage`.
Event with_values(const Run& run, const Event& e, std::vector<float>& storage);

// Whether an event of `op` with these inputs can be rebuilt from them instead of storing its values: a
// concatenation of two inputs along the token axis (second-to-last), or a repetition of one input's heads
// (third-to-last axis), whose inputs have values.
bool rebuildable(const Run& run, Op op, const Shape& shape, const Inputs& inputs);

}  // namespace kvscope::trace
