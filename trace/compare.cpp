#include "trace/compare.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "trace/macs.h"
#include "trace/text_format.h"

namespace kvscope::trace {

namespace {

// Per generated token, the steps that worked towards it.
std::vector<std::vector<const StepRecord*>> steps_per_token(const Run& run) {
  std::vector<std::vector<const StepRecord*>> out;
  std::vector<const StepRecord*> pending;
  for (const StepRecord& s : run.steps) {
    pending.push_back(&s);
    if (s.generated_index < 0) continue;
    if (s.generated_index != static_cast<int>(out.size()))
      throw std::invalid_argument(std::string(cache_mode_name(run.mode)) + " run: step " + std::to_string(s.step) +
                                  " generates token " + std::to_string(s.generated_index) + " out of order");
    out.push_back(std::move(pending));
    pending.clear();
  }
  return out;
}

// The first event of each key in a step: layer 0 for layer tensors, as the layers all share shapes.
std::vector<const Event*> step_tensors(const Run& run, const StepRecord& s) {
  std::vector<const Event*> out;
  std::set<std::string_view> seen;
  for (int i = s.first_event; i < s.end_event; ++i) {
    const Event& e = run.events[static_cast<size_t>(i)];
    if (seen.insert(e.key).second) out.push_back(&e);
  }
  return out;
}

std::vector<ShapeDifference> shape_differences(const Run& cached, const StepRecord& c, const Run& uncached,
                                               const StepRecord& u) {
  std::map<std::string_view, const Event*> theirs;
  for (const Event* e : step_tensors(uncached, u)) theirs[e->key] = e;
  std::vector<ShapeDifference> out;
  for (const Event* e : step_tensors(cached, c)) {
    auto it = theirs.find(e->key);
    if (it != theirs.end() && it->second->shape != e->shape)
      out.push_back({std::string(e->key), e->shape, it->second->shape});
  }
  return out;
}

std::string join_tokens(const std::vector<int>& tokens) { return tokens.empty() ? "-" : join_numbers(tokens, " "); }

std::string human(double x) {
  static const char* kUnits[] = {"", "k", "M", "G", "T", "P"};
  int u = 0;
  while (x >= 1000 && u < 5) {
    x /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f%s" : "%.2f%s", x, kUnits[u]);
  return buf;
}

std::string bytes(int64_t n) {
  char buf[32];
  if (n < 1024) std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(n));
  else if (n < 1024 * 1024) std::snprintf(buf, sizeof buf, "%.1f KiB", n / 1024.0);
  else std::snprintf(buf, sizeof buf, "%.1f MiB", n / (1024.0 * 1024.0));
  return buf;
}

std::string fixed(double x, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, x);
  return buf;
}

std::string difference_text(const ShapeDifference& d) {
  return d.key + " " + x_list(d.cached) + " vs " + x_list(d.uncached);
}

// Terminal columns of UTF-8 text: one per code point (token pieces such as "␣the" are not ASCII).
size_t columns(const std::string& s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++n) next_code_point(s, i);
  return n;
}

std::string pad(const std::string& s, size_t width, bool right) {
  const size_t cols = columns(s);
  if (cols >= width) return s;
  const std::string fill(width - cols, ' ');
  return right ? fill + s : s + fill;
}

// The pieces of a mode's tokens, whitespace made visible: "␣the ↵".
std::string pieces_text(const ModeWork& w) {
  std::vector<std::string> shown;
  for (const std::string& p : w.pieces) shown.push_back(visible_piece(p));
  return shown.empty() ? "-" : join(shown, " ");
}

// A shape-only run has no tokens and no times worth the name: they are left out rather than shown as 0.
nlohmann::ordered_json mode_json(const ModeWork& w, bool shapes_only) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (!shapes_only) j["tokens"] = w.tokens;
  if (!shapes_only && !w.pieces.empty()) j["pieces"] = w.pieces;
  j.update(nlohmann::ordered_json{{"tokens_in", w.tokens_in}, {"macs", w.macs}, {"kv_cache_bytes", w.kv_cache_bytes}});
  if (!shapes_only) j["ms"] = w.ms;
  j["steps"] = w.steps;
  return j;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

}  // namespace

ModeWork work_of(const Run& run, std::span<const StepRecord* const> steps) {
  ModeWork w;
  for (const StepRecord* s : steps) {
    w.tokens_in += s->tokens_in;
    w.macs += step_macs(run, *s);
    w.ms += s->ms;
    w.kv_cache_bytes = s->kv_cache_bytes;
    w.steps.push_back(s->step);
  }
  w.tokens = steps.back()->next_tokens;
  for (int i = steps.back()->first_event; i < steps.back()->end_event; ++i) {
    const Event& e = run.events[static_cast<size_t>(i)];
    if (e.role == Role::NextTokens) w.pieces = e.pieces;
  }
  return w;
}

