#pragma once
// The seed notes kvscope grew from (../shared/seeds, KVSCOPE_SEEDS_DIR at configure time), read at test time so
// no test retypes them. The one reader of their graphs is read_mermaid, which also reads kvscope's exports.
#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/mermaid_reader.h"

namespace kvscope::test {

// The note NUMBER_*.txt ("000", "004"). Throws std::runtime_error naming the directory when it is missing.
std::string seed_note_path(const std::string& number);

// Seed 000's ```mermaid graph. Throws std::runtime_error when the reader skipped a line, a node or an edge of it.
MermaidGraph seed_000_graph();

// A node label's shape, "32, 6, 100" -> {32, 6, 100}.
std::vector<int64_t> seed_shape(const MermaidNode& node);
// A node label's axis words, split at ", " (the mask's first word holds a comma without a space).
std::vector<std::string> seed_axis_words(const MermaidNode& node);

}  // namespace kvscope::test
