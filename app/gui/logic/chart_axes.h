#pragma once
// Ticks and number labels shared by the work charts and the heatmap's colour bar. Pure functions, so what an
// axis says is decided (and tested) here, and the panels only place the text.
#include <string>
#include <vector>

namespace kvscope::gui {

// Multiples of one step of 1, 2 or 5 x 10^k inside [lo, hi], the smallest such step that gives at most
// `max_ticks` of them (at least one step is tried: a tiny range still gets its nearest round values).
std::vector<double> nice_ticks(double lo, double hi, int max_ticks);

// A y axis from 0: ticks 0, step, 2 step, ... up to `top`, the first multiple of the step at or above `max`,
// with at most `max_ticks` ticks counting 0. A max of 0 (nothing to plot yet) gives 0 and 1.
struct ZeroBasedAxis {
  double top = 1;
  std::vector<double> ticks;
};
ZeroBasedAxis zero_based_axis(double max, int max_ticks);

// Whole numbers in [first, last] for an x axis of tokens: the multiples of 1, 2, 5, 10, ... that fit
// `max_ticks`, and `first` as well when it is at least half a step before the first multiple.
std::vector<int> integer_ticks(int first, int last, int max_ticks);

// "0", "12", "500 k", "1.2 M", "3 G": at most three significant digits with an SI prefix.
std::string si_number(double v);

enum class Unit { Macs, Bytes };
// "1.2 M MACs", "12 MACs", "48 kB", "512 B".
std::string si_quantity(double v, Unit unit);

}  // namespace kvscope::gui
