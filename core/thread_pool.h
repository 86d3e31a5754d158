#pragma once
// The threads a forward pass runs on. Work is always split the same way for a given size — part p of `parts`
// takes a fixed contiguous range — and every output element is computed whole by one thread in one order, so
// results are bitwise identical for any thread count.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace kvscope::core {

class ThreadPool {
 public:
  // `threads` >= 1 threads in all: the caller's and threads - 1 workers.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(part) for part 0..size()-1, part 0 on the calling thread, and returns when every call has
  // returned. fn must not throw. Not reentrant: one run at a time.
  template <typename Fn>
  void run(const Fn& fn) {
    run_erased(&fn, [](const void* f, int part) { (*static_cast<const Fn*>(f))(part); });
  }

  // Part `part` of `parts` of [0, n): [n * part / parts, n * (part + 1) / parts).
  static int64_t begin(int64_t n, int part, int parts) { return n * part / parts; }

 private:
  using Call = void (*)(const void*, int);
  void run_erased(const void* fn, Call call);
  void work(int part);

  std::vector<std::thread> workers_;
  const void* fn_ = nullptr;
  Call call_ = nullptr;
  std::atomic<uint64_t> generation_{0};  // bumped for each run; workers wait for a change
  std::atomic<int> pending_{0};          // workers still busy with this run
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
};

// The number of cores this process may run on (sched_getaffinity), at least 1: the default of --threads.
int available_cores();

}  // namespace kvscope::core
