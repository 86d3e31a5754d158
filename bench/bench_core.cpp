// Speed of the core: decode with and without a cache, what tracing costs, and a meta trace of openllama-3b.
// Targets (issue 2): meta trace of openllama-3b under 50 ms; shape-only tracing adds under 5% to decode;
// cached decode on stories15m reads its weights at >= 50% of the bandwidth of a plain copy (BM_Copy).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

#include "app/common/recording.h"
#include "core/model_source.h"

using namespace kvscope;

namespace {

constexpr int kPrompt = 16;

core::LlamaModel& stories() {
  static core::LlamaModel model = [] {
    const auto c = core::preset_config("stories15m");
    return core::LlamaModel(c, core::random_weights(c, 0));
  }();
  return model;
}

std::vector<std::vector<int32_t>> prompt(int n) {
  std::vector<int32_t> ids(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) ids[static_cast<size_t>(i)] = (i * 7919) % 32000;
  return {ids};
}

// Bytes of weights one decode step reads: every layer, the final norm and lm_head (one embedding row aside).
double weight_bytes_per_token(const core::LlamaConfig& c) {
  return static_cast<double>(c.parameter_count() - static_cast<int64_t>(c.vocab_size) * c.hidden_size) * 4.0;
}

// Generates up to `length` positions from a 16-token prompt; reports generated tokens per second.
void generate_to(benchmark::State& state, core::CacheMode mode) {
  const int length = static_cast<int>(state.range(0));
  core::LlamaModel& model = stories();
  const int new_tokens = length - kPrompt + 1;
  for (auto _ : state) {
    core::Generator gen(model, prompt(kPrompt), {mode, core::PrefillScheme::All, new_tokens}, nullptr);
    while (!gen.done()) benchmark::DoNotOptimize(gen.step());
  }
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(new_tokens) * state.iterations(),
                                                  benchmark::Counter::kIsRate);
}

void BM_CachedGenerate(benchmark::State& state) { generate_to(state, core::CacheMode::Cached); }
void BM_UncachedGenerate(benchmark::State& state) { generate_to(state, core::CacheMode::Uncached); }
BENCHMARK(BM_CachedGenerate)->Arg(32)->Arg(128)->Arg(256)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_UncachedGenerate)->Arg(32)->Arg(128)->Arg(256)->Unit(benchmark::kMillisecond)->Iterations(1);

// Cached decode steps of stories15m at positions 64..255, the cache refilled with the same 64-token prefill when
// full; one Recorder (and its run) per kind of sink, with memory for its events taken before timing, as
// RecordedGeneration takes it after its first decode step.
class DecodeSteps {
 public:
  enum Kind { kNoSink, kShapeSink, kValueSink, kKinds };

  DecodeSteps() : model_(stories()), ids_(prompt(64)[0]) {
    model_.reserve(1, 64, 256);
    refill();
    for (int kind = kShapeSink; kind < kKinds; ++kind) {
      trace::CaptureOptions capture;
      capture.stats = capture.values = kind == kValueSink;
      recorders_[kind] = std::make_unique<trace::Recorder>(runs_[kind], capture);
      step(static_cast<Kind>(kind));
      trace::Run& run = runs_[kind];
      size_t floats = 0;
      for (const trace::Event& e : run.events) floats += e.values ? e.values->size() : 0;
      const size_t steps = kMaxEvents / run.events.size() + 2;
      run.events.clear();
      run.store->values.clear();
      run.events.reserve(kMaxEvents + steps * 200);
      run.store->values.reserve(floats * steps);
    }
    refill();
  }

  // One step; refilling the cache and clearing a full run happen with timing paused.
  void step(Kind kind, benchmark::State* state = nullptr) {
    if (cache_->length() >= 255) paused(state, [&] { refill(); });
    in_.ids = std::span<const int32_t>(&token_, 1);
    token_ = model_.forward(in_, cache_.get(), recorders_[kind].get()).next_tokens[0];
    trace::Run& run = runs_[kind];
    if (run.events.size() > kMaxEvents)
      paused(state, [&] {
        run.events.clear();
        run.store->values.clear();
      });
  }

  const core::LlamaConfig& config() const { return model_.config(); }

 private:
  static constexpr size_t kMaxEvents = 100000;

  template <class F>
  static void paused(benchmark::State* state, F f) {
    if (state) state->PauseTiming();
    f();
    if (state) state->ResumeTiming();
  }

  void refill() {
    cache_ = std::make_unique<core::KvCache>(model_.config(), 1, 256, true);
    in_.phase = trace::Phase::Prefill;
    in_.tokens = 64;
    in_.ids = ids_;
    model_.forward(in_, cache_.get(), nullptr);
    in_.phase = trace::Phase::Decode;
    in_.tokens = 1;
  }

  core::LlamaModel& model_;
  std::vector<int32_t> ids_;
  std::unique_ptr<core::KvCache> cache_;
  core::PassInput in_;
  int32_t token_ = 1;
  std::array<trace::Run, kKinds> runs_;
  std::array<std::unique_ptr<trace::Recorder>, kKinds> recorders_;
};

