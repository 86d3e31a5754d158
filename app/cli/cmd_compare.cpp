#include <memory>

#include <nlohmann/json.hpp>

#include "app/cli/commands.h"
#include "app/cli/trace_input.h"
#include "trace/atomic_file.h"
#include "trace/compare.h"
#include "trace/text_format.h"

namespace kvscope::cli {

namespace {

struct CompareFlags {
  TraceInput input;
  std::string format = "table";
  bool csv = false;
  std::string output;
};

std::string first_disagreement(const trace::Comparison& c) {
  for (const trace::TokenComparison& t : c.tokens)
    if (!t.agree)
      return "token " + std::to_string(t.index) + ": cached " + trace::join_numbers(t.cached.tokens, " ") +
             ", uncached " + trace::join_numbers(t.uncached.tokens, " ");
  return {};
}

}  // namespace

void add_compare_command(CLI::App& app) {
  auto f = std::make_shared<CompareFlags>();
  CLI::App* cmd = app.add_subcommand(
      "compare", "run cached and uncached generation on the same weights and compare them token by token");
  add_trace_input_flags(*cmd, f->input);
  auto* format = cmd->add_option("--format,-f", f->format, "table (for people), json or csv")
                     ->check(CLI::IsMember({"table", "json", "csv"}))
                     ->capture_default_str();
  cmd->add_flag("--csv", f->csv, "the same as --format csv, for plotting")->excludes(format);
  add_output_flag(*cmd, f->output);
  cmd->callback([f, cmd] {
    const trace::Document doc = load_runs(*cmd, f->input, {core::CacheMode::Cached, core::CacheMode::Uncached});
    const trace::Comparison c = trace::compare_runs(doc.runs[0], doc.runs[1], doc.meta);
    const std::string format = f->csv ? "csv" : f->format;
    std::string text;
    if (format == "json") text = trace::comparison_json(c).dump(1) + "\n";
    else if (format == "csv") text = trace::comparison_csv(c);
    else text = trace::comparison_table(c);
    trace::write_output(f->output, text);
    // The two modes compute the same function; a different token is a bug, not a result.
    if (!c.tokens_agree())
      throw std::runtime_error("the cached and uncached runs disagree at " + first_disagreement(c));
  });
}

}  // namespace kvscope::cli
