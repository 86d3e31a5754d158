#pragma once
// The trace document as JSON (schema in README.md) and as readable text.
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "trace/event.h"

namespace kvscope::trace {

nlohmann::ordered_json document_to_json(const Document& doc);
// Throws std::runtime_error naming the run, event index and field that is wrong.
Document document_from_json(const nlohmann::json& j);

// One line per event, built from the same field list as the JSON.
std::string event_to_text(const Event& e);
// "cached (prefill all-but-last)" or "uncached"
std::string run_title(const Run& run);
std::string document_to_text(const Document& doc);

}  // namespace kvscope::trace
