#pragma once
// The app's command language: what a script (--script) and the keyboard both drive.
// A script is commands separated by ';' or newlines; '#' starts a comment; words are separated by spaces.
#include <cstdint>
#include <string>
#include <vector>

namespace kvscope::gui {

struct Command {
  std::string verb;               // e.g. "step", "select", "export"
  std::vector<std::string> args;  // the words after the verb
  int line = 0;                   // 1-based, for messages
};

// Throws std::invalid_argument naming the line and the word when a verb is unknown
// or has the wrong number of arguments.
std::vector<Command> parse_script(const std::string& text);

// `--script` takes either a file name or the commands themselves.
std::string script_text_from_argument(const std::string& arg);

// "12,81,92" as token ids; throws std::invalid_argument naming the bad item.
std::vector<int32_t> parse_token_ids(const std::string& text);

// One line per verb with its arguments, for --help and docs/gui.md.
std::string script_reference();

}  // namespace kvscope::gui