std::vector<ModeWork> work_per_token(const Run& run) {
  std::vector<ModeWork> out;
  for (const auto& steps : steps_per_token(run)) out.push_back(work_of(run, steps));
  return out;
}

bool Comparison::tokens_agree() const {
  return shapes_only || std::all_of(tokens.begin(), tokens.end(), [](const TokenComparison& t) { return t.agree; });
}

double Comparison::speedup() const { return cached_total.ms > 0 ? uncached_total.ms / cached_total.ms : 0; }

double Comparison::work_ratio() const {
  return cached_total.macs > 0 ? static_cast<double>(uncached_total.macs) / static_cast<double>(cached_total.macs) : 0;
}

Comparison compare_runs(const Run& cached, const Run& uncached, bool shapes_only) {
  if (cached.mode != CacheMode::Cached || uncached.mode != CacheMode::Uncached)
    throw std::invalid_argument("compare needs a cached and an uncached run, got " +
                                std::string(cache_mode_name(cached.mode)) + " and " +
                                std::string(cache_mode_name(uncached.mode)));
  if (cached.prompt != uncached.prompt || cached.batch != uncached.batch)
    throw std::invalid_argument("the cached and uncached runs have different prompts or batch sizes");
  const auto c_steps = steps_per_token(cached);
  const auto u_steps = steps_per_token(uncached);
  if (c_steps.size() != u_steps.size())
    throw std::invalid_argument("the cached run generated " + std::to_string(c_steps.size()) +
                                " tokens, the uncached run " + std::to_string(u_steps.size()));
  Comparison c;
  c.shapes_only = shapes_only;
  c.batch = cached.batch;
  c.prompt_len = static_cast<int>(cached.prompt.size());
  for (size_t i = 0; i < c_steps.size(); ++i) {
    TokenComparison t;
    t.index = static_cast<int>(i);
    t.cached = work_of(cached, c_steps[i]);
    t.uncached = work_of(uncached, u_steps[i]);
    t.agree = t.cached.tokens == t.uncached.tokens;
    t.differences = shape_differences(cached, *c_steps[i].back(), uncached, *u_steps[i].back());
    for (auto [total, w] : {std::pair{&c.cached_total, &t.cached}, std::pair{&c.uncached_total, &t.uncached}}) {
      total->tokens_in += w->tokens_in;
      total->macs += w->macs;
      total->ms += w->ms;
      total->kv_cache_bytes = std::max(total->kv_cache_bytes, w->kv_cache_bytes);
      total->steps.insert(total->steps.end(), w->steps.begin(), w->steps.end());
    }
    c.tokens.push_back(std::move(t));
  }
  return c;
}

std::string comparison_table(const Comparison& c) {
  // A shape-only run computed no tokens and its times measure nothing.
  auto ids = [&](const ModeWork& w) { return c.shapes_only ? std::string("-") : join_tokens(w.tokens); };
  auto ms = [&](double x) { return c.shapes_only ? std::string("-") : fixed(x, 3); };
  // The pieces column appears when the runs had a tokenizer: a learner reads the token, not its id.
  const bool text = !c.shapes_only && std::any_of(c.tokens.begin(), c.tokens.end(),
                                                  [](const TokenComparison& t) { return !t.cached.pieces.empty(); });
  std::vector<std::vector<std::string>> rows{{"token", "cached id", "uncached id", "tokens in c/u", "MACs cached",
                                              "MACs uncached", "work x", "KV cache", "ms cached", "ms uncached",
                                              "a tensor whose shape differs"}};
  if (text) rows[0].insert(rows[0].begin() + 3, "text");
  for (const TokenComparison& t : c.tokens) {
    const double ratio = t.cached.macs > 0 ? static_cast<double>(t.uncached.macs) / static_cast<double>(t.cached.macs)
                                           : 0;
    // The tensor with the most axes says most: query_states before position_ids.
    const auto shown = std::max_element(t.differences.begin(), t.differences.end(),
                                        [](const auto& a, const auto& b) { return a.cached.size() < b.cached.size(); });
    std::string diff = t.differences.empty() ? "-" : difference_text(*shown);
    if (t.differences.size() > 1) diff += " (+" + std::to_string(t.differences.size() - 1) + " more)";
    if (!t.agree) diff = "TOKENS DISAGREE; " + diff;
    rows.push_back({std::to_string(t.index), ids(t.cached), ids(t.uncached),
                    std::to_string(t.cached.tokens_in) + "/" + std::to_string(t.uncached.tokens_in),
                    human(t.cached.macs), human(t.uncached.macs), fixed(ratio, 2), bytes(t.cached.kv_cache_bytes),
                    ms(t.cached.ms), ms(t.uncached.ms), diff});
    if (text) rows.back().insert(rows.back().begin() + 3, pieces_text(t.cached));
  }
  rows.push_back({"total", "", "",
                  std::to_string(c.cached_total.tokens_in) + "/" + std::to_string(c.uncached_total.tokens_in),
                  human(c.cached_total.macs), human(c.uncached_total.macs), fixed(c.work_ratio(), 2),
                  bytes(c.cached_total.kv_cache_bytes), ms(c.cached_total.ms), ms(c.uncached_total.ms), ""});
  if (text) rows.back().insert(rows.back().begin() + 3, "");
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], columns(row[i]));
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    // Numbers right-aligned; the token index, the pieces and the free text on the left.
    for (size_t i = 0; i < row.size(); ++i) {
      const bool left = i == 0 || (text && i == 3);
      line += (i ? "  " : "") + (i + 1 == row.size() ? row[i] : pad(row[i], widths[i], !left));
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  out += "\n";
  // The full lists of the first and the last token: in between they only grow with the sequence.
  std::vector<const TokenComparison*> listed;
  if (!c.tokens.empty()) listed.push_back(&c.tokens.front());
  if (c.tokens.size() > 1) listed.push_back(&c.tokens.back());
  for (const TokenComparison* t : listed) {
    out += "tensors whose shapes differ for token " + std::to_string(t->index) + " (cached vs uncached):";
    for (size_t i = 0; i < t->differences.size(); ++i) out += (i ? ", " : " ") + difference_text(t->differences[i]);
    out += t->differences.empty() ? " none\n" : "\n";
  }
  if (c.shapes_only) {
    out += "tokens and times: none, a shape-only (--meta) run computes neither\n";
  } else {
    out += "tokens: " + std::string(c.tokens_agree() ? "the two modes agree on every token" : "THE MODES DISAGREE") +
           "\nspeed-up (uncached ms / cached ms): " + fixed(c.speedup(), 2) + "x\n";
  }
  out += "work ratio (uncached MACs / cached MACs): " + fixed(c.work_ratio(), 2) + "x\n";
  return out;
}

