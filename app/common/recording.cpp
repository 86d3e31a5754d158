#include "app/common/recording.h"

#include <algorithm>

#include <filesystem>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "core/gguf.h"
#include "core/rng.h"
#include "core/safetensors.h"

namespace kvscope::app {

std::unique_ptr<tokenizer::Tokenizer> load_run_tokenizer(const RunSpec& spec, const core::ModelSource& source) {
  tokenizer::LoadOptions options;
  options.vocab_size = source.config.vocab_size;  // llama2.c's tokenizer.bin does not store its size
  if (!spec.tokenizer.empty()) {
    try {
      return tokenizer::load_tokenizer(spec.tokenizer, options);
    } catch (const tokenizer::TokenizerError& e) {
      throw tokenizer::TokenizerError(std::string("--tokenizer: ") + e.what());
    }
  }
  switch (source.format) {
    case core::ModelFormat::preset: return nullptr;
    case core::ModelFormat::safetensors: {
      const auto file = tokenizer::find_tokenizer_file(source.path);
      return file ? tokenizer::load_tokenizer(*file, options) : nullptr;
    }
    case core::ModelFormat::gguf:  // its own vocabulary, when the converter wrote one
      return core::GgufFile::open(source.path).has("tokenizer.ggml.model") ? tokenizer::load_tokenizer(source.path)
                                                                           : nullptr;
    case core::ModelFormat::llama2c: {  // run.c reads tokenizer.bin; kvscope looks for it beside the checkpoint
      const std::filesystem::path file = std::filesystem::path(source.path).parent_path() / "tokenizer.bin";
      return std::filesystem::is_regular_file(file) ? tokenizer::load_tokenizer(file, options) : nullptr;
    }
  }
  return nullptr;
}

namespace {

std::vector<std::vector<int32_t>> tokenize(const std::string& text, const tokenizer::Tokenizer& tok) {
  std::vector<int32_t> ids;
  for (int id : tok.encode(text)) ids.push_back(static_cast<int32_t>(id));
  if (ids.empty()) throw std::invalid_argument("--prompt: the text has no tokens (type something)");
  return {ids};
}

std::vector<std::vector<int32_t>> random_prompt(const RunSpec& spec, const core::LlamaConfig& config) {
  // Checked before the ids are made: batch x prompt-len ids can be gigabytes.
  if (spec.prompt_len > config.max_position_embeddings)
    throw std::invalid_argument("--prompt-len " + std::to_string(spec.prompt_len) + " is more than the " +
                                std::to_string(config.max_position_embeddings) + " positions of model '" + config.name +
                                "' (max_position_embeddings)");
  // Like the seed's torch.randint(0, vocab, (B, L)), from our own seeded stream.
  core::Rng rng(core::stream_seed(spec.seed, 0x70726F6D7074ull));
  std::vector<std::vector<int32_t>> prompts(static_cast<size_t>(spec.batch),
                                            std::vector<int32_t>(static_cast<size_t>(spec.prompt_len)));
  for (auto& p : prompts)
    for (auto& id : p) id = static_cast<int32_t>(rng.below(static_cast<uint32_t>(config.vocab_size)));
  return prompts;
}

}  // namespace

Prompts make_prompts(const RunSpec& spec, const core::LlamaConfig& config, const tokenizer::Tokenizer* tokenizer) {
  if (spec.batch < 1) throw std::invalid_argument("--batch must be at least 1, got " + std::to_string(spec.batch));
  if (spec.prompt_text && !spec.prompts.empty())
    throw std::invalid_argument("--prompt and --ids both give the prompt: use one");
  if (spec.prompt_text && !tokenizer)
    throw std::invalid_argument("--prompt is text, but model '" + spec.model +
                                "' has no tokenizer: give token ids with --ids 12,81,92, or a tokenizer with "
                                "--tokenizer PATH");
  Prompts out;
  const char* flag = "--ids";
  if (spec.prompt_text) {
    out.text = spec.prompt_text;
    out.ids = tokenize(*spec.prompt_text, *tokenizer);
    flag = "--prompt";
  } else if (!spec.prompts.empty()) {
    out.ids = spec.prompts;
  } else if (spec.prompt_len > 0) {
    out.ids = random_prompt(spec, config);
    flag = "--prompt-len";
  } else if (tokenizer) {
    out.text = kDefaultTextPrompt;
    out.ids = tokenize(kDefaultTextPrompt, *tokenizer);
    flag = "--prompt";
  } else {
    out.ids = {kSeed004Prompt};
  }
  if (out.ids.size() == 1) {
    out.ids.resize(static_cast<size_t>(spec.batch), out.ids[0]);
  } else if (static_cast<int>(out.ids.size()) != spec.batch) {
    throw std::invalid_argument("--ids has " + std::to_string(out.ids.size()) + " sequences but --batch is " +
                                std::to_string(spec.batch) + " (give one prompt, or one per sequence)");
  }
  // The Generator checks them as well; here the error can name the flag, before any weights are loaded.
  try {
    config.check_token_ids(out.ids);
  } catch (const std::invalid_argument& e) {
    const std::string hint = tokenizer && tokenizer->vocab_size() > config.vocab_size
                                 ? " (the tokenizer has " + std::to_string(tokenizer->vocab_size()) +
                                       " ids, the model's vocabulary " + std::to_string(config.vocab_size) + ")"
                                 : "";
    throw std::invalid_argument(std::string(flag) + ": " + e.what() + hint);
  }
  return out;
}

LoadedRun load_run(const RunSpec& spec) {
  LoadedRun run;
  run.source = core::resolve_model(spec.model);
  run.tokenizer = load_run_tokenizer(spec, run.source);
  if (spec.stop_at_eos && (!run.tokenizer || run.tokenizer->eos_id() < 0))
    throw std::invalid_argument("--stop-at-eos: model '" + spec.model +
                                "' has no tokenizer with an EOS token (give one with --tokenizer)");
  run.prompts = make_prompts(spec, run.source.config, run.tokenizer.get());
  run.model = std::make_unique<core::LlamaModel>(core::load_model(run.source, spec.seed, spec.meta));
  if (spec.threads > 0) run.model->set_threads(spec.threads);
  return run;
}

core::GenerationOptions generation_options(const RunSpec& spec, core::CacheMode mode, const LoadedRun& loaded) {
  core::GenerationOptions options;
  options.mode = mode;
  options.prefill = spec.prefill;
  options.new_tokens = spec.new_tokens;
  options.prompt_text = loaded.prompts.text;
  if (spec.stop_at_eos) options.stop_token = loaded.tokenizer->eos_id();  // load_run checked there is one
  return options;
}

trace::TokenPieces token_pieces(const tokenizer::Tokenizer* tokenizer) {
  if (!tokenizer) return {};
  return [tokenizer](int id) { return tokenizer->piece(id); };
}

namespace {

class ObservedSink : public trace::Sink {
 public:
  ObservedSink(trace::Sink& inner, EventObserver observer) : inner_(inner), observer_(std::move(observer)) {}
  int record(const trace::EventSpec& spec) override {
    const int id = inner_.record(spec);
    observer_(spec);
    return id;
  }
  int next_id() const override { return inner_.next_id(); }

