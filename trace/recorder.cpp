#include "trace/recorder.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>
#include <string_view>

#include "trace/event_values.h"

namespace kvscope::trace {

namespace {

// Sums over the finite values in double; NaNs and infinities are counted apart.
class Accumulator {
 public:
  void add(double x) {
    if (!std::isfinite(x)) {
      ++nonfinite_;
      return;
    }
    // The causal mask holds the lowest float; it is a real value, so it counts.
    min_ = std::min(min_, x);
    max_ = std::max(max_, x);
    sum_ += x;
    sum_sq_ += x * x;
  }

  // A contiguous run, eight floats at a time in vector lanes (fixed lane order: the same sums on every run). A
  // NaN or an infinity makes the run's sum non-finite, and the run is then added one value at a time.
  void add_run(const float* p, int64_t n) {
    using f4 = float __attribute__((vector_size(16)));
    using d4 = double __attribute__((vector_size(32)));
    constexpr float inf = std::numeric_limits<float>::infinity();
    int64_t i = 0;
    if (n >= 8) {
      d4 s0{}, s1{}, q0{}, q1{};
      f4 lo0 = {inf, inf, inf, inf}, lo1 = lo0, hi0 = -lo0, hi1 = -lo0;
      for (; i + 8 <= n; i += 8) {
        f4 a, b;
        std::memcpy(&a, p + i, sizeof a);
        std::memcpy(&b, p + i + 4, sizeof b);
        const d4 da = __builtin_convertvector(a, d4), db = __builtin_convertvector(b, d4);
        s0 += da;
        s1 += db;
        q0 += da * da;
        q1 += db * db;
        lo0 = a < lo0 ? a : lo0;
        lo1 = b < lo1 ? b : lo1;
        hi0 = a > hi0 ? a : hi0;
        hi1 = b > hi1 ? b : hi1;
      }
      const d4 s = s0 + s1, q = q0 + q1;
      const double sum = (s[0] + s[1]) + (s[2] + s[3]), sum_sq = (q[0] + q[1]) + (q[2] + q[3]);
      if (std::isfinite(sum) && std::isfinite(sum_sq)) {
        sum_ += sum;
        sum_sq_ += sum_sq;
        for (int l = 0; l < 4; ++l) {
          min_ = std::min({min_, static_cast<double>(lo0[l]), static_cast<double>(lo1[l])});
          max_ = std::max({max_, static_cast<double>(hi0[l]), static_cast<double>(hi1[l])});
        }
      } else {
        i = 0;
      }
    }
    for (; i < n; ++i) add(static_cast<double>(p[i]));
  }

  Stats finish(int64_t n) const {
    Stats s;
    s.nonfinite = nonfinite_;
    const int64_t finite = n - nonfinite_;
    if (finite == 0) return s;
    s.min = min_;
    s.max = max_;
    s.mean = sum_ / static_cast<double>(finite);
    s.std = std::sqrt(std::max(0.0, sum_sq_ / static_cast<double>(finite) - s.mean * s.mean));
    return s;
  }

 private:
  double min_ = std::numeric_limits<double>::infinity(), max_ = -std::numeric_limits<double>::infinity();
  double sum_ = 0, sum_sq_ = 0;
  int64_t nonfinite_ = 0;
};

// Statistics of a view and, when `copy` is set, its values written to it (numel floats), in one pass.
Stats scan(const TensorView& view, float* copy) {
  const int64_t n = view.numel();
  Accumulator acc;
  if (view.rows_walkable()) {
    view.for_each_row([&](const float* p, int64_t len, int64_t stride) {
      if (stride == 1) {
        acc.add_run(p, len);
        if (copy) copy = std::copy(p, p + len, copy);
        return;
      }
      for (int64_t i = 0; i < len; ++i) {
        acc.add(static_cast<double>(p[i * stride]));
        if (copy) *copy++ = p[i * stride];
      }
    });
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const double x = view.at(i);
      acc.add(x);
      if (copy) *copy++ = static_cast<float>(x);
    }
  }
  return acc.finish(n);
}

// The last index of the token axis (second-to-last), for every leading index: [.., T, V] -> [.., V].
std::span<const float> last_rows(const TensorView& view, ValueStore& store) {
  const int64_t cols = view.shape[view.rank - 1];
  const int64_t rows = view.shape[view.rank - 2];
  const int64_t outer = view.numel() / (rows * cols);
  const std::span<float> out = store.allocate(static_cast<size_t>(outer * cols));
  float* at = out.data();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < cols; ++c) *at++ = static_cast<float>(view.at((o * rows + rows - 1) * cols + c));
  return out;
}

}  // namespace

Stats compute_stats(const TensorView& view) { return scan(view, nullptr); }

int Recorder::record(const EventSpec& spec) {
  // Built in place: an event is some 470 bytes, and a copy into the run would cost as much as filling it.
  const int id = static_cast<int>(run_.events.size());
  Event& e = run_.events.emplace_back();
  try {
    fill(e, id, spec);
  } catch (...) {
    run_.events.pop_back();  // no half-recorded event
    throw;
  }
  return id;
}

void Recorder::fill(Event& e, int id, const EventSpec& spec) {
  e.id = id;
  const Phase phase = spec.phase;
  e.name = name_in(spec.tensor, phase);
  e.key = tensor_name(spec.tensor).key;
  e.role = role_in(spec.tensor, phase);
  e.shape.assign(spec.view.shape.begin(), spec.view.shape.begin() + spec.view.rank);
  const auto rank = static_cast<size_t>(spec.view.rank);
  e.dims.assign(rank, std::string_view{});
  e.dims_zh.assign(rank, std::string_view{});
  for (size_t i = 0; i < rank; ++i) {
    e.dims[i] = axis_label_en(spec.axes[i]);
    e.dims_zh[i] = axis_label_zh(spec.axes[i]);
  }
  e.layer = spec.layer;
  e.step = spec.step;
  e.phase = spec.phase;
  e.op = spec.op;
  for (int input : spec.inputs)
    if (input >= 0) e.inputs.push_back(input);
  e.dtype = e.role == Role::Text ? DType::Text : spec.view.is_integer() ? DType::Int32 : DType::Float32;
  const TensorView& v = spec.view;
  if (v.has_values() && (options_.stats || options_.values)) {
    const int64_t n = v.numel();
    if (options_.values && n <= options_.values_max && rebuildable(run_, e.op, e.shape, e.inputs)) {
      // The cache's history and repeat_kv: their inputs' values already hold every element.
      e.values_from_inputs = true;
      e.values_of = kAllValues;
      e.stats = scan(v, nullptr);
    } else if (options_.values && n <= options_.values_max) {
      const std::span<float> values = run_.store->values.allocate(static_cast<size_t>(n));
      e.stats = scan(v, values.data());
      e.values = values;
      e.values_of = kAllValues;
    } else {
      e.stats = scan(v, nullptr);
      if (options_.values && e.role == Role::Logits && v.rank >= 2) {
        e.values = last_rows(v, run_.store->values);
        e.values_of = kLastRowValues;
      }
    }
  }
  e.text = std::string(spec.text);
  const bool token_ids = e.role == Role::Input || e.role == Role::NextTokens;
  if (pieces_ && token_ids && v.ids) {
    try {
      for (int64_t i = 0; i < v.numel(); ++i) e.pieces.push_back(pieces_(static_cast<int>(v.at(i))));
    } catch (const std::exception&) {
      e.pieces.clear();  // an id the tokenizer lacks (a preset's vocabulary larger than the tokenizer's)
    }
  }
}

}  // namespace kvscope::trace
