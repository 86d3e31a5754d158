#pragma once
// What the KV cache did in one step, read from the trace alone (never the model): per layer and position,
// whether the row is held, written (appended) or read this step, and for a run without a cache which key and
// value rows the step computed again. The KV cache panel draws it; the graph's edges into and out of the cache
// take their labels from cache_edge_label.
#include <cstdint>
#include <string>
#include <vector>

#include "app/gui/logic/session.h"
#include "trace/event.h"

namespace kvscope::gui {

struct KvCell {
  bool held = false;        // in the cache once the step is done
  bool written = false;     // appended to the cache by this step
  bool read = false;        // attention read this row's keys and values in this step
  bool recomputed = false;  // a run without a cache computed this row's keys and values again in this step
  int written_at = -1;      // the step that wrote the row into the cache; -1 when no step has
};

// Counts are rows of one sequence: a row is one position of one layer, its keys and values for every kv head.
// A batch repeats them for each sequence (`batch`); the bytes include the whole batch.
struct KvCacheView {
  bool cached = true;  // the run keeps a cache; false: every step recomputes every row
  int step = -1;       // -1: the run has no step yet, and the view is empty
  trace::Phase phase = trace::Phase::Prefill;
  int batch = 1, layers = 0, kv_heads = 0, head_dim = 0;
  int bytes_per_value = 4;
  int positions = 0;                       // positions the step's attention sees: the cache length after the step
  int capacity = 0;                        // positions reserved (the grid's width); at least `positions`
  std::vector<std::vector<KvCell>> cells;  // [layer][position], `capacity` wide

  // This step's rows, the same in every layer: written [write_first, write_last], read [read_first, read_last],
  // recomputed [0, positions) when !cached. -1 where the step has none.
  int write_first = -1, write_last = -1, read_first = -1, read_last = -1;
  int64_t rows_written = 0, rows_read = 0, rows_recomputed = 0;              // this step, all layers
  int64_t run_rows_written = 0, run_rows_read = 0, run_rows_recomputed = 0;  // steps 0 to `step`
  int64_t bytes_used = 0;        // the cache after the step (0 without a cache)
  int64_t bytes_reserved = 0;    // the cache's `capacity` positions (0 without a cache)
  int64_t bytes_recomputed = 0;  // keys and values computed again this step (0 with a cache)

  // One position of one layer: keys and values of every kv head, for the whole batch.
  int64_t bytes_per_row() const { return 2LL * batch * kv_heads * head_dim * bytes_per_value; }
};

// Whether layers first..last (inclusive) hold, write, read and recompute the same rows, so a panel short of
// height may draw them as one row without hiding a difference.
bool kv_layers_alike(const KvCacheView& view, int first, int last);

// The view of `step` of `run` (-1: the empty view before the first step). `capacity`: the positions the cache
// reserves, which the trace does not record (see kv_cache_capacity); a smaller value is raised to what the run
// has used so far. Throws std::out_of_range for a step the run does not have.
KvCacheView build_kv_cache_view(const trace::Run& run, int step, int capacity = 0);

// The positions the generator reserves for the session's cache: every prompt token and every generated token
// but the last, which is never fed back.
int kv_cache_capacity(const Session& session);
// Side `s`'s view at the step shown; before any step, the empty grid of the reserve the first step will fill
// (layers from the model's configuration), so that the learner sees its shape.
KvCacheView kv_cache_view_or_reserve(const Session& session, Side s);

// One sentence on what the step did to the cache, in the interface language: "step 4 appended row 7 in each of
// 2 layers and read rows 0–7; uncached recomputed rows 0–7: 8× the K/V work". `uncached` is the view of the
// uncached step producing the same token, or null.
std::string kv_cache_summary(const KvCacheView& cached, const KvCacheView* uncached);

// The bytes in a few words: "cache: 28.0 KiB used of 40.0 KiB reserved", or for a run without a cache "no cache:
// 32.0 KiB of K,V computed again"; empty before the first step.
std::string kv_cache_bytes_line(const KvCacheView& view);
// Where the bytes come from: "= 2 layers × K,V × 4 kv heads × 7 of 10 positions × 64 dims × 4 B".
std::string kv_cache_bytes_formula(const KvCacheView& view);

// A cell's tooltip: "layer 1, position 5 ('d'): written at step 2, read this step". `piece`: the token's label
// at that position, empty when unknown.
std::string kv_cell_tooltip(const KvCacheView& view, int layer, int position, const std::string& piece);

// What an edge of the graph does to the cache: "append row 7" for new keys or values written into a layer's
// history, "append rows 0–4" for a prefill's, "read rows 0–7" for the history feeding attention, and "" for
// any other edge (and for every edge of a run without a cache). Positions are 0-based sequence positions.
std::string cache_edge_label(const trace::Run& run, const trace::Event& from, const trace::Event& to);

}  // namespace kvscope::gui
