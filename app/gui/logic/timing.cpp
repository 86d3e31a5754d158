#include "app/gui/logic/timing.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <stdexcept>

#include "app/gui/logic/ui_text.h"
#include "core/generator.h"

namespace kvscope::gui {

double median(std::vector<double> samples) {
  if (samples.empty()) throw std::invalid_argument("median of no samples");
  const size_t mid = samples.size() / 2;
  std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(mid), samples.end());
  if (samples.size() % 2) return samples[mid];
  const double upper = samples[mid];
  const double lower = *std::max_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}

namespace {
std::string meta_reason() { return tr("meta run: shapes only, nothing is computed, so there is no time to measure"); }
}  // namespace

std::string timing_unavailable_reason(const app::RunSpec& spec) { return spec.meta ? meta_reason() : std::string(); }

namespace {

struct Cancelled {};

// One whole generation without a trace sink: what the model costs, not the recorder. Returns its ms.
double generate_once(core::LlamaModel& model, const app::LoadedRun& loaded, const core::GenerationOptions& options,
                     const std::atomic<bool>* cancel, std::vector<int32_t>* tokens) {
  core::Generator gen(model, loaded.prompts.ids, options, nullptr);
  const auto start = std::chrono::steady_clock::now();
  while (!gen.done()) {
    if (cancel && cancel->load()) throw Cancelled{};
    gen.step();
  }
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (tokens) {
    const auto& seq = gen.sequences().front();
    tokens->assign(seq.begin() + static_cast<std::ptrdiff_t>(loaded.prompts.ids.front().size()), seq.end());
  }
  return ms;
}

}  // namespace

std::optional<TimingResult> time_generation(const app::RunSpec& spec, int runs, const std::atomic<bool>* cancel) {
  if (runs < 1) throw std::invalid_argument("timing needs at least one run, got " + std::to_string(runs));
  if (const std::string why = timing_unavailable_reason(spec); !why.empty()) throw std::invalid_argument(why);
  const app::LoadedRun loaded = app::load_run(spec);
  if (loaded.model->meta()) throw std::invalid_argument(meta_reason());
  TimingResult r;
  r.spec = spec;
  r.runs = runs;
  const core::GenerationOptions cached = app::generation_options(spec, core::CacheMode::Cached, loaded);
  const core::GenerationOptions uncached = app::generation_options(spec, core::CacheMode::Uncached, loaded);
  try {
    generate_once(*loaded.model, loaded, cached, cancel, nullptr);
    generate_once(*loaded.model, loaded, uncached, cancel, nullptr);
    for (int i = 0; i < runs; ++i) {
      const bool cached_first = i % 2 == 0;
      for (int k = 0; k < 2; ++k) {
        const bool is_cached = (k == 0) == cached_first;
        const double ms = generate_once(*loaded.model, loaded, is_cached ? cached : uncached, cancel,
                                        is_cached ? &r.cached_tokens : &r.uncached_tokens);
        (is_cached ? r.cached_ms : r.uncached_ms).push_back(ms);
      }
    }
  } catch (const Cancelled&) {
    return std::nullopt;
  }
  r.tokens = static_cast<int>(r.cached_tokens.size());
  r.cached_median_ms = median(r.cached_ms);
  r.uncached_median_ms = median(r.uncached_ms);
  return r;
}

bool same_generation(const app::RunSpec& a, const app::RunSpec& b) {
  return a.model == b.model && a.seed == b.seed && a.meta == b.meta && a.batch == b.batch &&
         a.prompt_text == b.prompt_text && a.prompts == b.prompts && a.prompt_len == b.prompt_len &&
         a.tokenizer == b.tokenizer && a.new_tokens == b.new_tokens && a.stop_at_eos == b.stop_at_eos &&
         a.prefill == b.prefill;
}

struct TimingJob::Shared {
  std::atomic<bool> running{false}, cancel{false};
  mutable std::mutex mutex;
  std::optional<TimingResult> result;
  std::string error;
};

TimingJob::TimingJob() : shared_(std::make_shared<Shared>()) {}
TimingJob::~TimingJob() { stop(); }
TimingJob::TimingJob(TimingJob&&) noexcept = default;

TimingJob& TimingJob::operator=(TimingJob&& other) noexcept {
  if (this != &other) {
    stop();
    shared_ = std::move(other.shared_);
    thread_ = std::move(other.thread_);
  }
  return *this;
}

void TimingJob::stop() {
  if (!thread_.joinable()) return;
  shared_->cancel = true;
  thread_.join();
  shared_->cancel = false;
}

void TimingJob::start(const app::RunSpec& spec, int runs) {
  stop();
  {
    std::lock_guard lock(shared_->mutex);
    shared_->error.clear();
  }
  shared_->running = true;
  thread_ = std::thread([shared = shared_, spec, runs] {
    std::optional<TimingResult> result;
    std::string error;
    try {
      result = time_generation(spec, runs, &shared->cancel);
    } catch (const std::exception& e) {
      error = e.what();
    }
    {
      std::lock_guard lock(shared->mutex);
      if (result) shared->result = std::move(result);
      shared->error = error;
    }
    shared->running = false;
  });
}

bool TimingJob::running() const { return shared_ && shared_->running; }

std::optional<TimingResult> TimingJob::result_for(const app::RunSpec& spec) const {
  if (!shared_) return std::nullopt;
  std::lock_guard lock(shared_->mutex);
  if (!shared_->result || !same_generation(shared_->result->spec, spec)) return std::nullopt;
  return shared_->result;
}

std::string TimingJob::error() const {
  if (!shared_) return {};
  std::lock_guard lock(shared_->mutex);
  return shared_->error;
}

}  // namespace kvscope::gui
