#include "app/common/token_ids.h"

#include <charconv>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace kvscope::app {

namespace {

constexpr const char* kExample = " (token ids are whole numbers from 0, like 12,81,92)";

int32_t parse_token_id(const std::string& item) {
  const size_t first = item.find_first_not_of(" \t");
  if (first == std::string::npos) throw std::invalid_argument("an empty token id" + std::string(kExample));
  const std::string word = item.substr(first, item.find_last_not_of(" \t") - first + 1);
  int64_t id = 0;
  const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), id);
  const bool whole = ec == std::errc() && end == word.data() + word.size();
  if (!whole || id < 0 || id > std::numeric_limits<int32_t>::max())
    throw std::invalid_argument("'" + word + "' is not a token id" + kExample);
  return static_cast<int32_t>(id);
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> items;
  std::istringstream in(text);
  for (std::string item; std::getline(in, item, sep);) items.push_back(item);
  return items;
}

}  // namespace

std::vector<int32_t> parse_token_ids(const std::string& text) {
  std::vector<int32_t> ids;
  for (const std::string& item : split(text, ',')) ids.push_back(parse_token_id(item));
  if (ids.empty()) throw std::invalid_argument("no token ids given" + std::string(kExample));
  return ids;
}

std::vector<std::vector<int32_t>> parse_token_id_sequences(const std::string& text) {
  std::vector<std::vector<int32_t>> sequences;
  for (const std::string& sequence : split(text, ';')) sequences.push_back(parse_token_ids(sequence));
  if (sequences.empty()) throw std::invalid_argument("no token ids given" + std::string(kExample));
  return sequences;
}

}  // namespace kvscope::app
