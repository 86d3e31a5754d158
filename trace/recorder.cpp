#include "trace/recorder.h"

#include <cmath>
#include <exception>
#include <limits>
#include <string_view>

namespace kvscope::trace {

Stats compute_stats(const TensorView& view) {
  const int64_t n = view.numel();
  Stats s;
  if (n == 0) return s;
  s.min = std::numeric_limits<double>::infinity();
  s.max = -std::numeric_limits<double>::infinity();
  double sum = 0, sum_sq = 0;
  auto add = [&](double x) {
    if (!std::isfinite(x)) {
      ++s.nonfinite;
      return;
    }
    // The causal mask holds the lowest float; it is a real value, so it counts.
    s.min = std::min(s.min, x);
    s.max = std::max(s.max, x);
    sum += x;
    sum_sq += x * x;
  };
  if (view.rows_walkable()) {
    view.for_each_row([&](const float* p, int64_t len, int64_t stride) {
      for (int64_t i = 0; i < len; ++i) add(static_cast<double>(p[i * stride]));
    });
  } else {
    for (int64_t i = 0; i < n; ++i) add(view.at(i));
  }
  const int64_t finite = n - s.nonfinite;
  if (finite == 0) {
    s.min = s.max = 0;
    return s;
  }
  s.mean = sum / static_cast<double>(finite);
  s.std = std::sqrt(std::max(0.0, sum_sq / static_cast<double>(finite) - s.mean * s.mean));
  return s;
}

namespace {

// The last index of the token axis (second-to-last), for every leading index: [.., T, V] -> [.., V].
std::vector<float> last_rows(const TensorView& view) {
  const int64_t cols = view.shape[view.rank - 1];
  const int64_t rows = view.shape[view.rank - 2];
  const int64_t outer = view.numel() / (rows * cols);
  std::vector<float> out;
  out.reserve(static_cast<size_t>(outer * cols));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < cols; ++c) out.push_back(static_cast<float>(view.at((o * rows + rows - 1) * cols + c)));
  return out;
}

}  // namespace

int Recorder::record(const EventSpec& spec) {
  Event e;
  e.id = static_cast<int>(run_.events.size());
  const Phase phase = spec.phase;
  e.name = name_in(spec.tensor, phase);
  e.key = tensor_name(spec.tensor).key;
  e.role = role_in(spec.tensor, phase);
  e.shape.assign(spec.view.shape.begin(), spec.view.shape.begin() + spec.view.rank);
  for (int i = 0; i < spec.view.rank; ++i) {
    e.dims.emplace_back(axis_label_en(spec.axes[i]));
    e.dims_zh.emplace_back(axis_label_zh(spec.axes[i]));
  }
  e.layer = spec.layer;
  e.step = spec.step;
  e.phase = spec.phase;
  e.op = spec.op;
  for (int input : spec.inputs)
    if (input >= 0) e.inputs.push_back(input);
  e.dtype = e.role == Role::Text ? DType::Text : spec.view.is_integer() ? DType::Int32 : DType::Float32;
  const TensorView& v = spec.view;
  if (v.has_values()) {
    if (options_.stats || options_.values) e.stats = compute_stats(v);
    if (options_.values) {
      const int64_t n = v.numel();
      if (n <= options_.values_max) {
        std::vector<float> values;
        values.reserve(static_cast<size_t>(n));  // not zeroed first: every element is written once
        if (v.rows_walkable()) {
          v.for_each_row([&](const float* p, int64_t len, int64_t stride) {
            if (stride == 1) {
              values.insert(values.end(), p, p + len);
            } else {
              for (int64_t i = 0; i < len; ++i) values.push_back(p[i * stride]);
            }
          });
        } else {
          for (int64_t i = 0; i < n; ++i) values.push_back(static_cast<float>(v.at(i)));
        }
        e.values = std::move(values);
        e.values_of = "all";
      } else if (e.role == Role::Logits && v.rank >= 2) {
        e.values = last_rows(v);
        e.values_of = "last_row";
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
  run_.events.push_back(std::move(e));
  return run_.events.back().id;
}

}  // namespace kvscope::trace
