#pragma once
// An allocator for the trace's growing buffers (events, kept values). A first touch of fresh memory costs a page
// fault per 4 KiB, and on virtual machines a fault can cost 10 us: a decode step that records 60 KiB of events would
// spend more in faults than in recording. Blocks of 2 MiB and more are mapped with transparent huge pages asked
// for, one fault per 2 MiB where the kernel grants them; smaller blocks come from the ordinary heap.
#include <cstddef>
#include <memory>
#include <new>

namespace kvscope::trace {

void* map_huge(std::size_t bytes);  // throws std::bad_alloc
void unmap_huge(void* p, std::size_t bytes);
constexpr std::size_t kHugeThreshold = std::size_t{2} << 20;

template <typename T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) {}  // NOLINT: rebinding converts implicitly

  T* allocate(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kHugeThreshold) return std::allocator<T>().allocate(n);
    return static_cast<T*>(map_huge(bytes));
  }
  void deallocate(T* p, std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kHugeThreshold) return std::allocator<T>().deallocate(p, n);
    unmap_huge(p, bytes);
  }
  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const {
    return true;
  }
};

}  // namespace kvscope::trace
