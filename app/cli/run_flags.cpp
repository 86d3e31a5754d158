#include <string>

#include "app/cli/commands.h"
#include "app/common/flag_checks.h"
#include "app/common/prompt_flags.h"

namespace kvscope::cli {

void add_run_flags(CLI::App& cmd, app::RunSpec& spec) {
  cmd.add_option("--model,-m", spec.model,
                 "shipped model, preset name, HF model directory, GGUF file or llama2.c checkpoint")
      ->capture_default_str();
  cmd.add_option("--seed", spec.seed, "seed of the preset weights and of --prompt-len ids")
      ->check(app::integer_in(0))
      ->capture_default_str();
  app::add_prompt_flags(cmd, spec);
  cmd.add_option("--prompt-len", spec.prompt_len, "seeded random prompt of this many ids (when --prompt is absent)")
      ->check(app::integer_in(1, app::kMaxNewTokens));
  cmd.add_option("--batch,-b", spec.batch, "sequences in the batch")
      ->check(app::integer_in(1, app::kMaxBatch))
      ->capture_default_str();
  cmd.add_option("--new-tokens,-n,--steps", spec.new_tokens, "tokens to generate (--steps is the old name)")
      ->check(app::integer_in(1, app::kMaxNewTokens))
      ->capture_default_str();
  cmd.add_option(
         "--prefill", spec.prefill,
         "cached runs: all-but-last (seed 000: the last prompt token takes the decode path) or all (HF generate)")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, core::PrefillScheme>{{"all-but-last", core::PrefillScheme::AllButLast},
                                                     {"all", core::PrefillScheme::All}},
          CLI::ignore_case))
      ->default_str("all-but-last");
  cmd.add_option("--threads,-t", spec.threads,
                 "threads of the forward pass (default: every core); results are the same bits for any count")
      ->check(app::integer_in(1, app::kMaxThreads));
  cmd.add_flag("--meta", spec.meta, "shapes only: no weights, no arithmetic (any model size traces instantly)");
  cmd.add_flag("--stop-at-eos", spec.stop_at_eos, "stop early once every sequence has generated the tokenizer's EOS");
}

void add_output_flag(CLI::App& cmd, std::string& path) {
  cmd.add_option("--output,-o", path, "file to write (atomically); standard output when absent");
}

RecordedRuns record_runs(const app::RunSpec& spec, const std::vector<core::CacheMode>& modes,
                         const StepObserver& observe) {
  app::LoadedRun loaded = app::load_run(spec);
  RecordedRuns out{
      app::new_document(*loaded.model, app::weights_file(loaded.source, loaded.model->meta())), {}, {}, nullptr};
  for (core::CacheMode mode : modes) {
    app::RecordedGeneration gen(*loaded.model, loaded.prompts.ids, app::generation_options(spec, mode, loaded),
                                spec.capture, app::token_pieces(loaded.tokenizer.get()));
    while (!gen.done()) {
      const core::StepResult& r = gen.step();
      if (observe) observe(r, gen.generator(), loaded.tokenizer.get());
    }
    out.results.push_back(gen.results());
    out.sequences.push_back(gen.generator().sequences());
    out.doc.runs.push_back(gen.take_run());
  }
  out.tokenizer = std::move(loaded.tokenizer);
  return out;
}

}  // namespace kvscope::cli
