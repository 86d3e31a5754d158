#pragma once
// Lists as text, the one way every printer and exporter writes shapes, ids and labels.
#include <string>
#include <string_view>
#include <vector>

namespace kvscope::trace {

// "a, b, c" with sep ", ": each item as `text` writes it (any range: vectors, spans, an event's shape).
template <typename Items, typename Text>
std::string join_with(const Items& items, std::string_view sep, const Text& text) {
  std::string out;
  bool first = true;
  for (const auto& item : items) {
    if (!first) out += sep;
    out += text(item);
    first = false;
  }
  return out;
}

template <typename Strings>
std::string join(const Strings& items, std::string_view sep) {
  return join_with(items, sep, [](const auto& item) -> std::string_view { return item; });
}

// The code point that starts at byte `i` of UTF-8 text, moving `i` past it; a sequence cut short by the
// end of the text ends there.
char32_t next_code_point(std::string_view utf8, size_t& i);

// "\"a\\nb\"": text in double quotes, with quotes, backslashes and control characters escaped as C and JSON
// write them, so a prompt with newlines stays on one line of a listing.
std::string quoted(std::string_view text);

// A token's piece with its whitespace made visible: space as "␣", newline as "↵", tab as "→", other control
// characters as "<0xNN>"; SentencePiece's "▁" and byte tokens ("<0x0A>") are already visible and stay.
std::string visible_piece(std::string_view piece);

// Text on one line, as a graph label shows a prompt: newline as "↵", tab as "→", other control characters as
// "<0xNN>"; spaces and everything else unchanged.
std::string visible_text(std::string_view text);

// "12 81 92" with sep " ".
template <typename Ints>
std::string join_numbers(const Ints& values, std::string_view sep) {
  return join_with(values, sep, [](const auto& value) { return std::to_string(value); });
}

// The three ways shapes and ids are written.
// "4, 2, 64": a graph node's shape line, under the tensor's name.
template <typename Ints>
std::string comma_list(const Ints& values) {
  return join_numbers(values, ", ");
}
// "[4, 2, 64]": as Python prints a torch.Size or a list, so in seed 004's log and in messages.
template <typename Ints>
std::string bracketed_list(const Ints& values) {
  return "[" + comma_list(values) + "]";
}
// "32x1x100": a shape inside a table cell or a line of the comparison.
template <typename Ints>
std::string x_list(const Ints& values) {
  return join_numbers(values, "x");
}

}  // namespace kvscope::trace
