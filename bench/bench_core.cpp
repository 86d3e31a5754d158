// Speed of the core: decode with and without a cache, what tracing costs, and a meta trace of openllama-3b.
// Targets (issue 2): meta trace of openllama-3b under 50 ms; shape-only tracing adds under 5% to decode;
// cached decode on stories15m reads its weights at >= 50% of the bandwidth of a plain copy (BM_Copy).
#include <benchmark/benchmark.h>

#include <cstring>
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

// One cached decode step at position ~64, with no sink, a shape-only sink, or a value-capturing sink.
void decode_steps(benchmark::State& state, int sink_kind) {
  core::LlamaModel& model = stories();
  const auto& c = model.config();
  model.reserve(1, 64, 256);
  const auto ids = prompt(64)[0];
  core::PassInput in;
  // A fresh cache holding the 64-token prefill; `in` is left set for decode steps.
  auto prefilled = [&] {
    core::KvCache cache(c, 1, 256, true);
    in.phase = trace::Phase::Prefill;
    in.tokens = 64;
    in.ids = ids;
    model.forward(in, &cache, nullptr);
    in.phase = trace::Phase::Decode;
    in.tokens = 1;
    return cache;
  };
  core::KvCache cache = prefilled();
  int32_t token = 1;
  trace::Run run;
  trace::CaptureOptions capture;
  capture.stats = capture.values = sink_kind == 2;
  trace::Recorder recorder(run, capture);
  trace::Sink* sink = sink_kind == 0 ? nullptr : &recorder;
  // Memory for the events and values of the steps until the run is cleared, taken before timing as
  // RecordedGeneration takes it after its first decode step.
  constexpr size_t kMaxEvents = 100000;
  if (sink) {
    in.ids = std::span<const int32_t>(&token, 1);
    model.forward(in, &cache, sink);
    size_t floats = 0;
    for (const trace::Event& e : run.events) floats += e.values ? e.values->size() : 0;
    const size_t steps = kMaxEvents / run.events.size() + 2;
    run.events.clear();
    run.store->values.clear();
    run.events.reserve(kMaxEvents + steps * 200);
    run.store->values.reserve(floats * steps);
    cache = prefilled();
  }
  for (auto _ : state) {
    if (cache.length() >= 255) {  // keep the context near 64..255 without leaving the loop's steady state
      state.PauseTiming();
      cache = prefilled();
      state.ResumeTiming();
    }
    in.ids = std::span<const int32_t>(&token, 1);
    token = model.forward(in, &cache, sink).next_tokens[0];
    if (run.events.size() > kMaxEvents) {
      state.PauseTiming();
      run.events.clear();
      run.store->values.clear();
      state.ResumeTiming();
    }
  }
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["weights GB/s"] = benchmark::Counter(weight_bytes_per_token(c) * state.iterations() / 1e9,
                                                      benchmark::Counter::kIsRate);
}

void BM_DecodeStep_NoSink(benchmark::State& state) { decode_steps(state, 0); }
void BM_DecodeStep_ShapeSink(benchmark::State& state) { decode_steps(state, 1); }
void BM_DecodeStep_ValueSink(benchmark::State& state) { decode_steps(state, 2); }
BENCHMARK(BM_DecodeStep_NoSink)->Unit(benchmark::kMicrosecond)->MinTime(1.0);
BENCHMARK(BM_DecodeStep_ShapeSink)->Unit(benchmark::kMicrosecond)->MinTime(1.0);
BENCHMARK(BM_DecodeStep_ValueSink)->Unit(benchmark::kMicrosecond)->MinTime(1.0);

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
