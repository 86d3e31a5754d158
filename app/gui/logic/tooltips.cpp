#include "app/gui/logic/tooltips.h"

#include "app/gui/logic/tokens.h"
#include "app/gui/logic/ui_text.h"
#include "trace/graph.h"
#include "trace/tensor_names.h"
#include "trace/text_format.h"

namespace kvscope::gui {

namespace {

// "[1, 7, 64]  (batch, all tokens, hidden)"
std::string shape_with_axes(const trace::Event& e, trace::Labels labels) {
  const std::string dims = trace::dims_text(e, labels);
  return trace::bracketed_list(e.shape) + (dims.empty() ? "" : "  (" + dims + ")");
}

}  // namespace

std::string node_tooltip(const trace::Run& run, const NodeView& node, trace::Labels labels, const char* other_side) {
  const trace::Event& e = run.events.at(static_cast<size_t>(node.event));
  std::string out = std::string(e.name);
  if (e.layer >= 0) out += "  (" + std::string(tr("layer")) + " " + std::to_string(e.layer) + ")";
  out += "\n" + std::string(tr("op")) + ": " + std::string(trace::op_name(e.op));
  if (const std::string_view f = trace::formula_of(e.key); !f.empty()) out += "    " + std::string(f);
  if (e.role == trace::Role::Text) out += "\n" + std::string(tr("text")) + ": " + trace::quoted(e.text);
  else out += "\n" + std::string(tr("shape")) + ": " + shape_with_axes(e, labels);
  if (node.cache) out += "\n" + std::string(tr("held in the KV cache: read again at every later step"));
  if (node.external)
    out += "\n" + std::string(tr("computed at step")) + " " + std::to_string(e.step) + ", " + tr("used by this one");
  if (node.changed) out += "\n" + std::string(tr("changed since the previous step")) + ": " + node.change;
  if (node.differs) out += "\n" + std::string(tr("differs from the")) + " " + other_side + ": " + node.difference;
  return out;
}

std::string edge_tooltip(const trace::Run& run, const PaneView& view, const EdgeView& edge) {
  const trace::Event& from = run.events.at(static_cast<size_t>(view.nodes.at(static_cast<size_t>(edge.from)).event));
  const trace::Event& to = run.events.at(static_cast<size_t>(view.nodes.at(static_cast<size_t>(edge.to)).event));
  std::string out = std::string(from.name) + " → " + std::string(to.name);
  if (edge.loop)
    return out + "\n" + tr("the layer's output is the next layer's input: the folded view draws one layer");
  out += "\n" + std::string(tr("carries")) + " " + std::string(from.name) + " " + trace::bracketed_list(from.shape);
  if (!edge.cache_role.empty()) out += "\n" + std::string(tr("KV cache")) + ": " + edge.cache_role;
  return out;
}

std::string pane_heading(const trace::Run& run, const PaneView& view, bool meta, const char* side, bool folded) {
  std::string out = side;
  if (view.step < 0) return out + ": " + tr("no step yet");
  const trace::StepRecord& step = run.steps.at(static_cast<size_t>(view.step));
  if (step.generated_index < 0) {
    out += ": " + std::string(tr("fills the cache, predicts no token"));
  } else {
    out += ": " + std::string(tr("predicts token")) + " " + std::to_string(step.generated_index + 1);
    if (!meta)
      if (const auto token = generated_token(run, view.step)) out += " " + trace::quoted(token->label());
  }
  out += " · " + std::string(tr("step")) + " " + std::to_string(view.step) + " (" +
         std::string(trace::phase_name(step.phase)) + "), " + std::to_string(view.nodes.size()) + " " + tr("tensors");
  if (folded) out += ", " + std::string(tr("folded"));
  return out;
}

}  // namespace kvscope::gui
