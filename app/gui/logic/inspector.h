#pragma once
// The inspector's content for one tensor: identity, labelled shape, neighbours, statistics, and for runs
// with values a 2-D slice for the heatmap and a histogram. Read from the trace only.
#include <optional>
#include <string>
#include <vector>

#include "app/gui/logic/tokens.h"
#include "trace/event.h"

namespace kvscope::gui {

// One axis of a heatmap. A token axis (attention: rows are the queries, columns the keys they attend to) is
// labelled with the sequence's tokens at its positions.
struct HeatmapAxis {
  std::string name;                 // the axis's label: "all tokens", "head size"
  int first_position = -1;          // a token axis: the sequence position of its index 0; -1 otherwise
  std::vector<std::string> labels;  // a token axis: each position's visible piece, or its number without pieces
  bool pieces = false;              // the labels are pieces
};

struct Neighbour {
  int event = -1;
  std::string label;  // "name (L0, step 1)"
};

struct Heatmap {
  int rows = 0, cols = 0;
  std::vector<float> cells;  // row-major
  float min = 0, max = 0;
  int slices = 1;  // 2-D slices available: the product of the leading axes (heads, batch x heads)
  int slice = 0;
  std::string slice_axes;  // what a slice index selects, e.g. "heads"
  HeatmapAxis row_axis, col_axis;
};

// "18 x 18, rows and columns: all tokens"; "1 x 18, rows: predicted tokens, columns: all tokens".
std::string heatmap_title(const Heatmap& h);
// A cell's tooltip: its row and column (with their tokens on token axes) and its value.
std::string cell_tooltip(const Heatmap& h, int row, int col);

struct Histogram {
  std::vector<int> bins;
  float lo = 0, hi = 0;
  int peak = 0;
};

struct InspectorView {
  int event = -1;
  std::vector<std::string> lines;  // name, op, layer, step, phase, shape and labelled axes
  std::vector<Neighbour> inputs, consumers;
  std::optional<trace::Stats> stats;
  std::optional<Heatmap> heatmap;
  std::optional<Histogram> histogram;
  std::string values_note;  // why there is no heatmap, when there is none
};

// `slice` is clamped to the slices the tensor has. `sequence` is the run's tokens (sequence_tokens), for the
// heatmap's token axes. Throws std::out_of_range for an event not in the run.
InspectorView build_inspector(const trace::Run& run, int event, int slice, bool meta,
                              const std::vector<TokenView>& sequence);

std::string neighbour_label(const trace::Event& e);

}  // namespace kvscope::gui
