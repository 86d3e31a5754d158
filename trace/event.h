#pragma once
// One trace event per intermediate tensor, and the runs and documents that hold them.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trace/axis.h"
#include "trace/huge_page_allocator.h"
#include "trace/op.h"
#include "trace/small_vector.h"
#include "trace/string_pool.h"
#include "trace/tensor_names.h"
#include "trace/tensor_view.h"
#include "trace/value_store.h"

namespace kvscope::trace {

enum class CacheMode { Cached, Uncached };
std::string_view cache_mode_name(CacheMode m);
std::optional<CacheMode> cache_mode_from_name(std::string_view name);

enum class PrefillScheme {
  AllButLast,  // seed 000: prefill N-1 tokens, then the last prompt token takes the decode path
  All,         // HF generate and seed 004's toy module: prefill all N and predict from the last row
};
std::string_view prefill_scheme_name(PrefillScheme p);
std::optional<PrefillScheme> prefill_scheme_from_name(std::string_view name);

enum class DType { Float32, Int32, Text };
std::string_view dtype_name(DType d);
std::optional<DType> dtype_from_name(std::string_view name);

// Over the finite values; NaNs and infinities are counted apart, so one NaN does not hide the rest.
struct Stats {
  double min = 0, max = 0, mean = 0, std = 0;
  int64_t nonfinite = 0;
};

constexpr int kMaxInputs = 4;
using Shape = SmallVector<int64_t, kMaxRank>;
using AxisLabels = SmallVector<std::string_view, kMaxRank>;
using Inputs = SmallVector<int, kMaxInputs>;

// An event's values_of.
inline constexpr std::string_view kAllValues = "all";
inline constexpr std::string_view kLastRowValues = "last_row";

// Every text field is a view: of the naming table's strings for a recorded event, of its run's string pool for
// one read from a file or built by hand; values are a span of its run's value store. So recording an event
// allocates nothing.
struct Event {
  int id = -1;
  std::string_view name;
  std::string_view key;  // the same for every phase: "query_states" for "prefill_query_states" too
  Role role = Role::Intermediate;
  Shape shape;
  AxisLabels dims;     // English label per axis
  AxisLabels dims_zh;  // the seed's Chinese label per axis
  int layer = -1;      // -1 outside the decoder layers
  int step = 0;
  Phase phase = Phase::Prefill;
  Op op = Op::Input;
  Inputs inputs;  // ids of the events this tensor was computed from
  DType dtype = DType::Float32;
  std::optional<Stats> stats;
  // Row-major values. "all": the whole tensor; "last_row": only the last index of the token axis
  // (the second-to-last axis), kept for logits too large to store whole.
  std::optional<std::span<const float>> values;
  // The values are those of the inputs, joined by the op (the cache's history, repeat_kv), and are not stored
  // again: event_values (trace/event_values.h) rebuilds them.
  bool values_from_inputs = false;
  std::string_view values_of;
  std::string text;                 // input_string: the prompt as typed (its shape is empty)
  std::vector<std::string> pieces;  // token ids (input and next_tokens): each id's piece, when a tokenizer is known

  int64_t numel() const;
};

// What an emitter knows at the call site; it allocates nothing, so an emit with no sink is free.
struct EventSpec {
  Tensor tensor = Tensor::input_ids;  // its key, name (in `phase`) and role
  Op op = Op::Input;
  TensorView view;
  std::array<Axis, kMaxRank> axes{};
  int layer = -1;
  int step = 0;
  Phase phase = Phase::Prefill;
  std::span<const int> inputs;
  std::string_view text;  // input_string only
};

// Receives events as the model computes them; returns the new event's id.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual int record(const EventSpec& spec) = 0;
  virtual int next_id() const = 0;  // the id the next event will get
};

// The text of events read from a file or built by hand, and the values of every event.
struct EventStore {
  StringPool strings;
  ValueStore values;
};

// One generation step of a run, as the trace's consumers need it.
struct StepRecord {
  int step = 0;
  Phase phase = Phase::Prefill;
  int tokens_in = 0;             // tokens per sequence pushed through the layers in this step
  int cache_len = 0;             // cached positions before the step (0 for uncached runs)
  int generated_index = -1;      // which generated token this step produced, -1 for none
  std::vector<int> next_tokens;  // one per sequence, empty when the step predicts nothing
  int64_t kv_cache_bytes = 0;    // bytes of the cache in use after the step
  double ms = 0;                 // wall time of the forward pass
  int first_event = 0;           // events [first_event, end_event) belong to this step
  int end_event = 0;
};

struct Run {
  CacheMode mode = CacheMode::Cached;
  PrefillScheme prefill = PrefillScheme::AllButLast;  // meaningful for cached runs only
  int batch = 1;
  std::vector<int> prompt;  // the first sequence's prompt
  std::vector<StepRecord> steps;
  std::vector<Event, HugePageAllocator<Event>> events;
  // What the events' views point into; copies of a run share it.
  std::shared_ptr<EventStore> store = std::make_shared<EventStore>();
};

// Where a document's weights came from, and how the file stores each one.
struct WeightsFile {
  std::string format;  // "preset", "safetensors", "gguf", "llama2.c"; empty in traces written before 4
  std::string path;    // the model directory or file; empty for a preset
  std::vector<std::pair<std::string, std::string>> stored_as;  // HF parameter name -> "F32", "Q4_K", ...

  // How `name` is stored, empty when unknown. lm_head.weight, absent when the head is tied to the embeddings,
  // is stored as model.embed_tokens.weight is.
  std::string storage_of(std::string_view name) const;
};

struct Document {
  // 2: events carry "key" and "role". 3: the input_string event ("text") and token "pieces". 4: "weights".
  // Versions 1 to 3 are still read (key and role derived from the name; no text, no pieces, no weights).
  static constexpr int kSchemaVersion = 4;
  int schema_version = kSchemaVersion;
  std::string model = "{}";  // the model config: HF config.json keys, as compact JSON text
  bool meta = false;         // shapes only: no values were computed
  WeightsFile weights;
  std::vector<Run> runs;
};

}  // namespace kvscope::trace
