// A JSON trace as `kvscope export --from` reads it (app/cli/trace_input.cpp): nlohmann's parser, then
// trace::document_from_json, then what export does with every run: the text form, the graph (default steps,
// folded and unfolded) and the Mermaid and DOT exports. Rejection: a JSON syntax error (nlohmann's
// exceptions, as the CLI catches them), std::runtime_error from document_from_json, std::invalid_argument from
// build_graph.
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_util.h"
#include "trace/document_json.h"
#include "trace/export_dot.h"
#include "trace/export_mermaid.h"
#include "trace/graph.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kvscope;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(data, data + size);
  } catch (const nlohmann::json::exception&) {  // a syntax error, or a number such as 1e400 (as the CLI catches)
    return 0;
  }
  KVSCOPE_FUZZ_GUARD({
    trace::Document doc;
    try {
      doc = trace::document_from_json(j);
    } catch (const std::runtime_error&) {
      return 0;
    } catch (const nlohmann::json::exception&) {
      // Known finding (fuzz/regressions/fuzz_trace_json/crash-missing-key): a missing or mistyped field escapes
      // as nlohmann's out_of_range or type_error, not the documented std::runtime_error.
      if (!fuzz::skip_known()) throw;
      return 0;
    }
    (void)trace::document_to_text(doc);
    (void)trace::document_to_json(doc).dump();
    for (const trace::Run& run : doc.runs) {
      (void)trace::run_title(run);
      for (const bool fold : {true, false}) {
        try {
          trace::GraphOptions options;
          options.fold = fold;
          const trace::Graph graph = trace::build_graph(run, options);
          (void)trace::export_mermaid(run, graph, trace::Labels::En);
          (void)trace::export_dot(run, graph, trace::Labels::Zh);
        } catch (const std::invalid_argument&) {
        }
      }
    }
  })
  return 0;
}
