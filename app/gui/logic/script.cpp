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

std::string trimmed(const std::string& text) {
  const size_t first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The inside of one "quoted" string, escapes resolved as trace::quoted writes them.
std::string unquoted(const std::string& text, const std::string& where) {
  std::string out;
  size_t i = 1;
  for (; i < text.size() && text[i] != '"'; ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    const char e = ++i < text.size() ? text[i] : '\0';
    if (e == 'n') out += '\n';
    else if (e == 't') out += '\t';
    else if (e == 'r') out += '\r';
    else if (e == '"' || e == '\\') out += e;
    else if (e == 'x' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 && hex_digit(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
      i += 2;
    } else {
      throw std::invalid_argument(where + "unknown escape '\\" + std::string(1, e) +
                                  "' (known: \\n \\t \\r \\\" \\\\ \\xNN)");
    }
  }
  if (i + 1 != text.size()) throw std::invalid_argument(where + "the text goes on after its closing quote");
  return out;
}

// A text verb's one argument: the rest of the command as typed, or the inside of its quotes.
std::vector<std::string> text_argument(const std::string& command, const std::string& verb, const std::string& where) {
  const std::string rest = trimmed(command.substr(command.find(verb) + verb.size()));
  if (rest.empty()) return {};
  if (rest.front() == '"') return {unquoted(rest, where)};
  return {rest};
}

Command parsed_command(const std::string& text, int line) {
  const std::string where = "script line " + std::to_string(line) + ": ";
  const auto words = split_words(text);
  const Verb* verb = find_verb(words[0]);
  if (!verb) throw std::invalid_argument(where + "unknown command '" + words[0] + "'");
  Command command{words[0], {words.begin() + 1, words.end()}, line};
  if (verb->takes_text) command.args = text_argument(text, words[0], where);
  const int n = static_cast<int>(command.args.size());
  if (n < verb->min_args || n > verb->max_args)
    throw std::invalid_argument(where + "'" + words[0] + "' takes " +
                                (verb->min_args == verb->max_args
                                     ? std::to_string(verb->min_args)
                                     : std::to_string(verb->min_args) + " to " + std::to_string(verb->max_args)) +
                                " argument(s), got " + std::to_string(n) + "; usage: " + usage(*verb));
  return command;
}

}  // namespace

std::vector<Command> parse_script(const std::string& text) {
  std::vector<Command> commands;
  int line = 1, start_line = 1;
  std::string current;
  auto flush = [&] {
    if (!split_words(current).empty()) commands.push_back(parsed_command(current, start_line));
    current.clear();
    start_line = line;
  };
  bool comment = false, quoted = false;
  bool escaped = false;  // the character after a backslash in quotes: an escaped quote does not end the text
  for (const char c : text) {
    if (c == '\n') ++line;
    if (quoted) {
      current += c;
      quoted = escaped || c != '"';
      escaped = !escaped && c == '\\';
    } else if (c == '\n') {
      flush();
      comment = false;
    } else if (comment) {
      continue;
    } else if (c == '#') {
      comment = true;
    } else if (c == ';') {
      flush();
    } else {
      current += c;
      quoted = c == '"';
    }
  }
  if (quoted) throw std::invalid_argument("script line " + std::to_string(start_line) + ": a quote is not closed");
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
