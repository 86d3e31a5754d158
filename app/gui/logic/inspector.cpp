#include "app/gui/logic/inspector.h"

#include <algorithm>

#include "trace/graph.h"
#include "trace/text_format.h"

namespace kvscope::gui {

namespace {

constexpr int kHistogramBins = 32;

std::string layer_text(int layer) { return layer < 0 ? "-" : std::to_string(layer); }

std::vector<std::string> describe(const trace::Event& e) {
  std::vector<std::string> lines{
      "name: " + e.name,
      "op: " + std::string(trace::op_name(e.op)),
      "layer: " + layer_text(e.layer),
      "step: " + std::to_string(e.step) + " (" + std::string(trace::phase_name(e.phase)) + ")",
      "shape: " + trace::comma_list(e.shape),
  };
  for (size_t i = 0; i < e.shape.size(); ++i) {
    std::string line = "  axis " + std::to_string(i) + ": " + std::to_string(e.shape[i]);
    if (i < e.dims.size()) line += "  " + e.dims[i];
    if (i < e.dims_zh.size() && !e.dims_zh[i].empty()) line += " / " + e.dims_zh[i];
    lines.push_back(line);
  }
  return lines;
}

Heatmap slice_of(const trace::Event& e, int slice) {
  Heatmap h;
  const size_t rank = e.shape.size();
  h.cols = static_cast<int>(e.shape.back());
  h.rows = rank >= 2 ? static_cast<int>(e.shape[rank - 2]) : 1;
  for (size_t i = 0; i + 2 < rank; ++i) {
    h.slices *= static_cast<int>(e.shape[i]);
    if (i < e.dims.size()) h.slice_axes += (h.slice_axes.empty() ? "" : " x ") + e.dims[i];
  }
  h.slice = std::clamp(slice, 0, h.slices - 1);
  const auto& values = *e.values;
  const size_t offset = static_cast<size_t>(h.slice) * h.rows * h.cols;
  h.cells.assign(values.begin() + offset, values.begin() + offset + static_cast<size_t>(h.rows) * h.cols);
  auto [lo, hi] = std::minmax_element(h.cells.begin(), h.cells.end());
  h.min = *lo;
  h.max = *hi;
  return h;
}

Histogram histogram_of(const std::vector<float>& values) {
  Histogram h;
  h.bins.assign(kHistogramBins, 0);
  auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  h.lo = *lo;
  h.hi = *hi;
  const float width = h.hi > h.lo ? (h.hi - h.lo) / kHistogramBins : 1.0f;
  for (float v : values) ++h.bins[std::clamp(static_cast<int>((v - h.lo) / width), 0, kHistogramBins - 1)];
  h.peak = *std::max_element(h.bins.begin(), h.bins.end());
  return h;
}

}  // namespace

std::string neighbour_label(const trace::Event& e) {
  return e.name + " (" + (e.layer >= 0 ? "L" + std::to_string(e.layer) + ", " : "") + "step " + std::to_string(e.step) +
         ")";
}

InspectorView build_inspector(const trace::Run& run, int event, int slice, bool meta) {
  const trace::Event& e = run.events.at(event);
  InspectorView v;
  v.event = event;
  v.lines = describe(e);
  for (int in : e.inputs) v.inputs.push_back({in, neighbour_label(run.events.at(in))});
  for (size_t j = static_cast<size_t>(event) + 1; j < run.events.size(); ++j) {
    const auto& inputs = run.events[j].inputs;
    if (std::find(inputs.begin(), inputs.end(), event) != inputs.end())
      v.consumers.push_back({static_cast<int>(j), neighbour_label(run.events[j])});
  }
  v.stats = e.stats;
  const bool whole = e.values && e.values_of == "all" && !e.values->empty() &&
                     static_cast<int64_t>(e.values->size()) == e.numel();
  if (whole) {
    v.heatmap = slice_of(e, slice);
    v.histogram = histogram_of(*e.values);
  } else if (meta) {
    v.values_note = "meta run: shapes only, no values";
  } else {
    v.values_note = "values not kept: " + std::to_string(e.numel()) + " elements is above the capture limit";
  }
  return v;
}

}  // namespace kvscope::gui
