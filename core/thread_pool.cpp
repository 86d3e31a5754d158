#include "core/thread_pool.h"

#include <sched.h>

namespace kvscope::core {

namespace {

// A decode step hands out dozens of short matrix-vector products: waking a sleeping thread for each would
// cost more than the product, so a worker spins this many rounds for the next run before it sleeps.
constexpr int kSpinRounds = 1 << 14;

void relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

ThreadPool::ThreadPool(int threads) {
  for (int part = 1; part < threads; ++part) workers_.emplace_back([this, part] { work(part); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_.store(true);
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::run_erased(const void* fn, Call call) {
  if (workers_.empty()) return call(fn, 0);
  fn_ = fn;
  call_ = call;
  pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  {
    // The lock orders the bump against a worker that is about to sleep, so no wake-up is lost.
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  call(fn, 0);
  // A worker the scheduler has set aside (a busy machine) gets this thread's core after a short spin.
  for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin) {
    if (spin < kSpinRounds) {
      relax();
    } else {
      std::this_thread::yield();
    }
  }
}

void ThreadPool::work(int part) {
  uint64_t seen = 0;
  for (;;) {
    uint64_t now = generation_.load(std::memory_order_acquire);
    for (int spin = 0; now == seen && spin < kSpinRounds; ++spin) {
      relax();
      now = generation_.load(std::memory_order_acquire);
    }
    if (now == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      now = generation_.load(std::memory_order_acquire);
    }
    seen = now;
    if (stopping_.load()) return;
    call_(fn_, part);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  const int n = CPU_COUNT(&set);
  return n > 0 ? n : 1;
}

}  // namespace kvscope::core
