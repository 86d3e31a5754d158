#pragma once
// The one call beside each computation that names its tensor: emit(key, op, data, layout, inputs).
// The key's name in this phase comes from the naming table (trace/tensor_names.h). With no sink the call
// returns at once, having allocated nothing.
#include <array>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "trace/event.h"

namespace kvscope::core {

struct Dim {
  int64_t size;
  int64_t stride;  // in elements
  trace::Axis axis;
};

// How a tensor's axes lie over its buffer. With batch > 1 the emitter adds a leading batch axis of
// `batch_stride`, as HF shapes have; -1 means the tensor already has one entry per sequence.
struct Layout {
  int64_t batch_stride = -1;
  int rank = 0;
  std::array<Dim, 4> dims{};

  Layout() = default;
  Layout(int64_t batch_stride_, std::initializer_list<Dim> list) : batch_stride(batch_stride_) {
    for (const Dim& d : list) dims[static_cast<size_t>(rank++)] = d;
  }
};

class Emitter {
 public:
  Emitter(trace::Sink* sink, int step, trace::Phase phase, int batch, bool meta)
      : sink_(sink), step_(step), phase_(phase), batch_(batch), meta_(meta) {}

  int layer = -1;
  trace::Phase phase() const { return phase_; }

  // A float tensor.
  int operator()(trace::Tensor key, trace::Op op, const float* data, const Layout& layout,
                 std::initializer_list<int> inputs) const {
    if (!sink_) return -1;
    trace::EventSpec spec = make(key, op, layout, inputs);
    spec.view.data = meta_ ? nullptr : data;
    return sink_->record(spec);
  }

  // repeat_kv as a view: axis `repeat_axis` of the layout reads index / repeat.
  int repeated(trace::Tensor key, const float* data, const Layout& layout, int repeat_axis, int64_t repeat,
               std::initializer_list<int> inputs) const {
    if (!sink_) return -1;
    trace::EventSpec spec = make(key, trace::Op::RepeatKv, layout, inputs);
    spec.view.data = meta_ ? nullptr : data;
    spec.view.repeat_axis = repeat_axis + (spec.view.rank - layout.rank);
    spec.view.repeat = repeat;
    return sink_->record(spec);
  }

  // The prompt's text: a value with no axes.
  int text(trace::Tensor key, std::string_view text) const {
    if (!sink_) return -1;
    trace::EventSpec spec = make(key, trace::Op::Text, Layout(), {});
    spec.text = text;
    return sink_->record(spec);
  }

  // Token or position ids.
  int ids(trace::Tensor key, trace::Op op, const int32_t* data, const Layout& layout,
          std::initializer_list<int> inputs) const {
    if (!sink_) return -1;
    trace::EventSpec spec = make(key, op, layout, inputs);
    spec.view.ids = meta_ ? nullptr : data;
    return sink_->record(spec);
  }

 private:
  trace::EventSpec make(trace::Tensor key, trace::Op op, const Layout& layout,
                        std::initializer_list<int> inputs) const {
    trace::EventSpec spec;
    spec.tensor = key;
    spec.op = op;
    spec.layer = layer;
    spec.step = step_;
    spec.phase = phase_;
    spec.inputs = std::span<const int>(inputs.begin(), inputs.size());
    trace::TensorView& v = spec.view;
    auto push = [&](int64_t size, int64_t stride, trace::Axis axis) {
      v.shape[static_cast<size_t>(v.rank)] = size;
      v.strides[static_cast<size_t>(v.rank)] = stride;
      spec.axes[static_cast<size_t>(v.rank)] = axis;
      ++v.rank;
    };
    if (batch_ > 1 && layout.batch_stride >= 0) push(batch_, layout.batch_stride, trace::Axis::Batch);
    for (int i = 0; i < layout.rank; ++i) {
      const Dim& d = layout.dims[static_cast<size_t>(i)];
      push(d.size, d.stride, d.axis);
    }
    return spec;
  }

  trace::Sink* sink_;
  int step_;
  trace::Phase phase_;
  int batch_;
  bool meta_;
};

}  // namespace kvscope::core
