// Writes a Mermaid export of a run whose tensor names are everything Mermaid reads specially (keywords as
// ids, quotes, '#', '<', '>', '&', '@', '.', '-'), and the list of those names, one a line: the renderer
// checks that every name reads back unchanged from the rendered diagram. The run starts from a prompt text
// holding the same characters, plus backticks, '|', a backslash and a newline.
#include <iostream>
#include <string>
#include <vector>

#include "trace/atomic_file.h"
#include "trace/export_mermaid.h"
#include "trace/text_format.h"

using namespace kvscope::trace;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: hostile_names OUT.mmd NAMES.txt\n";
    return 2;
  }
  const std::vector<std::string> names{"end",      "end.x",       "end-x",    "graph",     "flowchart",   "subgraph",
                                       "style",    "class",       "classDef", "linkStyle", "interpolate", "_self",
                                       "_blank",   "_parent",     "_top",     "a@b",       "say \"hi\"",  "#35; and #",
                                       "<b>x</b>", "a&amp;b & c", "prefill",  "decode1",   "1st"};
  Run run;
  run.mode = CacheMode::Cached;
  StepRecord step;
  step.phase = Phase::Prefill;
  step.tokens_in = 2;
  const std::string prompt = "\"hi\" #1 <b>&amp; | `t` a\\nb\nx";  // under 40 characters: drawn whole
  Event text;
  text.id = 0;
  text.name = "input_string";
  text.key = "input_string";
  text.role = Role::Text;
  text.dtype = DType::Text;
  text.op = Op::Text;
  text.text = prompt;
  run.events.push_back(text);
  for (const std::string& name : names) {
    Event e;
    e.id = static_cast<int>(run.events.size());
    e.name = name;
    e.shape = {2, 3};
    e.dims = {"tokens <&>", "\"hidden\" #"};
    e.dims_zh = e.dims;
    e.layer = e.id == 1 ? -1 : 0;
    e.inputs = {e.id - 1};
    run.events.push_back(e);
  }
  step.end_event = static_cast<int>(run.events.size());
  run.steps.push_back(step);
  const Graph graph = build_graph(run, {});
  write_file_atomically(argv[1], export_mermaid(run, graph, Labels::En).text);
  std::string list;
  for (const std::string& name : names) list += name + "\n";
  write_file_atomically(argv[2], list + "tokens <&>, \"hidden\" #\n" + "\u201c" + visible_text(prompt) + "\u201d\n");
}
