#include "trace/value_store.h"

#include <algorithm>

#include "trace/huge_page_allocator.h"

namespace kvscope::trace {

namespace {

constexpr std::size_t kChunkFloats = std::size_t{1} << 20;  // 4 MiB

}  // namespace

ValueStore::~ValueStore() {
  for (Chunk& c : chunks_) HugePageAllocator<float>().deallocate(c.data, c.capacity);
}

void ValueStore::add_chunk(std::size_t capacity) {
  chunks_.push_back({HugePageAllocator<float>().allocate(capacity), capacity, 0});
}

std::span<float> ValueStore::allocate(std::size_t n) {
  if (n == 0) return {};
  while (current_ < chunks_.size() && chunks_[current_].capacity - chunks_[current_].used < n) {
    if (current_ + 1 == chunks_.size()) break;
    ++current_;
  }
  if (chunks_.empty() || chunks_[current_].capacity - chunks_[current_].used < n) {
    add_chunk(std::max(n, kChunkFloats));
    current_ = chunks_.size() - 1;
  }
  Chunk& c = chunks_[current_];
  const std::span<float> out(c.data + c.used, n);
  c.used += n;
  return out;
}

std::span<const float> ValueStore::copy(std::span<const float> values) {
  const std::span<float> out = allocate(values.size());
  std::copy(values.begin(), values.end(), out.begin());
  return out;
}

void ValueStore::reserve(std::size_t n) {
  std::size_t room = 0;
  for (std::size_t i = current_; i < chunks_.size(); ++i) room += chunks_[i].capacity - chunks_[i].used;
  if (room < n) add_chunk(n - room);
}

void ValueStore::clear() {
  for (Chunk& c : chunks_) c.used = 0;
  current_ = 0;
}

}  // namespace kvscope::trace
