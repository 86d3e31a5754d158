#include "app/gui/logic/chart_axes.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace kvscope::gui {

namespace {

// Relative slack for ratios of doubles: 0.3 / 0.1 must count as 3 steps, not 2.9999.
constexpr double kSlack = 1e-9;

// The 1-2-5 steps from just below `span / max_ticks` upwards, in order.
template <typename Fits>
double first_step(double span, int max_ticks, Fits fits) {
  const double rough = span / std::max(max_ticks, 1);
  double decade = std::pow(10.0, std::floor(std::log10(rough)) - 1);
  for (int i = 0; i < 40; decade *= 10, ++i)
    for (double m : {1.0, 2.0, 5.0})
      if (fits(m * decade)) return m * decade;
  return span;
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int max_ticks) {
  if (!(hi > lo) || max_ticks < 1) return {lo};
  auto count = [&](double step) { return std::floor(hi / step + kSlack) - std::ceil(lo / step - kSlack) + 1; };
  const double step = first_step(hi - lo, max_ticks, [&](double s) { return count(s) <= max_ticks; });
  std::vector<double> out;
  for (double k = std::ceil(lo / step - kSlack); k * step <= hi + step * kSlack; ++k)
    out.push_back(k == 0 ? 0.0 : k * step);  // no "-0"
  return out;
}

ZeroBasedAxis zero_based_axis(double max, int max_ticks) {
  ZeroBasedAxis axis;
  if (!(max > 0)) {
    axis.ticks = {0, 1};
    return axis;
  }
  const int most = std::max(max_ticks, 2);
  auto count = [&](double step) { return std::ceil(max / step - kSlack) + 1; };
  const double step = first_step(max, most, [&](double s) { return count(s) <= most; });
  const int n = static_cast<int>(count(step));
  for (int i = 0; i < n; ++i) axis.ticks.push_back(i * step);
  axis.top = axis.ticks.back();
  return axis;
}

std::vector<int> integer_ticks(int first, int last, int max_ticks) {
  if (last < first) return {};
  const int most = std::max(max_ticks, 1);
  for (int decade = 1;; decade *= 10)
    for (int m : {1, 2, 5}) {
      const int step = m * decade;
      const int first_multiple = (first + step - 1) / step * step;
      std::vector<int> out;
      if (first_multiple - first > step / 2.0 || first_multiple > last) out.push_back(first);
      for (int v = first_multiple; v <= last; v += step) out.push_back(v);
      if (static_cast<int>(out.size()) <= most || step > last - first) return out;
    }
}

std::string si_number(double v) {
  if (v == 0) return "0";
  static const char* kPrefixes[] = {"", " k", " M", " G", " T", " P"};
  double a = std::abs(v);
  int p = 0;
  // Compared with the rounded value, so 999.7 k reads "1 M" and not "1e+03 k".
  while (a >= 999.5 && p < 5) {
    a /= 1000;
    ++p;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%.3g%s", v < 0 ? "-" : "", a, kPrefixes[p]);
  return buf;
}

std::string si_quantity(double v, Unit unit) {
  const std::string n = si_number(v);
  if (unit == Unit::Macs) return n + " MACs";
  // "48 k" + "B" reads "48 kB"; a bare number takes a space.
  return n.back() >= '0' && n.back() <= '9' ? n + " B" : n + "B";
}

}  // namespace kvscope::gui
