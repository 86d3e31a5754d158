#pragma once
// What the commands that read text (tokenize, eval) share: the model and tokenizer flags, and a tokenizer
// that must be there.
#include <memory>
#include <string_view>

#include <CLI/CLI.hpp>

#include "app/common/recording.h"

namespace kvscope::cli {

// --model and --tokenizer, as the run flags define them.
void add_model_tokenizer_flags(CLI::App& cmd, app::RunSpec& spec);

// The tokenizer of `spec` for the model `source`: --tokenizer, else the model's own. Throws
// std::invalid_argument naming --tokenizer when the model has none (a preset), TokenizerError naming the file
// when it does not load.
std::unique_ptr<tokenizer::Tokenizer> require_tokenizer(const app::RunSpec& spec, const core::ModelSource& source);

// The characters (code points) of UTF-8 text, for the counts beside token counts.
size_t count_characters(std::string_view text);

}  // namespace kvscope::cli
