#pragma once
// Token ids as people type them, read the same way by the CLI's --prompt and the app's prompt field and
// script, so a bad id is refused where it is typed, with the same words everywhere.
#include <cstdint>
#include <string>
#include <vector>

namespace kvscope::app {

// "12,81,92" (spaces around an id are allowed). Throws std::invalid_argument naming the item when one is
// empty, not a whole number, negative or beyond int32.
std::vector<int32_t> parse_token_ids(const std::string& text);

// "1,2;3,4": one list of ids per sequence of a batch, ';' between them.
std::vector<std::vector<int32_t>> parse_token_id_sequences(const std::string& text);

}  // namespace kvscope::app
