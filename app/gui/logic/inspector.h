#pragma once
// The inspector's content for one tensor: identity, labelled shape, neighbours, statistics, and for runs
// with values a 2-D slice for the heatmap and a histogram. Read from the trace only.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "app/gui/logic/op_colors.h"
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

// How values map to colours. Probabilities (a softmax's output) keep one fixed 0..1 scale, so a row spread
// over 0.12..0.16 looks flat, as it is; other tensors use the range of the whole tensor (every slice, so
// stepping through heads keeps the colours comparable), diverging around 0 when they have both signs.
enum class HeatScale { Probability, Diverging, Sequential };

struct Heatmap {
  int rows = 0, cols = 0;
  std::vector<float> cells;  // row-major
  float min = 0, max = 0;    // this slice's finite, unmasked values
  int slices = 1;            // 2-D slices available: the product of the leading axes (heads, batch x heads)
  int slice = 0;
  std::string slice_axes;                // what a slice index selects, e.g. "batch x heads"
  std::vector<int> slice_dims;           // the leading axes' sizes, outermost first
  std::vector<std::string> slice_names;  // and their labels, e.g. "batch", "heads"
  HeatmapAxis row_axis, col_axis;

  HeatScale scale = HeatScale::Sequential;
  float scale_min = 0, scale_max = 1;  // the colour bar's ends: values beyond them take the end colours
  bool fixed_scale = false;            // the scale does not come from the data
  std::string scale_label;             // what the colours mean, in English (the panel translates it)
  int masked = 0;                      // cells of this slice that are masked out (−∞ before a softmax)
};

// A masked score: the causal mask adds the lowest float, which no real value comes near.
bool is_masked_value(float v);

// Which slice the heatmap shows, for the selector: "head 3 of 4"; batch x heads: "sequence 1 of 2, head 3 of 4".
// Axes of size 1 are left out. In the interface language.
std::string slice_text(const Heatmap& h);

// A cell's colour on the heatmap's scale: white to dark blue (probabilities and one-signed data), blue-white-red
// around 0 (diverging), grey for masked cells.
Rgb heat_colour(const Heatmap& h, float v);

// The colour bar's labelled values, ascending: its two ends and the round values between them that do not
// crowd them (0 and 0.5 and 1 for probabilities; -m, 0 and m for a diverging scale).
std::vector<float> colour_bar_ticks(const Heatmap& h, int max_ticks = 5);

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
// heatmap's token axes; `weights` says how the weight a tensor is computed from is stored ("weight:
// self_attn.q_proj, stored as Q4_K"). Throws std::out_of_range for an event not in the run.
InspectorView build_inspector(const trace::Run& run, int event, int slice, bool meta,
                              const std::vector<TokenView>& sequence, const trace::WeightsFile& weights);

std::string neighbour_label(const trace::Event& e);

}  // namespace kvscope::gui
