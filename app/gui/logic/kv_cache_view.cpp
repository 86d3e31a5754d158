#include "app/gui/logic/kv_cache_view.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <stdexcept>

#include "app/gui/logic/ui_text.h"

namespace kvscope::gui {

namespace {

using trace::Event;
using trace::Role;

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  va_list again;
  va_copy(again, args);
  const int n = std::vsnprintf(nullptr, 0, fmt, args);
  va_end(args);
  std::string out(static_cast<size_t>(std::max(n, 0)) + 1, '\0');
  std::vsnprintf(out.data(), out.size(), fmt, again);
  va_end(again);
  out.resize(static_cast<size_t>(std::max(n, 0)));
  return out;
}

// The shapes of keys and values end [kv heads, positions, head size], after a leading batch axis when batch > 1.
int64_t axis_from_end(const Event& e, size_t k) { return e.shape.size() >= k ? e.shape[e.shape.size() - k] : 0; }
int64_t rows_of(const Event& e) { return axis_from_end(e, 2); }

// Keys and values an uncached pass computes for every position of the sequence so far.
bool is_new_kv(const Event& e) { return e.layer >= 0 && (e.key == "key_states" || e.key == "value_states"); }

// Attention's first use of a layer's history: the GQA repeat, or the scores and the weighted sum directly.
bool is_attention_read(const Event& e) {
  return e.key == "repeated_key_states" || e.key == "repeated_value_states" || e.key == "unmasked_attn_weights" ||
         e.key == "attn_tmp_output1";
}

std::string rows_text(int64_t first, int64_t last) {
  if (first == last) return format(tr("row %d"), static_cast<int>(first));
  return format(tr("rows %d–%d"), static_cast<int>(first), static_cast<int>(last));
}

std::string human_bytes(int64_t n) {
  if (n < 1024) return format("%lld B", static_cast<long long>(n));
  if (n < 1024 * 1024) return format("%.1f KiB", static_cast<double>(n) / 1024.0);
  if (n < int64_t{1024} * 1024 * 1024) return format("%.1f MiB", static_cast<double>(n) / (1024.0 * 1024.0));
  return format("%.2f GiB", static_cast<double>(n) / (1024.0 * 1024.0 * 1024.0));
}

std::string layers_text(int layers) {
  return layers == 1 ? std::string(tr("in its one layer")) : format(tr("in each of %d layers"), layers);
}

std::string batch_text(int batch) { return batch > 1 ? format(tr(" (× batch %d)"), batch) : std::string(); }

}  // namespace

