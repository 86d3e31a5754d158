#include "trace/event_values.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace kvscope::trace {

namespace {

int64_t product(const Shape& shape, size_t first, size_t end) {
  int64_t n = 1;
  for (size_t i = first; i < end; ++i) n *= shape[i];
  return n;
}

bool same_axes_but(const Shape& a, const Shape& b, size_t axis) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (i != axis && a[i] != b[i]) return false;
  return true;
}

const Event& input_of(const Run& run, const Event& e, size_t i) {
  const int id = e.inputs[i];
  if (id < 0 || id >= e.id)
    throw std::logic_error("event " + std::to_string(e.id) + " has no earlier input " + std::to_string(id));
  return run.events[static_cast<size_t>(id)];
}

bool concat_of(const Run& run, Op op, const Shape& shape, const Inputs& inputs) {
  if (op != Op::Concat || inputs.size() != 2 || shape.size() < 2) return false;
  const size_t axis = shape.size() - 2;
  int64_t rows = 0;
  for (int id : inputs) {
    if (id < 0 || id >= static_cast<int>(run.events.size())) return false;
    const Event& in = run.events[static_cast<size_t>(id)];
    if (!has_values(in) || in.values_of != kAllValues || !same_axes_but(in.shape, shape, axis)) return false;
    rows += in.shape[axis];
  }
  return rows == shape[axis];
}

bool repeat_of(const Run& run, Op op, const Shape& shape, const Inputs& inputs) {
  if (op != Op::RepeatKv || inputs.size() != 1 || shape.size() < 3) return false;
  const int id = inputs[0];
  if (id < 0 || id >= static_cast<int>(run.events.size())) return false;
  const Event& in = run.events[static_cast<size_t>(id)];
  const size_t axis = shape.size() - 3;
  return has_values(in) && in.values_of == kAllValues && same_axes_but(in.shape, shape, axis) && in.shape[axis] > 0 &&
         shape[axis] % in.shape[axis] == 0;
}

// The stored pieces a chain of concatenations is made of, oldest first: walking back through first inputs is a
// loop, not a recursion as deep as the run has steps.
std::vector<const Event*> concat_pieces(const Run& run, const Event& e) {
  std::vector<const Event*> newer;
  const Event* at = &e;
  while (!at->values && at->op == Op::Concat) {
    newer.push_back(&input_of(run, *at, 1));
    at = &input_of(run, *at, 0);
  }
  std::vector<const Event*> pieces{at};
  pieces.insert(pieces.end(), newer.rbegin(), newer.rend());
  return pieces;
}

}  // namespace

bool has_values(const Event& e) { return e.values.has_value() || e.values_from_inputs; }

Event with_values(const Run& run, const Event& e, std::vector<float>& storage) {
  if (!e.values_from_inputs) return e;
  Event out = e;
  out.values.reset();
  if (auto values = event_values(run, e)) {
    storage = std::move(*values);
    out.values = storage;
  }
  out.values_from_inputs = false;
  return out;
}

bool rebuildable(const Run& run, Op op, const Shape& shape, const Inputs& inputs) {
  return concat_of(run, op, shape, inputs) || repeat_of(run, op, shape, inputs);
}

std::optional<std::vector<float>> event_values(const Run& run, const Event& e) {
  if (e.values) return std::vector<float>(e.values->begin(), e.values->end());
  if (!e.values_from_inputs) return std::nullopt;
  std::vector<float> out;
  out.reserve(static_cast<size_t>(e.numel()));
  const size_t rank = e.shape.size();
  if (e.op == Op::Concat) {
    // Each piece is [outer..., rows_i, cols]; the result takes every piece's rows for each outer index.
    std::vector<std::vector<float>> parts;
    for (const Event* piece : concat_pieces(run, e)) {
      auto values = event_values(run, *piece);
      if (!values) return std::nullopt;
      parts.push_back(std::move(*values));
    }
    const int64_t outer = product(e.shape, 0, rank - 2);
    for (int64_t o = 0; o < outer; ++o)
      for (const auto& part : parts) {
        const int64_t block = static_cast<int64_t>(part.size()) / std::max<int64_t>(outer, 1);
        out.insert(out.end(), part.begin() + o * block, part.begin() + (o + 1) * block);
      }
  } else {
    // [outer..., heads, rows, cols] from [outer..., kv heads, rows, cols]: head h reads kv head h / repeat.
    const Event& in = input_of(run, e, 0);
    const auto values = event_values(run, in);
    if (!values) return std::nullopt;
    const size_t axis = rank - 3;
    const int64_t outer = product(e.shape, 0, axis), heads = e.shape[axis], kv_heads = in.shape[axis];
    const int64_t block = product(e.shape, axis + 1, rank), repeat = heads / kv_heads;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t h = 0; h < heads; ++h) {
        const auto first = values->begin() + (o * kv_heads + h / repeat) * block;
        out.insert(out.end(), first, first + block);
      }
  }
  return out;
}

}  // namespace kvscope::trace
