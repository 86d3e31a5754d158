// kjv-char, the trained model kvscope ships: it loads through the HF-directory path like a user's model, and
// kvscope's greedy continuation is the one the training script's own PyTorch forward produced.
#include <catch2/catch.hpp>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "app/common/recording.h"
#include "core/model_source.h"
#include "tests/core/test_helpers.h"
#include "tests/support/files.h"

using namespace kvscope;

namespace {

nlohmann::json kjv_reference() {
  return nlohmann::json::parse(
      test::read_file((core::assets_dir() / "models" / "kjv-char" / "reference.json").string()));
}

}  // namespace

TEST_CASE("kjv-char loads through the HF directory path, with its tokenizer", "[kjv]") {
  const core::ModelSource source = core::resolve_model("kjv-char");
  CHECK(source.format == core::ModelFormat::safetensors);
  CHECK(source.path == (core::assets_dir() / "models" / "kjv-char").string());
  CHECK(source.config.vocab_size == 100);
  CHECK(source.config.hidden_size == 256);
  CHECK(source.config.num_hidden_layers == 2);
  app::RunSpec spec;
  const auto tok = app::load_run_tokenizer(spec, source);
  REQUIRE(tok);
  CHECK(tok->vocab_size() == 100);
  CHECK(tok->bos_id() == 1);
  CHECK(tok->eos_id() == 2);
  const nlohmann::json ref = kjv_reference();
  const std::vector<int> ids = tok->encode(ref.at("prompt").get<std::string>());
  CHECK(ids == ref.at("prompt_ids").get<std::vector<int>>());
}

TEST_CASE("kjv-char's greedy continuation is the training script's, cached and uncached", "[kjv]") {
  const nlohmann::json ref = kjv_reference();
  app::RunSpec spec;
  spec.prompt_text = ref.at("prompt").get<std::string>();
  spec.new_tokens = ref.at("greedy_steps").get<int>();
  app::LoadedRun loaded = app::load_run(spec);
  const auto expected = ref.at("greedy_ids").get<std::vector<int32_t>>();
  for (core::CacheMode mode : {core::CacheMode::Cached, core::CacheMode::Uncached}) {
    INFO(trace::cache_mode_name(mode));
    const Recorded r = record(*loaded.model, loaded.prompts.ids, app::generation_options(spec, mode, loaded));
    const std::vector<int32_t>& seq = r.sequences[0];
    const std::vector<int32_t> generated(seq.begin() + static_cast<long>(loaded.prompts.ids[0].size()), seq.end());
    CHECK(generated == expected);
    CHECK(loaded.tokenizer->decode(std::vector<int>(generated.begin(), generated.end())) ==
          ref.at("greedy_text").get<std::string>());
  }
  // The first step's logits, as the script's forward gave them.
  const auto logits = ref.at("logits_first_step").get<std::vector<float>>();
  const Recorded first = record(*loaded.model, loaded.prompts.ids,
                                {core::CacheMode::Uncached, core::PrefillScheme::All, 1});
  REQUIRE(first.results[0].last_logits.size() == 1);
  const std::vector<float>& got = first.results[0].last_logits[0];
  REQUIRE(got.size() == logits.size());
  float worst = 0;
  for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(got[i] - logits[i]));
  CHECK(worst < 1e-4f);
}

TEST_CASE("a text prompt is traced as input_string, and token ids carry their pieces", "[kjv]") {
  app::RunSpec spec;
  spec.prompt_text = "In the\nbeginning";
  spec.new_tokens = 2;
  app::LoadedRun loaded = app::load_run(spec);
  for (core::CacheMode mode : {core::CacheMode::Cached, core::CacheMode::Uncached}) {
    app::RecordedGeneration gen(*loaded.model, loaded.prompts.ids, app::generation_options(spec, mode, loaded), {},
                                app::token_pieces(loaded.tokenizer.get()));
    gen.run_to_end();
    const trace::Run& run = gen.run();
    INFO(trace::cache_mode_name(mode));
    const trace::Event& text = run.events.front();
    CHECK(text.name == "input_string");
    CHECK(text.role == trace::Role::Text);
    CHECK(text.dtype == trace::DType::Text);
    CHECK(text.text == "In the\nbeginning");
    const trace::Event& ids = run.events[1];
    CHECK(ids.name == "input_ids");
    CHECK(ids.inputs == std::vector<int>{0});
    REQUIRE(ids.pieces.size() == 17);
    CHECK(ids.pieces[0] == "<s>");
    CHECK(ids.pieces[3] == " ");
    CHECK(ids.pieces[7] == "\n");
    std::vector<std::string> predicted, expected;
    for (const trace::Event& e : run.events)
      if (e.role == trace::Role::NextTokens) predicted.insert(predicted.end(), e.pieces.begin(), e.pieces.end());
    const std::vector<int32_t>& seq = gen.generator().sequences()[0];
    for (size_t i = loaded.prompts.ids[0].size(); i < seq.size(); ++i)
      expected.push_back(loaded.tokenizer->piece(seq[i]));
    CHECK(expected.size() == 2);
    CHECK(predicted == expected);
    // input_string appears once: later steps start from the ids.
    int texts = 0;
    for (const trace::Event& e : run.events) texts += e.role == trace::Role::Text;
    CHECK(texts == 1);
  }
}

TEST_CASE("a stop token ends generation once every sequence has produced it", "[kjv]") {
  const nlohmann::json ref = kjv_reference();
  app::RunSpec spec;
  spec.prompt_text = ref.at("prompt").get<std::string>();
  spec.new_tokens = 20;
  spec.stop_at_eos = true;
  app::LoadedRun loaded = app::load_run(spec);
  core::GenerationOptions options = app::generation_options(spec, core::CacheMode::Cached, loaded);
  CHECK(options.stop_token == loaded.tokenizer->eos_id());
  // kjv-char never writes </s> on this prompt; its third greedy character stands in for it.
  const auto greedy = ref.at("greedy_ids").get<std::vector<int32_t>>();
  options.stop_token = greedy[2];
  const auto first = std::find(greedy.begin(), greedy.end(), greedy[2]) - greedy.begin();
  for (core::CacheMode mode : {core::CacheMode::Cached, core::CacheMode::Uncached}) {
    options.mode = mode;
    const Recorded r = record(*loaded.model, loaded.prompts.ids, options);
    CHECK(r.sequences[0].size() == loaded.prompts.ids[0].size() + static_cast<size_t>(first) + 1);
    CHECK(r.sequences[0].back() == greedy[2]);
  }
}
