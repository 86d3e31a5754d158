#include "trace/huge_page_allocator.h"

#include <sys/mman.h>

#include <cstdint>

namespace kvscope::trace {

namespace {

std::size_t rounded(std::size_t bytes) { return (bytes + kHugeThreshold - 1) / kHugeThreshold * kHugeThreshold; }

}  // namespace

void* map_huge(std::size_t bytes) {
  // Mapped one huge page larger, so the block can start on a 2 MiB boundary (where huge pages can back it).
  const std::size_t size = rounded(bytes) + kHugeThreshold;
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  auto* base = static_cast<char*>(p);
  const auto address = reinterpret_cast<std::uintptr_t>(base);
  char* aligned = base + (kHugeThreshold - address % kHugeThreshold) % kHugeThreshold;
  // Trims the unused head and tail, so only the aligned block stays mapped.
  if (aligned > base) munmap(base, static_cast<std::size_t>(aligned - base));
  char* end = aligned + rounded(bytes);
  if (base + size > end) munmap(end, static_cast<std::size_t>(base + size - end));
  madvise(aligned, rounded(bytes), MADV_HUGEPAGE);  // advice only: without huge pages the block still works
  // Faults the whole block in now, in one call, rather than page by page as events are recorded.
  madvise(aligned, rounded(bytes), MADV_POPULATE_WRITE);
  return aligned;
}

void unmap_huge(void* p, std::size_t bytes) { munmap(p, rounded(bytes)); }

}  // namespace kvscope::trace
