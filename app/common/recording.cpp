#include "app/common/recording.h"

#include <stdexcept>
#include <string>

#include "core/rng.h"

namespace kvscope::app {

std::vector<std::vector<int32_t>> make_prompts(const RunSpec& spec, const core::LlamaConfig& config) {
  if (spec.batch < 1) throw std::invalid_argument("--batch must be at least 1, got " + std::to_string(spec.batch));
  std::vector<std::vector<int32_t>> prompts;
  if (!spec.prompts.empty()) {
    if (spec.prompts.size() == 1) {
      prompts.assign(static_cast<size_t>(spec.batch), spec.prompts[0]);
    } else if (static_cast<int>(spec.prompts.size()) == spec.batch) {
      prompts = spec.prompts;
    } else {
      throw std::invalid_argument("--prompt has " + std::to_string(spec.prompts.size()) + " sequences but --batch is " +
                                  std::to_string(spec.batch) + " (give one prompt, or one per sequence)");
    }
  } else {
    if (spec.prompt_len < 1) throw std::invalid_argument("--prompt-len must be at least 1 (or give --prompt)");
    // Like the seed's torch.randint(0, vocab, (B, L)), from our own seeded stream.
    core::Rng rng(core::stream_seed(spec.seed, 0x70726F6D7074ull));
    prompts.assign(static_cast<size_t>(spec.batch), std::vector<int32_t>(static_cast<size_t>(spec.prompt_len)));
    for (auto& p : prompts)
      for (auto& id : p) id = static_cast<int32_t>(rng.below(static_cast<uint32_t>(config.vocab_size)));
  }
  // The Generator checks them as well; here the error can name the flag, before any weights are loaded.
  try {
    config.check_token_ids(prompts);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("--prompt: ") + e.what());
  }
  return prompts;
}

RecordedGeneration::RecordedGeneration(core::LlamaModel& model, std::vector<std::vector<int32_t>> prompts,
                                       core::GenerationOptions options, trace::CaptureOptions capture)
    : run_(std::make_unique<trace::Run>()), recorder_(std::make_unique<trace::Recorder>(*run_, capture)) {
  run_->mode = options.mode;
  run_->prefill = options.prefill;
  run_->batch = static_cast<int>(prompts.size());
  run_->prompt = prompts.empty() ? std::vector<int>{} : std::vector<int>(prompts[0].begin(), prompts[0].end());
  generator_ = std::make_unique<core::Generator>(model, std::move(prompts), options, recorder_.get());
}

const core::StepResult& RecordedGeneration::step() {
  results_.push_back(generator_->step());
  run_->steps.push_back(results_.back().record);
  return results_.back();
}

void RecordedGeneration::run_to_end() {
  while (!done()) step();
}

trace::Document new_document(const core::LlamaModel& model) {
  trace::Document doc;
  doc.model = core::config_to_json(model.config());
  doc.model["name"] = model.config().name;
  doc.meta = model.meta();
  return doc;
}

}  // namespace kvscope::app
