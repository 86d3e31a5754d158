#pragma once
// Where a run keeps the values it records: chunks that never move, so an event holds a span, and whose memory
// can be taken (and faulted in) before a run records, not page by page while it does.
#include <cstddef>
#include <span>
#include <vector>

namespace kvscope::trace {

class ValueStore {
 public:
  ValueStore() = default;
  ValueStore(const ValueStore&) = delete;
  ValueStore& operator=(const ValueStore&) = delete;
  ~ValueStore();

  // Room for n floats, at an address that stays for the store's life (or until clear).
  std::span<float> allocate(std::size_t n);
  std::span<const float> copy(std::span<const float> values);
  // The next allocations, up to n floats in all, take no new memory.
  void reserve(std::size_t n);
  // Forgets every value and keeps the memory for the next ones; spans handed out before are invalid.
  void clear();

 private:
  struct Chunk {
    float* data = nullptr;
    std::size_t capacity = 0, used = 0;
  };
  void add_chunk(std::size_t capacity);
  std::vector<Chunk> chunks_;
  std::size_t current_ = 0;  // the chunk allocations come from; those after it are empty
};

}  // namespace kvscope::trace
