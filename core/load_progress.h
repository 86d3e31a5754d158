#pragma once
// How far a model's load has got, and a way to give it up. Loading a large model takes seconds (converting
// K-quants to Q8_0, scanning every weight for NaN, reading pages from disk); the app shows a progress bar and a
// Cancel button meanwhile. A load reports to the LoadProgress installed on its own thread (ScopedLoadProgress),
// so that the loaders' signatures, which many callers share, need not carry it; without one, reports cost a
// thread-local read.
#include <atomic>
#include <cstdint>
#include <stdexcept>

namespace kvscope::core {

// Written by the loading thread, read by any other.
struct LoadProgress {
  std::atomic<const char*> stage{""};  // what the load does now ("reading the weights"); a string literal
  std::atomic<int64_t> done{0}, total{0};
  std::atomic<bool> cancel{false};  // set by another thread: the load stops at its next report
};

// Thrown by a load whose LoadProgress was cancelled.
class LoadCancelled : public std::runtime_error {
 public:
  LoadCancelled() : std::runtime_error("loading cancelled") {}
};

// Installs `progress` for loads on this thread until destroyed (the one before is restored).
class ScopedLoadProgress {
 public:
  explicit ScopedLoadProgress(LoadProgress& progress);
  ~ScopedLoadProgress();
  ScopedLoadProgress(const ScopedLoadProgress&) = delete;
  ScopedLoadProgress& operator=(const ScopedLoadProgress&) = delete;

 private:
  LoadProgress* previous_;
};

// `done` of `total` units of `stage` (a string literal). Throws LoadCancelled when the installed progress has
// been cancelled.
void report_load_progress(const char* stage, int64_t done, int64_t total);

}  // namespace kvscope::core
