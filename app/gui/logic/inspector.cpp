#include "app/gui/logic/inspector.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "app/gui/logic/chart_axes.h"
#include "app/gui/logic/ui_text.h"
#include "trace/event_values.h"
#include "trace/graph.h"
#include "trace/text_format.h"

namespace kvscope::gui {

namespace {

constexpr int kHistogramBins = 32;

std::string layer_text(int layer) { return layer < 0 ? "-" : std::to_string(layer); }

// "<s> A n d ␣ G": a token-id tensor's pieces, whitespace made visible; a long list is cut with "…".
std::string pieces_text(const std::vector<std::string>& pieces) {
  constexpr size_t kMostPieces = 48;
  std::vector<std::string> shown;
  for (size_t i = 0; i < pieces.size() && i < kMostPieces; ++i) shown.push_back(trace::visible_piece(pieces[i]));
  return trace::join(shown, " ") + (pieces.size() > kMostPieces ? " …" : "");
}

std::vector<std::string> describe(const trace::Event& e) {
  std::vector<std::string> lines{
      "name: " + std::string(e.name),
      "op: " + std::string(trace::op_name(e.op)),
      "layer: " + layer_text(e.layer),
      "step: " + std::to_string(e.step) + " (" + std::string(trace::phase_name(e.phase)) + ")",
      "shape: " + trace::comma_list(e.shape),
  };
  for (size_t i = 0; i < e.shape.size(); ++i) {
    std::string line = "  axis " + std::to_string(i) + ": " + std::to_string(e.shape[i]);
    if (i < e.dims.size()) line += "  " + std::string(e.dims[i]);
    if (i < e.dims_zh.size() && !std::string(e.dims_zh[i]).empty()) line += " / " + std::string(e.dims_zh[i]);
    lines.push_back(line);
  }
  if (e.role == trace::Role::Text) lines.push_back("text: " + trace::quoted(e.text));
  if (!e.pieces.empty()) lines.push_back("pieces: " + pieces_text(e.pieces));
  return lines;
}

// "model.layers.3.self_attn.q_proj.weight" -> "self_attn.q_proj" (the layer has its own line), "model.norm.weight"
// -> "norm": what fits the inspector's width.
std::string short_weight_name(std::string name) {
  const std::string layers = "model.layers.", model = "model.", suffix = ".weight";
  if (name.rfind(layers, 0) == 0) name = name.substr(name.find('.', layers.size()) + 1);
  else if (name.rfind(model, 0) == 0) name = name.substr(model.size());
  if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
    name.resize(name.size() - suffix.size());
  return name;
}

struct Range {
  float lo = 0, hi = 0;
  int masked = 0;
};

// The finite, unmasked values' range (0..0 when there are none) and how many were masked.
Range range_of(const std::vector<float>& values) {
  Range r;
  bool any = false;
  for (float v : values) {
    if (is_masked_value(v) || !std::isfinite(v)) {
      ++r.masked;
      continue;
    }
    r.lo = any ? std::min(r.lo, v) : v;
    r.hi = any ? std::max(r.hi, v) : v;
    any = true;
  }
  return r;
}

void set_scale(Heatmap& h, trace::Op op, const Range& tensor) {
  if (op == trace::Op::Softmax) {
    h.scale = HeatScale::Probability;
    h.scale_min = 0;
    h.scale_max = 1;
    h.fixed_scale = true;
    h.scale_label = "probability (softmax output), fixed scale 0 to 1";
  } else if (tensor.lo < 0 && tensor.hi > 0) {
    // Symmetric, so white is exactly 0 and equal distances from it look equally strong on both sides.
    const float m = std::max(-tensor.lo, tensor.hi);
    h.scale = HeatScale::Diverging;
    h.scale_min = -m;
    h.scale_max = m;
    h.scale_label = "value, diverging around 0 (scale: this tensor's range)";
  } else {
    h.scale = HeatScale::Sequential;
    h.scale_min = tensor.lo;
    h.scale_max = tensor.hi;
    h.scale_label = "value (scale: this tensor's range)";
  }
}

Heatmap slice_of(const trace::Event& e, const std::vector<float>& values, int slice) {
  Heatmap h;
  const size_t rank = e.shape.size();
  h.cols = static_cast<int>(e.shape.back());
  h.rows = rank >= 2 ? static_cast<int>(e.shape[rank - 2]) : 1;
  for (size_t i = 0; i + 2 < rank; ++i) {
    h.slices *= static_cast<int>(e.shape[i]);
    h.slice_dims.push_back(static_cast<int>(e.shape[i]));
    h.slice_names.push_back(i < e.dims.size() ? std::string(e.dims[i]) : "axis " + std::to_string(i));
    h.slice_axes += (h.slice_axes.empty() ? "" : " x ") + h.slice_names.back();
  }
  h.slice = std::clamp(slice, 0, h.slices - 1);
  const size_t offset = static_cast<size_t>(h.slice) * h.rows * h.cols;
  h.cells.assign(values.begin() + offset, values.begin() + offset + static_cast<size_t>(h.rows) * h.cols);
  const Range slice_range = range_of(h.cells);
  h.min = slice_range.lo;
  h.max = slice_range.hi;
  h.masked = slice_range.masked;
  set_scale(h, e.op, range_of(values));
  return h;
}

bool is_token_axis(const std::string& label) {
  using trace::Axis;
  for (Axis a : {Axis::InputTokens, Axis::PrefillTokens, Axis::PredictTokens, Axis::AllTokens})
    if (label == trace::axis_label_en(a)) return true;
  return false;
}

// Axis `axis` of `e` (of `n` entries). A token axis of a tensor the forward pass computed covers the last n
// positions the step has reached (the cache before it plus the tokens it pushed through): its queries are the
// newest tokens, its keys everything up to them. Token-id events are left out: the prefill's split-off last
// prompt token lies beyond the positions its step reaches.
HeatmapAxis heatmap_axis(const trace::Run& run, const trace::Event& e, size_t axis, int n,
                         const std::vector<TokenView>& sequence) {
  HeatmapAxis a;
  if (axis >= e.dims.size()) return a;
  a.name = e.dims[axis];
  const bool token_ids = e.role == trace::Role::Input || e.role == trace::Role::NextTokens;
  if (!is_token_axis(a.name) || token_ids || run.batch != 1) return a;
  const trace::StepRecord& step = run.steps.at(static_cast<size_t>(e.step));
  const int end = step.cache_len + step.tokens_in;
  if (end - n < 0 || end > static_cast<int>(sequence.size())) return a;
  a.first_position = end - n;
  a.pieces = std::all_of(sequence.begin() + a.first_position, sequence.begin() + end,
                         [](const TokenView& t) { return !t.piece.empty(); });
  for (int p = a.first_position; p < end; ++p)
    a.labels.push_back(a.pieces ? sequence[static_cast<size_t>(p)].label() : std::to_string(p));
  return a;
}

// "3 (all tokens): position 3, token d"
std::string axis_entry(const HeatmapAxis& a, int index) {
  std::string line = std::to_string(index) + (a.name.empty() ? "" : " (" + a.name + ")");
  if (a.first_position < 0) return line;
  line += ": position " + std::to_string(a.first_position + index);
  return a.pieces ? line + ", token " + a.labels.at(static_cast<size_t>(index)) : line;
}

Histogram histogram_of(const std::vector<float>& values) {
  Histogram h;
  h.bins.assign(kHistogramBins, 0);
  // Masked scores (the lowest float) would stretch the range until every real value shares one bin.
  const Range r = range_of(values);
  h.lo = r.lo;
  h.hi = r.hi;
  const float width = h.hi > h.lo ? (h.hi - h.lo) / kHistogramBins : 1.0f;
  for (float v : values)
    if (!is_masked_value(v) && std::isfinite(v))
      ++h.bins[std::clamp(static_cast<int>((v - h.lo) / width), 0, kHistogramBins - 1)];
  h.peak = *std::max_element(h.bins.begin(), h.bins.end());
  return h;
}

}  // namespace

std::string heatmap_title(const Heatmap& h) {
  const std::string size = std::to_string(h.rows) + " x " + std::to_string(h.cols);
  if (h.row_axis.name.empty()) return size + ", columns: " + h.col_axis.name;
  if (h.row_axis.name == h.col_axis.name) return size + ", rows and columns: " + h.row_axis.name;
  return size + ", rows: " + h.row_axis.name + ", columns: " + h.col_axis.name;
}

std::string cell_tooltip(const Heatmap& h, int row, int col) {
  char value[32];
  std::snprintf(value, sizeof value, "%.4g", h.cells.at(static_cast<size_t>(row) * h.cols + col));
  return "row " + axis_entry(h.row_axis, row) + "\ncolumn " + axis_entry(h.col_axis, col) + "\nvalue " + value;
}

bool is_masked_value(float v) { return v <= std::numeric_limits<float>::lowest() / 2; }

std::string slice_text(const Heatmap& h) {
  std::vector<std::string> parts;
  int rest = h.slice;
  std::vector<int> index(h.slice_dims.size());
  for (size_t i = h.slice_dims.size(); i-- > 0;) {
    index[i] = rest % std::max(h.slice_dims[i], 1);
    rest /= std::max(h.slice_dims[i], 1);
  }
  for (size_t i = 0; i < h.slice_dims.size(); ++i) {
    if (h.slice_dims[i] == 1 && h.slice_dims.size() > 1) continue;
    const std::string& axis = h.slice_names[i];
    char buf[160];
    const int n = index[i] + 1, of = h.slice_dims[i];
    if (axis == trace::axis_label_en(trace::Axis::Heads)) std::snprintf(buf, sizeof buf, tr("head %d of %d"), n, of);
    else if (axis == trace::axis_label_en(trace::Axis::KvHeads))
      std::snprintf(buf, sizeof buf, tr("kv head %d of %d"), n, of);
    else if (axis == trace::axis_label_en(trace::Axis::Batch))
      std::snprintf(buf, sizeof buf, tr("sequence %d of %d"), n, of);
    else std::snprintf(buf, sizeof buf, tr("%s %d of %d"), axis.c_str(), n, of);
    parts.push_back(buf);
  }
  return trace::join(parts, ", ");
}

Rgb heat_colour(const Heatmap& h, float v) {
  if (is_masked_value(v) || std::isnan(v)) return {190, 190, 190};
  auto byte = [](float x) { return static_cast<uint8_t>(std::lround(std::clamp(x, 0.0f, 255.0f))); };
  if (h.scale == HeatScale::Diverging) {
    const float m = std::max(h.scale_max, 1e-30f);
    const float t = std::clamp(v / m, -1.0f, 1.0f);
    const uint8_t fade = byte(255 * (1 - std::abs(t)));
    return t >= 0 ? Rgb{255, fade, fade} : Rgb{fade, fade, 255};
  }
  const float span = h.scale_max - h.scale_min;
  const float t = span > 0 ? std::clamp((v - h.scale_min) / span, 0.0f, 1.0f) : 0.0f;
  return {byte(255 - 215 * t), byte(255 - 175 * t), byte(255 - 80 * t)};
}

std::vector<float> colour_bar_ticks(const Heatmap& h, int max_ticks) {
  const float lo = h.scale_min, hi = h.scale_max;
  if (!(hi > lo)) return {lo};
  std::vector<float> out{lo};
  // Round values between the ends, but none within a tenth of the bar of an end label.
  const double margin = (hi - lo) * 0.1;
  for (double t : nice_ticks(lo, hi, max_ticks))
    if (t > lo + margin && t < hi - margin) out.push_back(static_cast<float>(t));
  out.push_back(hi);
  return out;
}

std::string neighbour_label(const trace::Event& e) {
  return std::string(e.name) + " (" + (e.layer >= 0 ? "L" + std::to_string(e.layer) + ", " : "") + "step " +
         std::to_string(e.step) + ")";
}

InspectorView build_inspector(const trace::Run& run, int event, int slice, bool meta,
                              const std::vector<TokenView>& sequence, const trace::WeightsFile& weights) {
  const trace::Event& e = run.events.at(event);
  InspectorView v;
  v.event = event;
  v.lines = describe(e);
  if (const std::string weight = trace::weight_of(e.key, e.layer); !weight.empty()) {
    // Where the learner sees what a quantized file does: the weight this tensor is computed from, as stored.
    const std::string as = weights.storage_of(weight);
    const bool tied = weight == "lm_head.weight" && !as.empty() &&
                      std::none_of(weights.stored_as.begin(), weights.stored_as.end(),
                                   [&](const auto& w) { return w.first == weight; });
    v.lines.insert(v.lines.begin() + 2, "weight: " + (tied ? "embed_tokens (tied)" : short_weight_name(weight)) +
                                            (as.empty() ? "" : ", stored as " + as));
  }
  for (int in : e.inputs) v.inputs.push_back({in, neighbour_label(run.events.at(in))});
  for (size_t j = static_cast<size_t>(event) + 1; j < run.events.size(); ++j) {
    const auto& inputs = run.events[j].inputs;
    if (std::find(inputs.begin(), inputs.end(), event) != inputs.end())
      v.consumers.push_back({static_cast<int>(j), neighbour_label(run.events[j])});
  }
  v.stats = e.stats;
  const auto values = e.values_of == trace::kAllValues ? trace::event_values(run, e) : std::nullopt;
  const bool whole = values && !values->empty() && static_cast<int64_t>(values->size()) == e.numel();
  if (whole) {
    v.heatmap = slice_of(e, *values, slice);
    const size_t rank = e.shape.size();
    Heatmap& h = *v.heatmap;
    if (rank >= 2) h.row_axis = heatmap_axis(run, e, rank - 2, h.rows, sequence);
    h.col_axis = heatmap_axis(run, e, rank - 1, h.cols, sequence);
    v.histogram = histogram_of(*values);
  } else if (meta) {
    v.values_note = "meta run: shapes only, no values";
  } else {
    v.values_note = "values not kept: " + std::to_string(e.numel()) + " elements is above the capture limit";
  }
  return v;
}

}  // namespace kvscope::gui
