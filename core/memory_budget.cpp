#include "core/memory_budget.h"

#include <cstdio>
#include <stdexcept>

#include <algorithm>
#include <cstdint>
#include <fstream>

#include <sys/resource.h>

namespace kvscope::core {

std::optional<int64_t> available_memory_bytes() {
  std::optional<int64_t> available;
  std::ifstream meminfo("/proc/meminfo");
  std::string key, unit;
  int64_t kib = 0;
  while (meminfo >> key >> kib >> unit)
    if (key == "MemAvailable:") available = kib * 1024;
  // A process limit (ulimit -v) binds before the machine does.
  rlimit limit{};
  if (::getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    const auto cap = static_cast<int64_t>(std::min<rlim_t>(limit.rlim_cur, INT64_MAX));
    available = available ? std::min(*available, cap) : cap;
  }
  return available;
}

int64_t checked_product(std::initializer_list<int64_t> factors, const std::string& what) {
  int64_t p = 1;
  for (int64_t f : factors)
    if (f < 0 || __builtin_mul_overflow(p, f, &p)) throw std::length_error(what + ": the size overflows 64 bits");
  return p;
}

int64_t checked_sum(int64_t a, int64_t b, const std::string& what) {
  int64_t s = 0;
  if (__builtin_add_overflow(a, b, &s)) throw std::length_error(what + ": the size overflows 64 bits");
  return s;
}

std::string gigabytes(int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f GB", static_cast<double>(bytes) / 1e9);
  return text;
}

void check_fits(int64_t bytes, const std::string& what, const std::string& advice) {
  const std::optional<int64_t> available = available_memory_bytes();
  if (!available || bytes <= *available) return;
  throw std::length_error(what + " needs " + gigabytes(bytes) + ", more than the " + gigabytes(*available) +
                          " of memory available; " + advice);
}

}  // namespace kvscope::core
