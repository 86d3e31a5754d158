#include "app/cli/graph_flags.h"

#include <iostream>
#include <stdexcept>

#include "app/common/flag_checks.h"
#include "app/common/graph_drawing.h"

namespace kvscope::cli {

namespace {

std::vector<int> matching_steps(const trace::Run& first, const std::vector<int>& steps, const trace::Run& other) {
  std::vector<int> out;
  for (int s : steps) {
    const int match = trace::matching_step(first, s, other);
    if (match < 0)
      throw std::runtime_error("--step " + std::to_string(s) + ": the " +
                               std::string(trace::cache_mode_name(other.mode)) + " run has no matching step");
    out.push_back(match);
  }
  return out;
}

}  // namespace

void add_graph_flags(CLI::App& cmd, GraphFlags& flags) {
  cmd.add_option("--labels", flags.labels, "axis labels and titles: en, or zh (the seed's Chinese words)")
      ->check(CLI::IsMember({"en", "zh"}))
      ->capture_default_str();
  auto* fold = cmd.add_flag("--fold")->description("draw one representative layer and the layer loop (the default)");
  auto* unfold = cmd.add_flag("--unfold", flags.unfold, "draw every layer")->excludes(fold);
  cmd.add_option("--layer", flags.layer, "the representative layer of a folded graph")
      ->check(app::integer_in(0, 1023))
      ->excludes(unfold)
      ->capture_default_str();
  cmd.add_option("--step", flags.steps,
                 "steps to draw (comma-separated); default: a cached run's prefill and first decode step, an "
                 "uncached run's first step")
      ->delimiter(',')
      ->check(app::integer_in(0, app::kMaxNewTokens));
  cmd.add_flag("--seed-loop", flags.seed_loop,
               "Mermaid: draw the layer loop as seed 000 does, an edge back to the layer's input (Mermaid then "
               "lays part of each step out upside down); by default it ends in a marker node")
      ->excludes(unfold);
}

void reject_graph_flags(const CLI::App& cmd, const std::string& format) {
  for (const char* flag : {"--labels", "--fold", "--unfold", "--layer", "--step", "--seed-loop"})
    if (cmd.count(flag) > 0)
      throw std::runtime_error(std::string(flag) + " applies to --format " +
                               (std::string_view(flag) == "--seed-loop" ? "mermaid" : "mermaid and dot") +
                               "; --format " + format + " holds every step, layer and label set");
}

std::string draw_graph(const trace::Document& doc, const std::string& format, const GraphFlags& flags) {
  // Graphviz ranks without the loop edge already, so only Mermaid has a choice to make.
  if (flags.seed_loop && format != "mermaid")
    throw std::runtime_error("--seed-loop applies to --format mermaid; " + format +
                             " draws the loop edge without letting it turn the layer upside down");
  // The other runs draw the steps that produced the same tokens as the first run's drawn steps.
  const std::vector<int> first_steps = flags.steps.empty() && !doc.runs.empty() ? trace::default_steps(doc.runs[0])
                                                                                : flags.steps;
  std::vector<app::DrawnRun> runs;
  for (size_t r = 0; r < doc.runs.size(); ++r)
    runs.push_back({&doc.runs[r], r == 0 ? flags.steps : matching_steps(doc.runs[0], first_steps, doc.runs[r])});
  app::GraphDrawing drawing;
  try {
    drawing = app::draw_graph(runs, format,
                              {!flags.unfold, flags.layer, *trace::labels_from_name(flags.labels), flags.seed_loop});
  } catch (const std::invalid_argument& e) {
    // The run lacks a step or the layer; the user knows them as flags.
    const std::string what = e.what();
    const std::string flag = what.find(" run: step ") != std::string::npos    ? "--step"
                             : what.find(" run: layer ") != std::string::npos ? "--layer"
                                                                              : "graph";
    throw std::runtime_error(flag + ": " + what);
  }
  if (!drawing.warning.empty()) std::cerr << "kvscope: " << drawing.warning << "\n";
  return drawing.text;
}

}  // namespace kvscope::cli
