#include "app/gui/logic/script.h"

#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>

namespace kvscope::gui {

namespace {

struct VerbSpec {
  std::string_view verb;
  int min_args, max_args;
  std::string_view usage;
};

constexpr std::array<VerbSpec, 28> kVerbs{{
    {"model", 1, 1, "model NAME|DIR        preset or HF model directory (reloads)"},
    {"seed", 1, 1, "seed N                weights and random prompt seed"},
    {"prompt", 1, 1, "prompt 12,81,92       prompt token ids"},
    {"prompt-len", 1, 1, "prompt-len N          a random prompt of N ids"},
    {"batch", 1, 1, "batch N               sequences per step"},
    {"tokens", 1, 1, "tokens N              how many tokens the run may generate"},
    {"prefill-scheme", 1, 1, "prefill-scheme all-but-last|all"},
    {"meta", 1, 1, "meta on|off           shapes only, no weights"},
    {"reset", 0, 0, "reset                 start the generation again"},
    {"prefill", 0, 0, "prefill               run the cached prefill step"},
    {"step", 0, 1, "step [N]              generate N more tokens (default 1)"},
    {"run-to", 1, 1, "run-to N              generate until N tokens exist"},
    {"play", 0, 0, "play                  step automatically"},
    {"pause", 0, 0, "pause                 stop playing"},
    {"speed", 1, 1, "speed X               steps per second while playing"},
    {"view", 1, 1, "view cached|uncached|compare"},
    {"fold", 0, 0, "fold                  one representative layer"},
    {"unfold", 0, 0, "unfold                every layer"},
    {"layer", 1, 1, "layer N               which layer the folded view shows"},
    {"labels", 1, 1, "labels en|zh          dimension label language"},
    {"show-prefill", 1, 1, "show-prefill on|off   draw the prefill step with the current one"},
    {"select", 1, 2, "select NAME [LAYER]   inspect a tensor (cached side first)"},
    {"fit", 0, 0, "fit                   fit the graph to the view"},
    {"zoom", 1, 1, "zoom F                zoom factor around the view's centre"},
    {"focus", 0, 0, "focus                 centre the view on the selected tensor"},
    {"export", 2, 2, "export mermaid|dot|json|png PATH"},
    {"dump", 1, 1, "dump PATH             write what is drawn (view model) as JSON"},
    {"frames", 1, 1, "frames N              render N frames before the next command"},
}};

const VerbSpec* find_verb(std::string_view verb) {
  for (const auto& v : kVerbs)
    if (v.verb == verb) return &v;
  return nullptr;
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
    const VerbSpec* spec = find_verb(words[0]);
    if (!spec) throw std::invalid_argument("script line " + std::to_string(line) + ": unknown command '" + words[0] + "'");
    int n = static_cast<int>(words.size()) - 1;
    if (n < spec->min_args || n > spec->max_args)
      throw std::invalid_argument("script line " + std::to_string(line) + ": '" + words[0] + "' takes " +
                                  (spec->min_args == spec->max_args ? std::to_string(spec->min_args)
                                                                    : std::to_string(spec->min_args) + " to " +
                                                                          std::to_string(spec->max_args)) +
                                  " argument(s), got " + std::to_string(n) + "; usage: " + std::string(spec->usage));
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
    std::ifstream in(arg, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read script file " + arg);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  return arg;
}

std::vector<int32_t> parse_token_ids(const std::string& text) {
  std::vector<int32_t> ids;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) {
    size_t used = 0;
    int value = 0;
    try {
      value = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || item.find_first_not_of(" ", used) != std::string::npos)
      throw std::invalid_argument("prompt: '" + item + "' is not a token id (give ids like 12,81,92)");
    ids.push_back(value);
  }
  if (ids.empty()) throw std::invalid_argument("prompt: no token ids given");
  return ids;
}

std::string script_reference() {
  std::string out;
  for (const auto& v : kVerbs) out += "  " + std::string(v.usage) + "\n";
  return out;
}

}  // namespace kvscope::gui
