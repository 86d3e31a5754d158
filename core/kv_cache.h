#pragma once
// Keys and values of every layer, allocated once for the run's longest sequence.
#include <cstdint>
#include <vector>

#include "core/config.h"

namespace kvscope::core {

class KvCache {
 public:
  // allocate = false: meta runs keep the bookkeeping (lengths, bytes) without the memory.
  KvCache(const LlamaConfig& config, int batch, int max_len, bool allocate);

  int length() const { return length_; }
  int max_len() const { return max_len_; }
  void advance(int tokens);

  // Stores one layer's keys and values of the pass's `tokens` new positions at [length, length + tokens);
  // both are [batch, tokens, kv_heads * head_size] rows. An overflowing write throws before writing.
  void write(int layer, const float* keys, const float* values, int tokens);

  // One layer's [batch, kv_heads, max_len, head_size] block; positions [0, length) are valid. Null when
  // the cache holds no memory (meta runs).
  const float* keys(int layer) const;
  const float* values(int layer) const;
  int64_t layer_stride_b() const { return static_cast<int64_t>(kv_heads_) * max_len_ * head_size_; }

  int64_t allocated_bytes() const;       // what the run reserved
  int64_t used_bytes(int length) const;  // what `length` positions occupy
  int64_t used_bytes() const { return used_bytes(length_); }

  // Trace ids of the events that hold each layer's key and value history, -1 before any.
  std::vector<int> key_event, value_event;

 private:
  int layers_, batch_, kv_heads_, head_size_, max_len_;
  int length_ = 0;
  std::vector<std::vector<float>> keys_, values_;  // per layer: [batch, kv_heads, max_len, head_size]
};

}  // namespace kvscope::core