void report_decode_rate(benchmark::State& state, const core::LlamaConfig& c, double steps) {
  state.counters["tokens/s"] = benchmark::Counter(steps, benchmark::Counter::kIsRate);
  state.counters["weights GB/s"] = benchmark::Counter(weight_bytes_per_token(c) * steps / 1e9,
                                                      benchmark::Counter::kIsRate);
}

void decode_steps(benchmark::State& state, DecodeSteps::Kind kind) {
  DecodeSteps steps;
  for (auto _ : state) steps.step(kind, &state);
  report_decode_rate(state, steps.config(), static_cast<double>(state.iterations()));
}

void BM_DecodeStep_NoSink(benchmark::State& state) { decode_steps(state, DecodeSteps::kNoSink); }
void BM_DecodeStep_ShapeSink(benchmark::State& state) { decode_steps(state, DecodeSteps::kShapeSink); }
void BM_DecodeStep_ValueSink(benchmark::State& state) { decode_steps(state, DecodeSteps::kValueSink); }
BENCHMARK(BM_DecodeStep_NoSink)->Unit(benchmark::kMicrosecond)->MinTime(1.0);
BENCHMARK(BM_DecodeStep_ShapeSink)->Unit(benchmark::kMicrosecond)->MinTime(1.0);
BENCHMARK(BM_DecodeStep_ValueSink)->Unit(benchmark::kMicrosecond)->MinTime(1.0);

// The three kinds in turn over one cache, each step timed alone: a drift of the machine (a VM's neighbours) falls
// on all three alike, so the ratios of their medians hold still where separate benchmarks wander by 10%.
void BM_DecodeStep_SinkRatios(benchmark::State& state) {
  DecodeSteps steps;
  std::array<std::vector<double>, DecodeSteps::kKinds> us;
  int first = 0;
  for (auto _ : state) {
    for (int i = 0; i < DecodeSteps::kKinds; ++i) {
      const int kind = (first + i) % DecodeSteps::kKinds;  // rotated, so no kind always follows the same one
      const auto t0 = std::chrono::steady_clock::now();
      steps.step(static_cast<DecodeSteps::Kind>(kind), &state);
      us[kind].push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    }
    first = (first + 1) % DecodeSteps::kKinds;
  }
  auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  const double none = median(us[DecodeSteps::kNoSink]);
  state.counters["no sink us"] = none;
  state.counters["shape/none"] = median(us[DecodeSteps::kShapeSink]) / none;
  state.counters["values/none"] = median(us[DecodeSteps::kValueSink]) / none;
}
BENCHMARK(BM_DecodeStep_SinkRatios)->Unit(benchmark::kMicrosecond)->MinTime(3.0);

// One shape-only event, a decode step's query_states ([1, 32, 1, 64] with four axis labels in two label sets):
// what the shape-only sink adds per tensor, of which a stories15m decode step records some 160.
void BM_RecordShapeEvent(benchmark::State& state) {
  constexpr size_t kBatch = 1 << 14;
  trace::Run run;
  trace::Recorder recorder(run, {});
  run.events.reserve(kBatch);
  trace::EventSpec spec;
  spec.tensor = trace::Tensor::query_states;
  spec.op = trace::Op::Linear;
  spec.phase = trace::Phase::Decode;
  spec.layer = 3;
  spec.step = 70;
  spec.view.rank = 4;
  spec.view.shape = {1, 32, 1, 64};
  spec.view.strides = {2048, 64, 64, 1};
  spec.axes = {trace::Axis::Batch, trace::Axis::Heads, trace::Axis::PredictTokens, trace::Axis::HeadDim};
  const int inputs[] = {5};
  spec.inputs = inputs;
  for (auto _ : state) {
    if (run.events.size() == kBatch) {
      state.PauseTiming();
      run.events.clear();
      state.ResumeTiming();
    }
    benchmark::DoNotOptimize(recorder.record(spec));
  }
}
BENCHMARK(BM_RecordShapeEvent)->Unit(benchmark::kNanosecond);

// The yardstick: a plain copy of a buffer larger than every cache, counting bytes read and written.
void BM_Copy(benchmark::State& state) {
  const size_t bytes = 256u << 20;
  std::vector<char> src(bytes, 1), dst(bytes, 0);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), bytes);
    benchmark::ClobberMemory();
  }
  state.counters["read+write GB/s"] = benchmark::Counter(2.0 * static_cast<double>(bytes) * state.iterations() / 1e9,
                                                         benchmark::Counter::kIsRate);
  state.counters["read GB/s"] = benchmark::Counter(static_cast<double>(bytes) * state.iterations() / 1e9,
                                                   benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Copy)->Unit(benchmark::kMillisecond);

// Seed 000's scenario in meta mode: 7 tokens, prefill 6, one decode step, every event recorded.
void BM_MetaTraceOpenLlama(benchmark::State& state) {
  core::LlamaModel model(core::preset_config("openllama-3b"), std::nullopt);
  size_t events = 0;
  for (auto _ : state) {
    app::RecordedGeneration gen(model, {{1, 2, 3, 4, 5, 6, 7}},
                                {core::CacheMode::Cached, core::PrefillScheme::AllButLast, 1}, {});
    gen.run_to_end();
    events = gen.run().events.size();
  }
  state.counters["events"] = static_cast<double>(events);
}
BENCHMARK(BM_MetaTraceOpenLlama)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
