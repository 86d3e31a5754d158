#pragma once
// The graph's colour per op kind, shared by the nodes and the legend.
#include <cstdint>

#include "trace/op.h"

namespace kvscope::gui {

struct Rgb {
  uint8_t r, g, b;
};

Rgb op_color(trace::Op op);

}  // namespace kvscope::gui
