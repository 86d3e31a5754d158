#include "core/kv_cache.h"

#include "core/memory_budget.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace kvscope::core {

KvCache::KvCache(const LlamaConfig& config, int batch, int max_len, bool allocate)
    : key_event(static_cast<size_t>(config.num_hidden_layers), -1),
      value_event(static_cast<size_t>(config.num_hidden_layers), -1),
      layers_(config.num_hidden_layers),
      batch_(batch),
      kv_heads_(config.num_key_value_heads),
      head_size_(config.head_size()),
      max_len_(max_len) {
  if (!allocate) return;
  const std::string what = "the KV cache of " + std::to_string(batch) + " x " + std::to_string(max_len) + " positions";
  check_fits(checked_product({2, layers_, batch_, kv_heads_, max_len_, head_size_, int64_t{sizeof(float)}}, what), what,
             "use a smaller batch or fewer tokens");
  const size_t per_layer = static_cast<size_t>(batch_) * layer_stride_b();
  keys_.assign(static_cast<size_t>(layers_), std::vector<float>(per_layer));
  values_.assign(static_cast<size_t>(layers_), std::vector<float>(per_layer));
}

void KvCache::advance(int tokens) {
  if (length_ + tokens > max_len_)
    throw std::logic_error("KV cache overflow: " + std::to_string(length_ + tokens) + " > " + std::to_string(max_len_));
  length_ += tokens;
}

void KvCache::write(int layer, const float* keys, const float* values, int tokens) {
  if (length_ + tokens > max_len_)
    throw std::length_error("KV cache: writing " + std::to_string(tokens) + " positions after " +
                            std::to_string(length_) + " overflows its " + std::to_string(max_len_) +
                            " reserved positions");
  if (keys_.empty()) return;
  const int64_t row = static_cast<int64_t>(kv_heads_) * head_size_;
  float* k = keys_[static_cast<size_t>(layer)].data();
  float* v = values_[static_cast<size_t>(layer)].data();
  for (int b = 0; b < batch_; ++b)
    for (int h = 0; h < kv_heads_; ++h)
      for (int t = 0; t < tokens; ++t) {
        const int64_t src = (static_cast<int64_t>(b) * tokens + t) * row + static_cast<int64_t>(h) * head_size_;
        const int64_t dst = b * layer_stride_b() + (static_cast<int64_t>(h) * max_len_ + length_ + t) * head_size_;
        std::copy_n(keys + src, head_size_, k + dst);
        std::copy_n(values + src, head_size_, v + dst);
      }
}

const float* KvCache::keys(int layer) const {
  return keys_.empty() ? nullptr : keys_[static_cast<size_t>(layer)].data();
}

const float* KvCache::values(int layer) const {
  return values_.empty() ? nullptr : values_[static_cast<size_t>(layer)].data();
}

int64_t KvCache::allocated_bytes() const { return used_bytes(max_len_); }

int64_t KvCache::used_bytes(int length) const {
  // keys and values, every layer and sequence, float32
  return 2LL * layers_ * batch_ * kv_heads_ * static_cast<int64_t>(length) * head_size_ *
         static_cast<int64_t>(sizeof(float));
}

}  // namespace kvscope::core
