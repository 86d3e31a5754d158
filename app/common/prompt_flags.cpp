#include "app/common/prompt_flags.h"

#include <stdexcept>
#include <string>

#include "app/common/token_ids.h"

namespace kvscope::app {

void add_prompt_flags(CLI::App& cmd, RunSpec& spec) {
  cmd.add_option_function<std::string>(
         "--prompt,-p", [&spec](const std::string& text) { spec.prompt_text = text; },
         "prompt text, tokenized by the model's tokenizer (default: \"" + kDefaultTextPrompt +
             "\", or seed 004's ids for a model without one)")
      ->type_name("TEXT");
  cmd.add_option_function<std::string>(
         "--ids",
         [&spec](const std::string& text) {
           try {
             spec.prompts = parse_token_id_sequences(text);
           } catch (const std::invalid_argument& e) {
             throw CLI::ValidationError("--ids", e.what());
           }
         },
         "prompt as token ids, e.g. 12,81,92,52,65 (';' separates the sequences of a batch)")
      ->type_name("IDS");
  cmd.add_option("--tokenizer", spec.tokenizer,
                 "tokenizer.json, tokenizer.model, tokenizer.bin, a GGUF file (its vocabulary) or a directory holding "
                 "one; overrides the model's")
      ->type_name("PATH");
}

}  // namespace kvscope::app
