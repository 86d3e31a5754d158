#pragma once
// A PRNG whose output is the same on every machine and compiler: splitmix64 for bits, Marsaglia's
// polar method for normals, with a logarithm computed by plain IEEE arithmetic (libm's may differ in
// the last bit across platforms; std::normal_distribution differs across standard libraries).
#include <cstdint>

namespace kvscope::core {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next_u64();
  double uniform();            // [0, 1), 53 bits
  uint32_t below(uint32_t n);  // [0, n)
  double normal();             // mean 0, std 1

 private:
  uint64_t state_;
  bool has_spare_ = false;
  double spare_ = 0;
};

// Natural log from +, -, *, / and exact exponent extraction: bit-identical everywhere.
double portable_log(double x);

// A stream for one tensor: independent of how many tensors came before it.
uint64_t stream_seed(uint64_t seed, uint64_t index);

}  // namespace kvscope::core
