#include "app/common/flag_checks.h"

#include <charconv>
#include <iostream>
#include <string>

namespace kvscope::app {

CLI::Validator integer_in(int64_t min, int64_t max) {
  const std::string name = max == std::numeric_limits<int64_t>::max()
                               ? "INT>=" + std::to_string(min)
                               : "INT in " + std::to_string(min) + ".." + std::to_string(max);
  return CLI::Validator(
      [min, max](std::string& text) -> std::string {
        int64_t value = 0;
        const char* end = text.data() + text.size();
        const auto [at, ec] = std::from_chars(text.data(), end, value);
        const std::string at_least = "must be at least " + std::to_string(min) + ", got " + text;
        const std::string at_most = "must be at most " + std::to_string(max) + ", got " + text;
        if (ec == std::errc::result_out_of_range) return text[0] == '-' ? at_least : at_most;  // beyond 64 bits
        if (ec != std::errc() || at != end) return "must be a whole number, got '" + text + "'";
        if (value < min) return at_least;
        if (value > max) return at_most;
        return "";
      },
      name);
}

int exit_on_parse_error(const CLI::App& app, const CLI::ParseError& error, const std::string& program) {
  if (error.get_exit_code() == 0) return app.exit(error);  // --help
  std::string command = program;
  for (const CLI::App* sub : app.get_subcommands()) command += " " + sub->get_name();
  std::string what = error.what();
  for (char& c : what)
    if (c == '\n') c = ' ';
  std::cerr << program << ": error: " << what << " (" << command << " --help)\n";
  return kUsageError;
}

}  // namespace kvscope::app
