#include <stdexcept>
#include <string>

#include "app/cli/commands.h"
#include "app/common/token_ids.h"
#include "core/model_source.h"

namespace kvscope::cli {

void add_run_flags(CLI::App& cmd, app::RunSpec& spec) {
  cmd.add_option("--model,-m", spec.model, "preset name or HF model directory")->capture_default_str();
  cmd.add_option("--seed", spec.seed, "seed of the preset weights and of --prompt-len ids")->capture_default_str();
  cmd.add_option_function<std::string>(
         "--prompt,-p",
         [&spec](const std::string& text) {
           try {
             spec.prompts = app::parse_token_id_sequences(text);
           } catch (const std::invalid_argument& e) {
             throw std::invalid_argument(std::string("--prompt: ") + e.what());
           }
         },
         "token ids, e.g. 12,81,92,52,65 (';' separates the sequences of a batch)")
      ->type_name("IDS");
  cmd.add_option("--prompt-len", spec.prompt_len, "seeded random prompt of this many ids (when --prompt is absent)")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--batch,-b", spec.batch, "sequences in the batch")->check(CLI::PositiveNumber)->capture_default_str();
  cmd.add_option("--new-tokens,-n,--steps", spec.new_tokens, "tokens to generate (--steps is the old name)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option(
         "--prefill", spec.prefill,
         "cached runs: all-but-last (seed 000: the last prompt token takes the decode path) or all (HF generate)")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, core::PrefillScheme>{{"all-but-last", core::PrefillScheme::AllButLast},
                                                     {"all", core::PrefillScheme::All}},
          CLI::ignore_case))
      ->default_str("all-but-last");
  cmd.add_flag("--meta", spec.meta, "shapes only: no weights, no arithmetic (any model size traces instantly)");
}

void add_output_flag(CLI::App& cmd, std::string& path) {
  cmd.add_option("--output,-o", path, "file to write (atomically); standard output when absent");
}

RecordedRuns record_runs(const app::RunSpec& spec, const std::vector<core::CacheMode>& modes) {
  const core::ModelSource source = core::resolve_model(spec.model);
  app::RunSpec effective = spec;
  if (effective.prompts.empty() && effective.prompt_len == 0) effective.prompts = {app::kSeed004Prompt};
  const auto prompts = app::make_prompts(effective, source.config);
  core::LlamaModel model = core::load_model(source, spec.seed, spec.meta);
  RecordedRuns out{app::new_document(model), {}, {}};
  for (core::CacheMode mode : modes) {
    core::GenerationOptions options{mode, spec.prefill, spec.new_tokens};
    app::RecordedGeneration gen(model, prompts, options, spec.capture);
    gen.run_to_end();
    out.results.push_back(gen.results());
    out.sequences.push_back(gen.generator().sequences());
    out.doc.runs.push_back(gen.take_run());
  }
  return out;
}

}  // namespace kvscope::cli
