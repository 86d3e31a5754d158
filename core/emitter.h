#pragma once
// The one call beside each computation that names its tensor: emit(name, op, data, dims, inputs).
// With no sink it returns at once, having allocated nothing.
#include <cstdint>
#include <initializer_list>

#include "trace/event.h"

namespace kvscope::core {

struct Dim {
  int64_t size;
  int64_t stride;  // in elements
  trace::Axis axis;
};

class Emitter {
 public:
  Emitter(trace::Sink* sink, int step, trace::Phase phase, int batch, bool meta)
      : sink_(sink), step_(step), phase_(phase), batch_(batch), meta_(meta) {}

  int layer = -1;
  bool active() const { return sink_ != nullptr; }

  // A float tensor. With batch > 1 a leading batch axis of stride `batch_stride` is added, as HF shapes have.
  int operator()(const char* name, trace::Op op, const float* data, int64_t batch_stride, std::initializer_list<Dim> dims,
                 std::initializer_list<int> inputs) const {
    if (!sink_) return -1;
    trace::EventSpec spec = make(name, op, batch_stride, dims, inputs);
    spec.view.data = meta_ ? nullptr : data;
    return sink_->record(spec);
  }

  // repeat_kv: axis `repeat_axis` of dims (not counting the batch axis) reads index / repeat.
  int repeated(const char* name, const float* data, int64_t batch_stride, std::initializer_list<Dim> dims,
               int repeat_axis, int64_t repeat, std::initializer_list<int> inputs) const {
    if (!sink_) return -1;
    trace::EventSpec spec = make(name, trace::Op::RepeatKv, batch_stride, dims, inputs);
    spec.view.data = meta_ ? nullptr : data;
    spec.view.repeat_axis = repeat_axis + (batch_ > 1 ? 1 : 0);
    spec.view.repeat = repeat;
    return sink_->record(spec);
  }

  // Token or position ids. `batched` = false for tensors that already have one entry per sequence.
  int ids(const char* name, trace::Op op, const int32_t* data, int64_t batch_stride, std::initializer_list<Dim> dims,
          std::initializer_list<int> inputs, bool batched = true) const {
    if (!sink_) return -1;
    trace::EventSpec spec = make(name, op, batched ? batch_stride : -1, dims, inputs);
    spec.view.ids = meta_ ? nullptr : data;
    return sink_->record(spec);
  }

 private:
  trace::EventSpec make(const char* name, trace::Op op, int64_t batch_stride, std::initializer_list<Dim> dims,
                        std::initializer_list<int> inputs) const {
    trace::EventSpec spec;
    spec.name = name;
    spec.op = op;
    spec.layer = layer;
    spec.step = step_;
    spec.phase = phase_;
    spec.inputs = std::span<const int>(inputs.begin(), inputs.size());
    trace::TensorView& v = spec.view;
    if (batch_ > 1 && batch_stride >= 0) {
      v.shape[v.rank] = batch_;
      v.strides[v.rank] = batch_stride;
      spec.axes[v.rank] = trace::Axis::Batch;
      ++v.rank;
    }
    for (const Dim& d : dims) {
      v.shape[v.rank] = d.size;
      v.strides[v.rank] = d.stride;
      spec.axes[v.rank] = d.axis;
      ++v.rank;
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
