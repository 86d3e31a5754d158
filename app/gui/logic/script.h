#pragma once
// The app's command language: what a script (--script) and the keyboard both drive.
// A script is commands separated by ';' or newlines; '#' starts a comment; words are separated by spaces. A
// verb that takes text (prompt) takes the rest of its command as typed, or one "quoted" string in which ';', '#'
// and the escapes \n \t \r \" \\ \xNN can be written.
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kvscope::gui {

struct AppState;

struct Command {
  std::string verb;               // e.g. "step", "select", "export"
  std::vector<std::string> args;  // the words after the verb
  int line = 0;                   // 1-based, for messages
};

// A verb of the language: the words it takes, its line of help and what it does.
struct Verb {
  std::string_view name;
  int min_args, max_args;
  std::string_view args;  // "NAME|DIR"
  std::string_view help;
  void (*run)(AppState& app, const Command& c);
  bool takes_text = false;  // its one argument is the rest of the command, spaces included
};

// Every verb, defined with its handler in commands.cpp.
std::span<const Verb> script_verbs();

// Throws std::invalid_argument naming the line and the word when a verb is unknown
// or has the wrong number of arguments.
std::vector<Command> parse_script(const std::string& text);

// `--script` takes either a file name or the commands themselves.
std::string script_text_from_argument(const std::string& arg);

// One line per verb with its arguments, for --help and docs/gui.md.
std::string script_reference();

}  // namespace kvscope::gui