KvCacheView build_kv_cache_view(const trace::Run& run, int step, int capacity) {
  KvCacheView v;
  v.cached = run.mode == trace::CacheMode::Cached;
  v.batch = run.batch;
  if (step < 0) {
    v.capacity = std::max(capacity, 0);
    return v;
  }
  const trace::StepRecord& s = run.steps.at(static_cast<size_t>(step));
  v.step = step;
  v.phase = s.phase;

  // Per layer, from the step's own tensors: the history attention reads and the rows appended to it (cached),
  // or the keys and values computed for every position (uncached).
  struct LayerRows {
    int64_t positions = 0, appended = -1;
  };
  std::vector<LayerRows> per_layer;
  for (int i = s.first_event; i < s.end_event; ++i) {
    const Event& e = run.events.at(static_cast<size_t>(i));
    if (e.layer < 0) continue;
    const bool history = v.cached && e.role == Role::CacheHistory;
    const bool append = v.cached && e.role == Role::CacheAppend;
    const bool recompute = !v.cached && is_new_kv(e);
    if (!history && !append && !recompute) continue;
    if (per_layer.size() <= static_cast<size_t>(e.layer)) per_layer.resize(static_cast<size_t>(e.layer) + 1);
    LayerRows& l = per_layer[static_cast<size_t>(e.layer)];
    if (append) l.appended = std::max(l.appended, rows_of(e));
    else l.positions = std::max(l.positions, rows_of(e));
    if (!append) {
      v.kv_heads = static_cast<int>(axis_from_end(e, 3));
      v.head_dim = static_cast<int>(axis_from_end(e, 1));
      if (e.shape.size() >= 4) v.batch = static_cast<int>(e.shape.front());
      v.bytes_per_value = e.dtype == trace::DType::Float32 ? static_cast<int>(sizeof(float)) : 4;
    }
  }
  v.layers = static_cast<int>(
      std::count_if(per_layer.begin(), per_layer.end(), [](const LayerRows& l) { return l.positions > 0; }));
  for (const LayerRows& l : per_layer) v.positions = std::max(v.positions, static_cast<int>(l.positions));
  v.capacity = std::max(capacity, v.positions);

  // Which earlier step wrote each position: a step pushes `tokens_in` positions after the `cache_len` it found.
  std::vector<int> written_at(static_cast<size_t>(v.capacity), -1);
  if (v.cached)
    for (int k = 0; k <= step; ++k) {
      const trace::StepRecord& r = run.steps[static_cast<size_t>(k)];
      for (int p = r.cache_len; p < r.cache_len + r.tokens_in && p < v.capacity; ++p)
        written_at[static_cast<size_t>(p)] = k;
    }

  v.cells.assign(per_layer.size(), std::vector<KvCell>(static_cast<size_t>(v.capacity)));
  for (size_t layer = 0; layer < per_layer.size(); ++layer) {
    const LayerRows& l = per_layer[layer];
    if (l.positions == 0) continue;
    // A prefill has no separate append: the whole history it makes is new.
    const int64_t appended = l.appended >= 0 ? l.appended : l.positions;
    const int64_t first_new = l.positions - appended;
    for (int64_t p = 0; p < l.positions; ++p) {
      KvCell& c = v.cells[layer][static_cast<size_t>(p)];
      c.read = true;  // attention reads the whole history (or every recomputed row) at every step
      if (v.cached) {
        c.held = true;
        c.written = p >= first_new;
        c.written_at = written_at[static_cast<size_t>(p)];
      } else {
        c.recomputed = true;
      }
    }
    v.read_first = 0;
    v.read_last = static_cast<int>(l.positions) - 1;
    if (v.cached) {
      v.write_first = static_cast<int>(first_new);
      v.write_last = static_cast<int>(l.positions) - 1;
      v.rows_written += appended;
    } else {
      v.rows_recomputed += l.positions;
    }
    v.rows_read += l.positions;
  }

  // Totals so far from the step records: every step touches the same rows in each layer.
  for (int k = 0; k <= step; ++k) {
    const trace::StepRecord& r = run.steps[static_cast<size_t>(k)];
    const int64_t seen = static_cast<int64_t>(r.cache_len + r.tokens_in) * v.layers;
    v.run_rows_read += seen;
    if (v.cached) v.run_rows_written += static_cast<int64_t>(r.tokens_in) * v.layers;
    else v.run_rows_recomputed += seen;
  }

  if (v.cached) {
    v.bytes_used = v.bytes_per_row() * v.layers * v.positions;
    v.bytes_reserved = v.bytes_per_row() * v.layers * v.capacity;
  } else {
    v.bytes_recomputed = v.bytes_per_row() * v.rows_recomputed;
  }
  return v;
}

bool kv_layers_alike(const KvCacheView& v, int first, int last) {
  if (first < 0 || last >= static_cast<int>(v.cells.size()) || first > last) return false;
  const auto same = [](const KvCell& a, const KvCell& b) {
    return a.held == b.held && a.written == b.written && a.read == b.read && a.recomputed == b.recomputed &&
           a.written_at == b.written_at;
  };
  const auto& base = v.cells[static_cast<size_t>(first)];
  for (int l = first + 1; l <= last; ++l)
    if (!std::equal(base.begin(), base.end(), v.cells[static_cast<size_t>(l)].begin(),
                    v.cells[static_cast<size_t>(l)].end(), same))
      return false;
  return true;
}

int kv_cache_capacity(const Session& session) {
  return static_cast<int>(session.prompt().size()) + session.spec().new_tokens - 1;
}

KvCacheView kv_cache_view_or_reserve(const Session& session, Side s) {
  const int capacity = kv_cache_capacity(session);
  KvCacheView v = build_kv_cache_view(session.run(s), session.current_step(s), capacity);
  if (v.cells.empty())
    v.cells.assign(static_cast<size_t>(session.model().config().num_hidden_layers),
                   std::vector<KvCell>(static_cast<size_t>(capacity)));
  return v;
}

