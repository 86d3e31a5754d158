#include <nlohmann/json.hpp>

#include "app/cli/commands.h"
#include "app/cli/graph_flags.h"
#include "app/common/flag_checks.h"
#include "trace/atomic_file.h"
#include "trace/document_json.h"

namespace kvscope::cli {

namespace {
struct TraceFlags {
  app::RunSpec spec;
  bool no_cache = false;
  bool both = false;
  bool stats = false;
  bool values = false;
  std::string format = "json";
  std::string output;
  GraphFlags graph;
};

std::string render(const trace::Document& doc, const std::string& format, const GraphFlags& graph) {
  if (format == "json") return trace::document_to_json(doc).dump(1) + "\n";
  if (format == "text") return trace::document_to_text(doc);
  return draw_graph(doc, format, graph);
}
}  // namespace

void add_trace_command(CLI::App& app) {
  auto flags = std::make_shared<TraceFlags>();
  CLI::App* cmd = app.add_subcommand("trace", "record every intermediate tensor of a run as JSON or text");
  add_run_flags(*cmd, flags->spec);
  auto* no_cache = cmd->add_flag("--no-cache", flags->no_cache, "trace the uncached run only");
  cmd->add_flag("--both", flags->both, "trace the cached and the uncached run")->excludes(no_cache);
  cmd->add_flag("--stats", flags->stats, "add min, max, mean and std of every tensor");
  cmd->add_flag("--values", flags->values, "add values of tensors up to --values-max elements (and logits' last row)");
  cmd->add_option("--values-max", flags->spec.capture.values_max, "largest tensor whose values are kept")
      ->check(app::integer_in(0))
      ->capture_default_str();
  cmd->add_option("--format,-f", flags->format, "json, text, or a graph: mermaid or dot (as `kvscope export`)")
      ->check(CLI::IsMember({"json", "text", "mermaid", "dot"}))
      ->capture_default_str();
  add_graph_flags(*cmd, flags->graph);
  add_output_flag(*cmd, flags->output);
  cmd->callback([flags, cmd] {
    if (flags->format == "json" || flags->format == "text") reject_graph_flags(*cmd, flags->format);
    app::RunSpec spec = flags->spec;
    spec.capture.stats = flags->stats || flags->values;
    spec.capture.values = flags->values;
    std::vector<core::CacheMode> modes;
    if (flags->both) modes = {core::CacheMode::Cached, core::CacheMode::Uncached};
    else modes = {flags->no_cache ? core::CacheMode::Uncached : core::CacheMode::Cached};
    const RecordedRuns runs = record_runs(spec, modes);
    const std::string text = render(runs.doc, flags->format, flags->graph);
    trace::write_output(flags->output, text);
  });
}

}  // namespace kvscope::cli
