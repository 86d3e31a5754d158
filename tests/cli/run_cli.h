#pragma once
// Runs the built kvscope binary and captures what it printed and how it exited.
#include <array>
#include <cstdio>
#include <string>
#include <sys/wait.h>

// The trained character-level model of assets/models, the one most CLI tests run.
inline const std::string kModelDir = std::string(KVSCOPE_SOURCE_DIR) + "/assets/models/kjv-char";

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

inline CliResult run_cli(const std::string& args) {
  const std::string command = std::string(KVSCOPE_CLI) + " " + args + " 2>&1";
  CliResult r;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}
