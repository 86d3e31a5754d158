#include "app/gui/logic/op_colors.h"

namespace kvscope::gui {

// Families share a hue so a glance separates ids, norms, projections, attention and plumbing.
Rgb op_color(trace::Op op) {
  using trace::Op;
  switch (op) {
    case Op::Text:
    case Op::Tokenize:
    case Op::Input:
    case Op::Slice:
    case Op::Feedback:
    case Op::Argmax: return {96, 112, 140};
    case Op::Position: return {120, 120, 170};
    case Op::Embedding:
    case Op::Identity: return {70, 130, 110};
    case Op::RmsNorm: return {60, 150, 80};
    case Op::Linear: return {50, 100, 180};
    case Op::Rope: return {140, 80, 170};
    case Op::Matmul: return {200, 110, 40};
    case Op::Mask: return {180, 80, 80};
    case Op::Softmax: return {210, 150, 40};
    case Op::Concat: return {170, 60, 120};
    case Op::RepeatKv:
    case Op::Transpose:
    case Op::Reshape: return {110, 110, 110};
    case Op::Add:
    case Op::SiluMul: return {40, 140, 160};
  }
  return {128, 128, 128};
}

}  // namespace kvscope::gui
