#include "app/cli/trace_input.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "trace/atomic_file.h"
#include "trace/document_json.h"

namespace kvscope::cli {

namespace {

const char* const kRunFlags[] = {"--model", "--seed",       "--prompt",  "--ids",  "--tokenizer",  "--prompt-len",
                                 "--batch", "--new-tokens", "--prefill", "--meta", "--stop-at-eos"};

trace::Document read_trace(const std::string& path) {
  if (std::filesystem::is_directory(path))
    throw std::runtime_error("--from " + path +
                             ": is a directory, not a trace file (kvscope trace --format json -o FILE)");
  const std::optional<std::string> text = trace::read_file(path);
  if (!text) throw std::runtime_error("--from " + path + ": cannot open the file");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(*text);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("--from " + path + ": not JSON: " + e.what());
  }
  try {
    return trace::document_from_json(j);
  } catch (const std::exception& e) {
    throw std::runtime_error("--from " + path + ": not a kvscope trace: " + e.what());
  }
}

}  // namespace

void add_trace_input_flags(CLI::App& cmd, TraceInput& input) {
  add_run_flags(cmd, input.spec);
  cmd.add_option("--from", input.from,
                 "a JSON trace recorded earlier (kvscope trace --format json), instead of a new run")
      ->type_name("FILE");
}

trace::Document load_runs(const CLI::App& cmd, const TraceInput& input, const std::vector<core::CacheMode>& modes) {
  if (input.from.empty()) return record_runs(input.spec, modes).doc;
  for (const char* flag : kRunFlags)
    if (cmd.count(flag) > 0)
      throw std::runtime_error(std::string("--from reads a recorded trace; ") + flag +
                               " describes a new run: give one or the other");
  trace::Document doc = read_trace(input.from);
  std::vector<trace::Run> runs;
  for (core::CacheMode mode : modes) {
    const std::string name(trace::cache_mode_name(mode));
    auto it = std::find_if(doc.runs.begin(), doc.runs.end(), [&](const trace::Run& r) { return r.mode == mode; });
    if (it == doc.runs.end())
      throw std::runtime_error("--from " + input.from + " has no " + name +
                               " run (record both with: kvscope trace --both --format json)");
    runs.push_back(std::move(*it));
    doc.runs.erase(it);
  }
  doc.runs = std::move(runs);
  return doc;
}

}  // namespace kvscope::cli
