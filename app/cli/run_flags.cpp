#include <sstream>
#include <stdexcept>
#include <string>

#include "app/cli/commands.h"
#include "core/model_source.h"

namespace kvscope::cli {

namespace {

// "12,81,92" is one prompt; "1,2;3,4" is one per sequence of the batch.
std::vector<std::vector<int32_t>> parse_prompts(const std::string& text) {
  std::vector<std::vector<int32_t>> prompts;
  std::stringstream sequences(text);
  std::string sequence;
  while (std::getline(sequences, sequence, ';')) {
    std::vector<int32_t> ids;
    std::stringstream items(sequence);
    std::string item;
    while (std::getline(items, item, ',')) {
      const auto first = item.find_first_not_of(" \t");
      if (first == std::string::npos) throw std::invalid_argument("--prompt '" + text + "' has an empty token id");
      item = item.substr(first, item.find_last_not_of(" \t") - first + 1);
      size_t used = 0;
      long long id = 0;
      try {
        id = std::stoll(item, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != item.size() || id < 0 || id > INT32_MAX)
        throw std::invalid_argument("--prompt: '" + item + "' is not a token id (a non-negative integer)");
      ids.push_back(static_cast<int32_t>(id));
    }
    if (ids.empty()) throw std::invalid_argument("--prompt '" + text + "' has an empty sequence");
    prompts.push_back(std::move(ids));
  }
  if (prompts.empty()) throw std::invalid_argument("--prompt is empty");
  return prompts;
}

}  // namespace

void add_run_flags(CLI::App& cmd, app::RunSpec& spec) {
  cmd.add_option("--model,-m", spec.model, "preset name or HF model directory")->capture_default_str();
  cmd.add_option("--seed", spec.seed, "seed of the preset weights and of --prompt-len ids")->capture_default_str();
  cmd.add_option_function<std::string>(
         "--prompt,-p", [&spec](const std::string& text) { spec.prompts = parse_prompts(text); },
         "token ids, e.g. 12,81,92,52,65 (';' separates the sequences of a batch)")
      ->type_name("IDS");
  cmd.add_option("--prompt-len", spec.prompt_len, "seeded random prompt of this many ids (when --prompt is absent)")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--batch,-b", spec.batch, "sequences in the batch")->check(CLI::PositiveNumber)->capture_default_str();
  cmd.add_option("--steps,-n", spec.steps, "tokens to generate")->check(CLI::PositiveNumber)->capture_default_str();
  cmd.add_option("--prefill", spec.prefill,
                 "cached runs: all-but-last (seed 000: the last prompt token takes the decode path) or all (HF generate)")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, core::PrefillScheme>{{"all-but-last", core::PrefillScheme::AllButLast},
                                                     {"all", core::PrefillScheme::All}},
          CLI::ignore_case))
      ->default_str("all-but-last");
  cmd.add_flag("--meta", spec.meta, "shapes only: no weights, no arithmetic (any model size traces instantly)");
}

RecordedRuns record_runs(const app::RunSpec& spec, const std::vector<core::CacheMode>& modes) {
  const core::ModelSource source = core::resolve_model(spec.model);
  app::RunSpec effective = spec;
  if (effective.prompts.empty() && effective.prompt_len == 0) effective.prompts = {{12, 81, 92, 52, 65}};
  const auto prompts = app::make_prompts(effective, source.config);
  core::LlamaModel model = core::load_model(source, spec.seed, spec.meta);
  RecordedRuns out{app::new_document(model), {}, {}};
  for (core::CacheMode mode : modes) {
    core::GenerationOptions options{mode, spec.prefill, spec.steps};
    app::RecordedGeneration gen(model, prompts, options, spec.capture);
    gen.run_to_end();
    out.results.push_back(gen.results());
    out.sequences.push_back(gen.generator().sequences());
    out.doc.runs.push_back(gen.take_run());
  }
  return out;
}

}  // namespace kvscope::cli
