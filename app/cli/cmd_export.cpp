#include <iostream>
#include <memory>

#include "app/cli/commands.h"
#include "app/cli/trace_input.h"
#include "trace/atomic_file.h"
#include "trace/document_json.h"
#include "trace/export_dot.h"
#include "trace/export_mermaid.h"

namespace kvscope::cli {

namespace {

struct ExportFlags {
  TraceInput input;
  std::string format = "mermaid";
  std::string labels = "en";
  bool unfold = false;
  int layer = 0;
  std::vector<int> steps;
  std::string mode = "cached";
  std::string output;
};

std::vector<core::CacheMode> modes_of(const std::string& mode) {
  if (mode == "both") return {core::CacheMode::Cached, core::CacheMode::Uncached};
  return {mode == "uncached" ? core::CacheMode::Uncached : core::CacheMode::Cached};
}

// With --mode both, the uncached graph draws the passes that produced the cached graph's tokens.
std::vector<int> matching_steps(const trace::Run& cached, const std::vector<int>& steps, const trace::Run& uncached) {
  std::vector<int> out;
  for (int s : steps) {
    const int match = trace::matching_step(cached, s, uncached);
    if (match < 0) throw std::runtime_error("--step " + std::to_string(s) + ": the uncached run has no matching step");
    out.push_back(match);
  }
  return out;
}

std::string export_graph(const ExportFlags& f, const trace::Document& doc) {
  const trace::Labels labels = *trace::labels_from_name(f.labels);
  std::vector<trace::Graph> graphs;
  for (size_t r = 0; r < doc.runs.size(); ++r) {
    trace::GraphOptions options;
    options.fold = !f.unfold;
    options.layer = f.layer;
    options.steps = r == 0 || f.steps.empty() ? f.steps : matching_steps(doc.runs[0], f.steps, doc.runs[r]);
    try {
      graphs.push_back(trace::build_graph(doc.runs[r], options));
    } catch (const std::invalid_argument& e) {
      // build_graph names the step or the layer it lacks; the user knows them as flags.
      const std::string what = e.what();
      const std::string flag = what.rfind("step ", 0) == 0 ? "--step" : what.rfind("layer ", 0) == 0 ? "--layer" : "export";
      throw std::runtime_error(flag + ": the " + doc.runs[r].mode + " run: " + what);
    }
  }
  std::vector<trace::GraphPart> parts;
  for (size_t r = 0; r < doc.runs.size(); ++r) parts.push_back(trace::mode_part(doc.runs[r], graphs[r]));
  if (f.format == "dot") return trace::export_dot(parts, labels);
  const trace::MermaidText m = trace::export_mermaid(parts, labels);
  const std::string warning = trace::mermaid_limits_warning(m, !f.unfold);
  if (!warning.empty()) std::cerr << "kvscope: " << warning << "\n";
  return m.text;
}

}  // namespace

void add_export_command(CLI::App& app) {
  auto f = std::make_shared<ExportFlags>();
  CLI::App* cmd = app.add_subcommand(
      "export", "draw a run's tensor graph as Mermaid or DOT (folded onto one layer by default), or write it as JSON");
  add_trace_input_flags(*cmd, f->input);
  cmd->add_option("--format,-f", f->format, "mermaid, dot or json")
      ->check(CLI::IsMember({"mermaid", "dot", "json"}))
      ->capture_default_str();
  cmd->add_option("--labels", f->labels, "axis labels and titles: en, or zh (the seed's Chinese words)")
      ->check(CLI::IsMember({"en", "zh"}))
      ->capture_default_str();
  auto* fold = cmd->add_flag("--fold")->description("draw one representative layer and the layer loop (the default)");
  auto* unfold = cmd->add_flag("--unfold", f->unfold, "draw every layer")->excludes(fold);
  cmd->add_option("--layer", f->layer, "the representative layer of a folded graph")
      ->check(CLI::NonNegativeNumber)
      ->excludes(unfold)
      ->capture_default_str();
  cmd->add_option("--step", f->steps,
                  "steps to draw (comma-separated); default: a cached run's prefill and first decode step, an "
                  "uncached run's first step")
      ->delimiter(',')
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--mode", f->mode, "cached, uncached, or both side by side")
      ->check(CLI::IsMember({"cached", "uncached", "both"}))
      ->capture_default_str();
  cmd->add_option("--output,-o", f->output, "file to write (atomically); standard output when absent");
  cmd->callback([f, cmd] {
    if (f->format == "json")
      for (const char* flag : {"--labels", "--fold", "--unfold", "--layer", "--step"})
        if (cmd->count(flag) > 0)
          throw std::runtime_error(std::string(flag) + " applies to --format mermaid and dot; the JSON trace holds "
                                   "every step, layer and label set");
    const trace::Document doc = load_runs(*cmd, f->input, modes_of(f->mode));
    const std::string text =
        f->format == "json" ? trace::document_to_json(doc).dump(1) + "\n" : export_graph(*f, doc);
    if (f->output.empty()) std::cout << text;
    else trace::write_file_atomically(f->output, text);
  });
}

}  // namespace kvscope::cli
