#include "app/gui/logic/script.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "trace/atomic_file.h"

namespace kvscope::gui {

namespace {

const Verb* find_verb(std::string_view name) {
  for (const Verb& v : script_verbs())
    if (v.name == name) return &v;
  return nullptr;
}

std::string usage(const Verb& v) {
  std::string line = std::string(v.name) + (v.args.empty() ? "" : " ") + std::string(v.args);
  if (v.help.empty()) return line;
  // The help starts in one column, as long as the usage leaves room for it.
  constexpr size_t kHelpColumn = 22;
  line.resize(std::max(line.size() + 1, kHelpColumn), ' ');
  return line + std::string(v.help);
}

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

}  // namespace

std::vector<Command> parse_script(const std::string& text) {
  std::vector<Command> commands;
  int line = 1;
  std::string current;
  auto flush = [&] {
    auto words = split_words(current);
    current.clear();
    if (words.empty()) return;
    const Verb* verb = find_verb(words[0]);
    if (!verb)
      throw std::invalid_argument("script line " + std::to_string(line) + ": unknown command '" + words[0] + "'");
    int n = static_cast<int>(words.size()) - 1;
    if (n < verb->min_args || n > verb->max_args)
      throw std::invalid_argument("script line " + std::to_string(line) + ": '" + words[0] + "' takes " +
                                  (verb->min_args == verb->max_args
                                       ? std::to_string(verb->min_args)
                                       : std::to_string(verb->min_args) + " to " + std::to_string(verb->max_args)) +
                                  " argument(s), got " + std::to_string(n) + "; usage: " + usage(*verb));
    commands.push_back({words[0], {words.begin() + 1, words.end()}, line});
  };
  bool comment = false;
  for (char c : text) {
    if (c == '\n') {
      flush();
      comment = false;
      ++line;
    } else if (comment) {
      continue;
    } else if (c == '#') {
      comment = true;
    } else if (c == ';') {
      flush();
    } else {
      current += c;
    }
  }
  flush();
  return commands;
}

std::string script_text_from_argument(const std::string& arg) {
  std::error_code ec;
  if (arg.find(';') == std::string::npos && std::filesystem::is_regular_file(arg, ec)) {
    const std::optional<std::string> text = trace::read_file(arg);
    if (!text) throw std::runtime_error("cannot read script file " + arg);
    return *text;
  }
  return arg;
}

std::string script_reference() {
  std::string out;
  for (const Verb& v : script_verbs()) out += "  " + usage(v) + "\n";
  return out;
}

}  // namespace kvscope::gui
