#pragma once
// The prompt flags of `kvscope` and `kvscope-gui`, defined once: --prompt TEXT, --ids IDS, --tokenizer PATH.
#include <CLI/CLI.hpp>

#include "app/common/recording.h"

namespace kvscope::app {

void add_prompt_flags(CLI::App& cmd, RunSpec& spec);

}  // namespace kvscope::app
