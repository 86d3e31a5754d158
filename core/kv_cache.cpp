#include "core/kv_cache.h"

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
  const size_t per_layer = static_cast<size_t>(batch_) * layer_stride_b();
  keys_.assign(static_cast<size_t>(layers_), std::vector<float>(per_layer));
  values_.assign(static_cast<size_t>(layers_), std::vector<float>(per_layer));
}

void KvCache::advance(int tokens) {
  if (length_ + tokens > max_len_)
    throw std::logic_error("KV cache overflow: " + std::to_string(length_ + tokens) + " > " + std::to_string(max_len_));
  length_ += tokens;
}

float* KvCache::keys(int layer, int b, int kv_head) {
  return keys_[static_cast<size_t>(layer)].data() + b * layer_stride_b() + static_cast<int64_t>(kv_head) * max_len_ * head_size_;
}

float* KvCache::values(int layer, int b, int kv_head) {
  return values_[static_cast<size_t>(layer)].data() + b * layer_stride_b() +
         static_cast<int64_t>(kv_head) * max_len_ * head_size_;
}

int64_t KvCache::allocated_bytes() const { return used_bytes(max_len_); }

int64_t KvCache::used_bytes(int length) const {
  // keys and values, every layer and sequence, float32
  return 2LL * layers_ * batch_ * kv_heads_ * static_cast<int64_t>(length) * head_size_ * static_cast<int64_t>(sizeof(float));
}

}  // namespace kvscope::core
