#include "app/cli/text_input.h"

#include <stdexcept>

#include "trace/text_format.h"

namespace kvscope::cli {

void add_model_tokenizer_flags(CLI::App& cmd, app::RunSpec& spec) {
  cmd.add_option("--model,-m", spec.model,
                 "shipped model, preset name, HF model directory, GGUF file or llama2.c checkpoint")
      ->capture_default_str();
  cmd.add_option("--tokenizer", spec.tokenizer,
                 "tokenizer.json, tokenizer.model, tokenizer.bin, a GGUF file (its vocabulary) or a directory holding "
                 "one; overrides the model's")
      ->type_name("PATH");
}

std::unique_ptr<tokenizer::Tokenizer> require_tokenizer(const app::RunSpec& spec, const core::ModelSource& source) {
  std::unique_ptr<tokenizer::Tokenizer> tok = app::load_run_tokenizer(spec, source);
  if (!tok)
    throw std::invalid_argument("model '" + spec.model +
                                "' has no tokenizer: give one with --tokenizer PATH (tokenizer.json, tokenizer.model, "
                                "tokenizer.bin or a directory holding one)");
  return tok;
}

size_t count_characters(std::string_view text) {
  size_t count = 0;
  for (size_t i = 0; i < text.size(); ++count) trace::next_code_point(text, i);
  return count;
}

}  // namespace kvscope::cli
