#pragma once
// The model's work (loading a model, computing steps) on a thread of its own, so that the window keeps drawing,
// with a progress bar, while a 1.1B model computes a step or loads for seconds. One job at a time, polled by the
// UI every frame. While a job steps the session, nothing else reads the session's runs (the app draws the views
// it built before); while one loads a new session, the old one is not touched.
#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "core/load_progress.h"

namespace kvscope::gui {

class BackgroundJob {
 public:
  enum class Kind { Load, Steps };

  BackgroundJob();
  ~BackgroundJob();  // cancels a load and waits for the thread
  BackgroundJob(BackgroundJob&&) noexcept;
  BackgroundJob& operator=(BackgroundJob&&) noexcept;

  // Runs `work` on a new thread, with load_progress() installed for the loads it makes. Throws std::logic_error
  // while another job runs.
  void start(Kind kind, std::string what, std::function<void()> work);
  bool running() const { return thread_.joinable(); }  // started and not yet collected
  bool finished() const;                               // the work has returned or thrown
  // Waits for the work, then rethrows what it threw (core::LoadCancelled for a cancelled load).
  void collect();
  void cancel();  // a load stops at its next progress report; steps run to their end

  Kind kind() const { return kind_; }
  const std::string& what() const { return what_; }  // "loading tinyllama", "token 5"
  double seconds() const;                            // since the start
  const core::LoadProgress& load_progress() const { return state_->progress; }

 private:
  struct State {
    core::LoadProgress progress;
    std::atomic<bool> finished{false};
    std::exception_ptr error;
    double started = 0;  // steady-clock seconds
  };
  std::unique_ptr<State> state_;
  std::thread thread_;
  Kind kind_ = Kind::Steps;
  std::string what_;
};

}  // namespace kvscope::gui
