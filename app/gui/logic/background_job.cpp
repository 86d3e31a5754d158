#include "app/gui/logic/background_job.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <utility>

namespace kvscope::gui {

namespace {

constexpr int kWorkNice = 5;

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

BackgroundJob::BackgroundJob() : state_(std::make_unique<State>()) {}

BackgroundJob::~BackgroundJob() {
  if (!running()) return;
  cancel();
  thread_.join();
}

BackgroundJob::BackgroundJob(BackgroundJob&& other) noexcept
    : state_(std::move(other.state_)),
      thread_(std::move(other.thread_)),
      kind_(other.kind_),
      what_(std::move(other.what_)) {
  other.state_ = std::make_unique<State>();
}

BackgroundJob& BackgroundJob::operator=(BackgroundJob&& other) noexcept {
  if (this == &other) return *this;
  if (running()) {
    cancel();
    thread_.join();
  }
  state_ = std::exchange(other.state_, std::make_unique<State>());
  thread_ = std::move(other.thread_);
  kind_ = other.kind_;
  what_ = std::move(other.what_);
  return *this;
}

void BackgroundJob::start(Kind kind, std::string what, std::function<void()> work) {
  if (running()) throw std::logic_error("BackgroundJob::start: " + what_ + " is still under way");
  state_ = std::make_unique<State>();
  state_->started = now_seconds();
  kind_ = kind;
  what_ = std::move(what);
  thread_ = std::thread([state = state_.get(), work = std::move(work)] {
    // Below the UI thread, which needs a millisecond or two per frame and should get it when the model keeps
    // every core busy. Linux keeps nice per thread; the threads a job starts (a loaded model's pool) inherit it.
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), kWorkNice);
    try {
      core::ScopedLoadProgress installed(state->progress);
      work();
    } catch (...) {
      state->error = std::current_exception();
    }
    state->finished.store(true, std::memory_order_release);
  });
}

bool BackgroundJob::finished() const { return state_->finished.load(std::memory_order_acquire); }

void BackgroundJob::collect() {
  if (!running()) throw std::logic_error("BackgroundJob::collect: no job");
  thread_.join();
  if (state_->error) std::rethrow_exception(std::exchange(state_->error, nullptr));
}

void BackgroundJob::cancel() { state_->progress.cancel.store(true, std::memory_order_relaxed); }

double BackgroundJob::seconds() const { return running() ? now_seconds() - state_->started : 0; }

}  // namespace kvscope::gui
