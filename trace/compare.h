#pragma once
// Cached against uncached generation, token by token: what each mode computed to produce the same token.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "trace/event.h"

namespace kvscope::trace {

// One mode's share of one generated token. Steps that predict nothing (the all-but-last prefill) count
// towards the token their work prepares: the first.
struct ModeWork {
  std::vector<int> tokens;          // the token of each sequence
  std::vector<std::string> pieces;  // their pieces, when the run had a tokenizer (else empty)
  int tokens_in = 0;                // tokens per sequence pushed through the layers
  int64_t macs = 0;                 // see trace/macs.h
  int64_t kv_cache_bytes = 0;       // cache in use once the token is produced (0 without a cache)
  double ms = 0;                    // wall time of the forward passes
  std::vector<int> steps;           // the run's steps counted here
};

struct ShapeDifference {
  std::string key;  // the tensor's phase-independent key, so a prefill step compares with a full pass
  Shape cached, uncached;
};

struct TokenComparison {
  int index = 0;  // which generated token
  ModeWork cached, uncached;
  bool agree = true;
  // Tensors of both passes that produced the token (layer 0 for layer tensors) whose shapes differ.
  std::vector<ShapeDifference> differences;
};

struct Comparison {
  bool shapes_only = false;  // a --meta run: no tokens, and times that measure nothing
  int batch = 1;
  int prompt_len = 0;
  std::vector<TokenComparison> tokens;
  ModeWork cached_total, uncached_total;  // tokens left empty
  bool tokens_agree() const;              // always true for a shape-only run
  double speedup() const;                 // uncached ms / cached ms
  double work_ratio() const;              // uncached MACs / cached MACs
};

// What the given steps of a run computed together (at least one step).
ModeWork work_of(const Run& run, std::span<const StepRecord* const> steps);
// Per generated token, in order, what the run computed towards it. Throws std::invalid_argument when the
// run generates its tokens out of order.
std::vector<ModeWork> work_per_token(const Run& run);

// Throws std::invalid_argument when the runs are not a cached and an uncached run of the same prompt.
Comparison compare_runs(const Run& cached, const Run& uncached, bool shapes_only = false);

std::string comparison_table(const Comparison& c);
nlohmann::ordered_json comparison_json(const Comparison& c);
std::string comparison_csv(const Comparison& c);

}  // namespace kvscope::trace
