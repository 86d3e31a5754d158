#pragma once
// Wall-clock time of the whole generation, cached and uncached, as a median over repeated runs. A single
// timed pass measures the machine's load as much as the cache (under load the cached run can come out
// slower), so the app shows time only this way, labelled as a median of N runs. The replays run the core
// without a trace sink, on a model of their own, in a thread of their own: the app stays responsive and the
// session's model is never shared between threads.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/common/recording.h"

namespace kvscope::gui {

inline constexpr int kTimingRuns = 5;

// The middle sample, or the mean of the two middle ones. Throws std::invalid_argument when there is none.
double median(std::vector<double> samples);

struct TimingResult {
  app::RunSpec spec;  // the generation measured
  int runs = 0;
  int tokens = 0;                              // tokens each run generated
  std::vector<double> cached_ms, uncached_ms;  // the whole generation, once per run
  double cached_median_ms = 0, uncached_median_ms = 0;
  // The first sequence's generated tokens in each mode, from the last run: the replay made what the session shows.
  std::vector<int32_t> cached_tokens, uncached_tokens;
};

// Why a generation cannot be timed, in the interface language; empty when it can. A meta run computes
// nothing: its passes take no time worth showing.
std::string timing_unavailable_reason(const app::RunSpec& spec);

// Loads the model of `spec` and generates with it `runs` times per mode, after one untimed warm-up run of each
// (the first pass sizes the model's buffers). Cached and uncached runs alternate, each taking the lead in
// turn, so that a change of load falls on both. `cancel`, when set, stops it between steps (returns nullopt).
// Throws std::invalid_argument for a meta spec or runs < 1, and what loading the model throws.
std::optional<TimingResult> time_generation(const app::RunSpec& spec, int runs,
                                            const std::atomic<bool>* cancel = nullptr);

// Whether two specs describe the same generation (a timing of one is a timing of the other).
bool same_generation(const app::RunSpec& a, const app::RunSpec& b);

// time_generation in a background thread, polled by the UI every frame.
class TimingJob {
 public:
  TimingJob();
  ~TimingJob();  // stops the replay under way at its next step
  TimingJob(TimingJob&&) noexcept;
  TimingJob& operator=(TimingJob&&) noexcept;

  void start(const app::RunSpec& spec, int runs = kTimingRuns);  // stops a job under way first
  bool running() const;
  // The last finished timing, when it measured `spec`'s generation.
  std::optional<TimingResult> result_for(const app::RunSpec& spec) const;
  std::string error() const;  // why the last job failed; empty when it did not

 private:
  struct Shared;
  void stop();
  std::shared_ptr<Shared> shared_;
  std::thread thread_;
};

}  // namespace kvscope::gui