std::string kv_cache_summary(const KvCacheView& cached, const KvCacheView* uncached) {
  const KvCacheView* first = cached.step >= 0 ? &cached : uncached;
  if (!first || first->step < 0) return tr("The cache is empty: press Prefill or Step.");
  std::string out;
  if (cached.step >= 0 && cached.layers > 0) {
    const char* fmt = cached.phase == trace::Phase::Prefill ? tr("step %d (prefill) appended %s %s and read %s")
                                                            : tr("step %d appended %s %s and read %s");
    out = format(fmt, cached.step, rows_text(cached.write_first, cached.write_last).c_str(),
                 layers_text(cached.layers).c_str(), rows_text(cached.read_first, cached.read_last).c_str());
    out += batch_text(cached.batch);
    if (!uncached) return out;
    if (uncached->step < 0) return out + tr("; the uncached run starts with the first generated token");
    const std::string rows = rows_text(0, uncached->positions - 1);
    if (cached.rows_written == 0) return out;
    const double ratio = static_cast<double>(uncached->rows_recomputed) / static_cast<double>(cached.rows_written);
    if (uncached->rows_recomputed == cached.rows_written)
      return out + format(tr("; uncached recomputed %s: the same K/V work"), rows.c_str());
    const bool whole = uncached->rows_recomputed % cached.rows_written == 0;
    const std::string times = whole ? format("%d", static_cast<int>(ratio)) : format("%.1f", ratio);
    return out + format(tr("; uncached recomputed %s: %s× the K/V work"), rows.c_str(), times.c_str());
  }
  const KvCacheView& u = *first;
  if (u.layers == 0) return tr("The cache is empty: press Prefill or Step.");
  out = format(tr("step %d (no cache) recomputed %s %s and read them"), u.step, rows_text(0, u.positions - 1).c_str(),
               layers_text(u.layers).c_str());
  return out + batch_text(u.batch);
}

std::string kv_cache_bytes_line(const KvCacheView& v) {
  if (v.step < 0 || v.layers == 0) return {};
  if (v.cached)
    return format(tr("cache: %s used of %s reserved"), human_bytes(v.bytes_used).c_str(),
                  human_bytes(v.bytes_reserved).c_str());
  return format(tr("no cache: %s of K,V computed again"), human_bytes(v.bytes_recomputed).c_str());
}

std::string kv_cache_bytes_formula(const KvCacheView& v) {
  if (v.step < 0 || v.layers == 0) return {};
  const std::string batch = v.batch > 1 ? format(tr(" × batch %d"), v.batch) : std::string();
  if (v.cached)
    return format(tr("= %d layers × K,V × %d kv heads × %d of %d positions × %d dims × %d B%s"), v.layers, v.kv_heads,
                  v.positions, v.capacity, v.head_dim, v.bytes_per_value, batch.c_str());
  return format(tr("= %d layers × K,V × %d kv heads × %d positions × %d dims × %d B%s"), v.layers, v.kv_heads,
                v.positions, v.head_dim, v.bytes_per_value, batch.c_str());
}

std::string kv_cell_tooltip(const KvCacheView& v, int layer, int position, const std::string& piece) {
  std::string out = piece.empty() ? format(tr("layer %d, position %d"), layer, position)
                                  : format(tr("layer %d, position %d ('%s')"), layer, position, piece.c_str());
  if (layer < 0 || static_cast<size_t>(layer) >= v.cells.size() || position < 0 ||
      static_cast<size_t>(position) >= v.cells[static_cast<size_t>(layer)].size())
    return out;
  const KvCell& c = v.cells[static_cast<size_t>(layer)][static_cast<size_t>(position)];
  std::vector<std::string> parts;
  if (c.written) parts.push_back(tr("written this step"));
  else if (c.held && c.written_at >= 0) parts.push_back(format(tr("written at step %d"), c.written_at));
  else if (c.held) parts.push_back(tr("held"));
  if (c.recomputed) parts.push_back(tr("computed again this step (no cache)"));
  if (c.read) parts.push_back(tr("read this step"));
  if (parts.empty()) parts.push_back(v.cached ? tr("reserved, not written yet") : tr("not in the sequence yet"));
  out += ": ";
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  return out;
}

std::string cache_edge_label(const trace::Run& run, const trace::Event& from, const trace::Event& to) {
  if (run.mode != trace::CacheMode::Cached) return {};
  if (to.role == Role::CacheHistory) {
    const int64_t total = rows_of(to);
    // Rows appended: a decode step's new keys or values, placed after the history it carries.
    if (from.role == Role::CacheAppend) {
      const int64_t appended = rows_of(from);
      return format(tr("append %s"), rows_text(total - appended, total - 1).c_str());
    }
    // A prefill's history is the pass's own keys (after RoPE) and values: the edge making it writes every row.
    // The position ids feeding RoPE write nothing.
    if (to.phase == trace::Phase::Prefill && from.step == to.step && from.role != Role::CacheHistory &&
        from.key != "position_ids" && total > 0)
      return format(tr("append %s"), rows_text(0, total - 1).c_str());
    return {};
  }
  if (from.role == Role::CacheHistory && is_attention_read(to) && from.step == to.step && rows_of(from) > 0)
    return format(tr("read %s"), rows_text(0, rows_of(from) - 1).c_str());
  return {};
}

}  // namespace kvscope::gui
