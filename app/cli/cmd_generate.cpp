#include <iostream>
#include <sstream>

#include "app/cli/commands.h"
#include "trace/document_json.h"
#include "trace/text_format.h"

namespace kvscope::cli {

namespace {

struct GenerateFlags {
  app::RunSpec spec;
  bool no_cache = false;
};

// The seed 004 log: per step the input shape and ids, the logits shape, the predicted token; cached runs
// also show the layer-0 key cache and the attention weights growing.
void print_log(const RecordedRuns& runs, const app::RunSpec& spec) {
  const trace::Run& run = runs.doc.runs[0];
  const auto& results = runs.results[0];
  const auto& sequences = runs.sequences[0];
  std::cout << "model " << runs.doc.model.value("name", std::string()) << (runs.doc.meta ? " (meta: shapes only)" : "")
            << ", " << trace::run_title(run) << ", batch " << run.batch << ", " << spec.new_tokens << " new tokens\n";
  for (const core::StepResult& r : results) {
    const trace::StepRecord& s = r.record;
    std::cout << "\nstep " << s.step << " (" << trace::phase_name(s.phase) << ")\n";
    std::cout << "  input_ids shape " << trace::bracketed_list(r.input_ids_shape) << "\n";
    std::cout << "  input_ids [";
    for (size_t b = 0; b < sequences.size(); ++b) {
      const auto first = sequences[b].begin() + s.cache_len;
      std::cout << (b ? ", " : "") << trace::bracketed_list(std::vector<int32_t>(first, first + s.tokens_in));
    }
    std::cout << "]\n";
    if (!r.key_cache_shape.empty())
      std::cout << "  key cache (layer 0) " << trace::bracketed_list(r.key_cache_shape) << "  value cache (layer 0) "
                << trace::bracketed_list(r.key_cache_shape) << "\n";
    std::cout << "  attn_weights shape " << trace::bracketed_list(r.attn_shape) << "\n";
    if (!r.logits_shape.empty()) std::cout << "  logits shape " << trace::bracketed_list(r.logits_shape) << "\n";
    if (!s.next_tokens.empty())
      std::cout << "  next_tokens " << (runs.doc.meta ? "not computed (meta)" : trace::bracketed_list(s.next_tokens))
                << "\n";
    if (s.kv_cache_bytes > 0) std::cout << "  kv cache in use " << s.kv_cache_bytes << " bytes\n";
  }
  if (runs.doc.meta) {
    std::cout << "\nmeta run: shapes only, no tokens were computed\n";
    return;
  }
  std::cout << "\ntokens (prompt + generated):\n";
  for (const auto& seq : sequences) std::cout << "  " << trace::bracketed_list(seq) << "\n";
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto flags = std::make_shared<GenerateFlags>();
  CLI::App* cmd = app.add_subcommand("generate", "generate tokens greedily and print a per-step log (seed 004 style)");
  add_run_flags(*cmd, flags->spec);
  cmd->add_flag("--no-cache", flags->no_cache, "re-run the whole sequence every step, as seed 004 part 1");
  cmd->callback([flags] {
    const auto mode = flags->no_cache ? core::CacheMode::Uncached : core::CacheMode::Cached;
    const RecordedRuns runs = record_runs(flags->spec, {mode});
    print_log(runs, flags->spec);
  });
}

}  // namespace kvscope::cli
