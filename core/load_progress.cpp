#include "core/load_progress.h"

namespace kvscope::core {

namespace {
thread_local LoadProgress* installed = nullptr;
}

ScopedLoadProgress::ScopedLoadProgress(LoadProgress& progress) : previous_(installed) { installed = &progress; }

ScopedLoadProgress::~ScopedLoadProgress() { installed = previous_; }

void report_load_progress(const char* stage, int64_t done, int64_t total) {
  LoadProgress* p = installed;
  if (!p) return;
  if (p->cancel.load(std::memory_order_relaxed)) throw LoadCancelled();
  p->stage.store(stage, std::memory_order_relaxed);
  p->total.store(total, std::memory_order_relaxed);
  p->done.store(done, std::memory_order_relaxed);
}

}  // namespace kvscope::core