nlohmann::ordered_json comparison_json(const Comparison& c) {
  nlohmann::ordered_json tokens = nlohmann::ordered_json::array();
  for (const TokenComparison& t : c.tokens) {
    nlohmann::ordered_json diffs = nlohmann::ordered_json::array();
    for (const ShapeDifference& d : t.differences)
      diffs.push_back({{"name", d.key}, {"cached", d.cached}, {"uncached", d.uncached}});
    nlohmann::ordered_json token{{"index", t.index}};
    if (!c.shapes_only) token["agree"] = t.agree;
    token.update(nlohmann::ordered_json{{"cached", mode_json(t.cached, c.shapes_only)},
                                        {"uncached", mode_json(t.uncached, c.shapes_only)},
                                        {"shape_differences", std::move(diffs)}});
    tokens.push_back(std::move(token));
  }
  nlohmann::ordered_json j{{"batch", c.batch},
                           {"prompt_len", c.prompt_len},
                           {"shapes_only", c.shapes_only},
                           {"tokens", std::move(tokens)},
                           {"totals",
                            {{"cached", mode_json(c.cached_total, c.shapes_only)},
                             {"uncached", mode_json(c.uncached_total, c.shapes_only)}}}};
  if (!c.shapes_only) {
    j["tokens_agree"] = c.tokens_agree();
    j["speedup"] = c.speedup();
  }
  j["work_ratio"] = c.work_ratio();
  return j;
}

std::string comparison_csv(const Comparison& c) {
  std::string out =
      "token,cached_token,uncached_token,cached_tokens_in,uncached_tokens_in,cached_macs,uncached_macs,"
      "cached_kv_cache_bytes,cached_ms,uncached_ms,shape_differences\n";
  // A shape-only run leaves the token and time fields empty, as the table shows "-".
  auto ids = [&](const ModeWork& w) { return c.shapes_only ? std::string() : join_tokens(w.tokens); };
  auto ms = [&](double x) { return c.shapes_only ? std::string() : fixed(x, 4); };
  for (const TokenComparison& t : c.tokens) {
    std::string diffs;
    for (size_t i = 0; i < t.differences.size(); ++i) diffs += (i ? "; " : "") + difference_text(t.differences[i]);
    out += std::to_string(t.index) + "," + ids(t.cached) + "," + ids(t.uncached) + "," +
           std::to_string(t.cached.tokens_in) + "," + std::to_string(t.uncached.tokens_in) + "," +
           std::to_string(t.cached.macs) + "," + std::to_string(t.uncached.macs) + "," +
           std::to_string(t.cached.kv_cache_bytes) + "," + ms(t.cached.ms) + "," + ms(t.uncached.ms) + "," +
           csv_field(diffs) + "\n";
  }
  return out;
}

}  // namespace kvscope::trace
