#include "trace/op.h"

#include <array>
#include <utility>

namespace kvscope::trace {

namespace {
constexpr std::array<std::pair<Op, std::string_view>, 21> kOpNames{{
    {Op::Text, "text"},          {Op::Tokenize, "tokenize"},   {Op::Input, "input"},         {Op::Slice, "slice"},
    {Op::Feedback, "feedback"},  {Op::Concat, "concat"},       {Op::Embedding, "embedding"}, {Op::Identity, "identity"},
    {Op::Position, "position"},  {Op::RmsNorm, "rmsnorm"},     {Op::Linear, "linear"},       {Op::Rope, "rope"},
    {Op::RepeatKv, "repeat_kv"}, {Op::Matmul, "matmul"},       {Op::Mask, "mask"},           {Op::Add, "add"},
    {Op::Softmax, "softmax"},    {Op::Transpose, "transpose"}, {Op::Reshape, "reshape"},     {Op::SiluMul, "silu_mul"},
    {Op::Argmax, "argmax"},
}};
}  // namespace

std::string_view op_name(Op op) {
  for (const auto& [o, n] : kOpNames)
    if (o == op) return n;
  return "?";
}

std::optional<Op> op_from_name(std::string_view name) {
  for (const auto& [o, n] : kOpNames)
    if (n == name) return o;
  return std::nullopt;
}

}  // namespace kvscope::trace
