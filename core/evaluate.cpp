#include "core/evaluate.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace kvscope::core {

namespace {

// -log softmax(row)[target] as log-sum-exp in double: float logits of a confident model overflow exp().
double neg_log_prob(std::span<const float> row, int32_t target) {
  const double max = *std::max_element(row.begin(), row.end());
  double sum = 0.0;
  for (float x : row) sum += std::exp(static_cast<double>(x) - max);
  return max + std::log(sum) - static_cast<double>(row[static_cast<size_t>(target)]);
}

}  // namespace

Loss sequence_loss(LlamaModel& model, std::span<const int32_t> ids) {
  if (model.meta()) throw std::invalid_argument("a loss needs weights, and the model is meta (shapes only)");
  const int n = static_cast<int>(ids.size());
  if (n < 2) throw std::invalid_argument("a loss needs at least two ids, got " + std::to_string(n));
  model.config().check_token_ids({std::vector<int32_t>(ids.begin(), ids.end())});

  model.reserve(1, n, n);
  PassInput in;
  in.phase = trace::Phase::Full;
  in.tokens = n;
  in.ids = ids;
  model.forward(in, nullptr, nullptr);

  const std::span<const float> logits = model.logits(0);
  const size_t v = static_cast<size_t>(model.config().vocab_size);
  Loss loss;
  loss.sequences = 1;
  loss.predicted = n - 1;
  for (size_t t = 1; t < ids.size(); ++t) loss.total += neg_log_prob(logits.subspan((t - 1) * v, v), ids[t]);
  return loss;
}

Loss chunked_loss(LlamaModel& model, std::span<const int32_t> ids, int context, std::optional<int32_t> bos) {
  if (context < 2) throw std::invalid_argument("the context must hold at least 2 ids, got " + std::to_string(context));
  const size_t chunk = static_cast<size_t>(bos ? context - 1 : context);
  std::vector<int32_t> window;
  Loss loss;
  for (size_t first = 0; first < ids.size(); first += chunk) {
    const std::span<const int32_t> part = ids.subspan(first, std::min(chunk, ids.size() - first));
    window.clear();
    if (bos) window.push_back(*bos);
    window.insert(window.end(), part.begin(), part.end());
    if (window.size() < 2) continue;  // a lone last id without BOS has nothing before it to predict it from
    const Loss l = sequence_loss(model, window);
    loss.total += l.total;
    loss.predicted += l.predicted;
    loss.sequences += l.sequences;
  }
  return loss;
}

}  // namespace kvscope::core
