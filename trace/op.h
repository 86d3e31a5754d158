#pragma once
// What computed a tensor. The names are the trace's vocabulary: JSON, exports and the GUI's colours use them.
#include <optional>
#include <string_view>

namespace kvscope::trace {

enum class Op {
  Text,      // the prompt's text, as typed
  Tokenize,  // the token ids of a text
  Input,     // token ids given by the user
  Slice,     // part of another tensor (the prompt split of a cached run)
  Feedback,  // a predicted token fed back as the next input
  Concat,    // the cache grown by the new keys or values, or a sequence grown by a token
  Embedding,
  Identity,  // a layer's input: the previous layer's output
  Position,  // position ids
  RmsNorm,
  Linear,
  Rope,
  RepeatKv,
  Matmul,
  Mask,
  Add,
  Softmax,
  Transpose,
  Reshape,
  SiluMul,
  Argmax,
};

std::string_view op_name(Op op);
std::optional<Op> op_from_name(std::string_view name);

}  // namespace kvscope::trace