 private:
  trace::Sink& inner_;
  EventObserver observer_;
};

}  // namespace

RecordedGeneration::RecordedGeneration(core::LlamaModel& model, std::vector<std::vector<int32_t>> prompts,
                                       core::GenerationOptions options, trace::CaptureOptions capture,
                                       trace::TokenPieces pieces, EventObserver observer)
    : run_(std::make_unique<trace::Run>()),
      recorder_(std::make_unique<trace::Recorder>(*run_, capture, std::move(pieces))) {
  run_->mode = options.mode;
  run_->prefill = options.prefill;
  run_->batch = static_cast<int>(prompts.size());
  run_->prompt = prompts.empty() ? std::vector<int>{} : std::vector<int>(prompts[0].begin(), prompts[0].end());
  // The first steps' events go into one huge page, faulted in at once: grown from nothing, 4 KiB page by page,
  // the buffer cost 3 ms of page faults for openllama-3b's 1,202 meta events on this VM (the trace itself, 0.1 ms).
  run_->events.reserve(trace::kHugeThreshold / sizeof(trace::Event));
  if (observer) observed_ = std::make_unique<ObservedSink>(*recorder_, std::move(observer));
  generator_ = std::make_unique<core::Generator>(model, std::move(prompts), options,
                                                 observed_ ? observed_.get() : recorder_.get());
}

const core::StepResult& RecordedGeneration::step() {
  results_.push_back(generator_->step());
  const trace::StepRecord& record = run_->steps.emplace_back(results_.back().record);
  // The steps after the first decode (or full) step record as many events as it did: their memory is taken
  // now, faulted in at once, so those steps record without growing the buffer (a fault can cost 10 us on a
  // virtual machine). Capped, as a stop token may end a long generation early.
  if (!reserved_ && record.phase != trace::Phase::Prefill) {
    reserved_ = true;
    const auto per_step = static_cast<size_t>(record.end_event - record.first_event);
    const auto steps_left = static_cast<size_t>(
        std::max(0, generator_->total_steps() - static_cast<int>(run_->steps.size())));
    const size_t cap = (size_t{256} << 20) / sizeof(trace::Event);
    run_->events.reserve(run_->events.size() + std::min(per_step * steps_left, cap));
  }
  return results_.back();
}

void RecordedGeneration::run_to_end() {
  while (!done()) step();
}

trace::WeightsFile weights_file(const core::ModelSource& source, bool meta) {
  trace::WeightsFile out{std::string(core::format_name(source.format)), source.path, {}};
  try {
    for (core::StoredWeight& w : core::stored_weights(source))
      out.stored_as.emplace_back(std::move(w.name), std::move(w.stored_as));
  } catch (const core::WeightsError&) {
    if (!meta) throw;  // shapes only need no checkpoint; a run with values has already read it
  }
  return out;
}

trace::Document new_document(const core::LlamaModel& model, trace::WeightsFile weights) {
  trace::Document doc;
  doc.weights = std::move(weights);
  nlohmann::ordered_json config = core::config_to_json(model.config());
  config["name"] = model.config().name;
  doc.model = config.dump();
  doc.meta = model.meta();
  return doc;
}

}  // namespace kvscope::app
