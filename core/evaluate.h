#pragma once
// How well the model predicts a text: the mean next-token cross-entropy it is trained to lower, from every
// position's logits of full (uncached) passes.
#include <cstdint>
#include <optional>
#include <span>

#include "core/model.h"

namespace kvscope::core {

struct Loss {
  double total = 0.0;     // sum over the predicted tokens of -log p(token | the tokens before it), in nats
  int64_t predicted = 0;  // tokens predicted
  int64_t sequences = 0;  // forward passes (chunks)
  double mean() const { return predicted > 0 ? total / static_cast<double>(predicted) : 0.0; }
};

// One Full forward pass over `ids` from position 0: -log softmax(logits[t - 1])[ids[t]] for every t >= 1.
// Throws std::invalid_argument for a meta model, fewer than two ids, or an id outside the vocabulary.
Loss sequence_loss(LlamaModel& model, std::span<const int32_t> ids);

// The loss of a whole text's ids (encoded without BOS) in windows the model can read. With a BOS id: chunks of
// context - 1 ids, each evaluated as [bos] + chunk, so every id is predicted. Without: chunks of `context` ids,
// each predicted from its second id on. The last chunk holds the rest. Throws std::invalid_argument for a
// context below 2 and as sequence_loss does.
Loss chunked_loss(LlamaModel& model, std::span<const int32_t> ids, int context, std::optional<int32_t> bos);

}  // namespace kvscope::core
