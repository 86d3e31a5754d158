#pragma once
// Sizes computed before anything is allocated: a product of config fields and run lengths that overflows 64
// bits, or needs more memory than the machine has, is refused with one line saying what and how much, never a
// bare std::bad_alloc or a wrapped-around size.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

namespace kvscope::core {

// The product of `factors` (each >= 0). Throws std::length_error naming `what` when it overflows int64.
int64_t checked_product(std::initializer_list<int64_t> factors, const std::string& what);
// a + b, throwing std::length_error naming `what` on overflow.
int64_t checked_sum(int64_t a, int64_t b, const std::string& what);

// Memory the kernel says can be used without swapping (/proc/meminfo's MemAvailable), or the process's address
// space limit (ulimit -v) when that is lower; nullopt when neither is known.
std::optional<int64_t> available_memory_bytes();

// Throws std::length_error ("the KV cache needs 52.1 GB, more than the 20.3 GB of memory available; ...") when
// `bytes` exceed the memory the kernel says is available. `advice` ends the message.
void check_fits(int64_t bytes, const std::string& what, const std::string& advice);

// "52.1 GB"
std::string gigabytes(int64_t bytes);

}  // namespace kvscope::core
