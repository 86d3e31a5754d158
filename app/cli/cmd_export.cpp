#include <memory>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "app/cli/commands.h"
#include "app/cli/graph_flags.h"
#include "app/cli/graphviz_render.h"
#include "app/cli/trace_input.h"
#include "trace/atomic_file.h"
#include "trace/document_json.h"

namespace kvscope::cli {

namespace {

struct ExportFlags {
  TraceInput input;
  GraphFlags graph;
  std::string format = "mermaid";
  std::string mode = "cached";
  std::string output;
};

std::vector<core::CacheMode> modes_of(const std::string& mode) {
  if (mode == "both") return {core::CacheMode::Cached, core::CacheMode::Uncached};
  return {mode == "uncached" ? core::CacheMode::Uncached : core::CacheMode::Cached};
}

}  // namespace

void add_export_command(CLI::App& app) {
  auto f = std::make_shared<ExportFlags>();
  CLI::App* cmd = app.add_subcommand(
      "export",
      "draw a run's tensor graph as Mermaid, DOT, SVG or PNG (folded onto one layer by default), or write it as JSON");
  add_trace_input_flags(*cmd, f->input);
  cmd->add_option("--format,-f", f->format, "mermaid, dot, svg or png (drawn by Graphviz), or json")
      ->check(CLI::IsMember({"mermaid", "dot", "svg", "png", "json"}))
      ->capture_default_str();
  add_graph_flags(*cmd, f->graph);
  cmd->add_option("--mode", f->mode, "cached, uncached, or both side by side")
      ->check(CLI::IsMember({"cached", "uncached", "both"}))
      ->capture_default_str();
  add_output_flag(*cmd, f->output);
  cmd->callback([f, cmd] {
    if (f->format == "json") reject_graph_flags(*cmd, f->format);
    if (f->graph.seed_loop && f->format != "mermaid")
      throw std::runtime_error("--seed-loop applies to --format mermaid; Graphviz (--format " + f->format +
                               ") keeps the loop edge out of its ranking, so its layer reads top to bottom anyway");
    const trace::Document doc = load_runs(*cmd, f->input, modes_of(f->mode));
    std::string text;
    if (f->format == "json") text = trace::document_to_json(doc).dump(1) + "\n";
    else if (f->format == "svg" || f->format == "png")
      text = render_graphviz(draw_graph(doc, "dot", f->graph), f->format);
    else text = draw_graph(doc, f->format, f->graph);
    trace::write_output(f->output, text);
  });
}

}  // namespace kvscope::cli
