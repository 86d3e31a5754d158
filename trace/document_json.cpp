#include "trace/document_json.h"

#include <stdexcept>

#include "trace/event_fields.h"

namespace kvscope::trace {

namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

ojson step_to_json(const StepRecord& s) {
  return ojson{{"step", s.step},
               {"phase", std::string(phase_name(s.phase))},
               {"tokens_in", s.tokens_in},
               {"cache_len", s.cache_len},
               {"generated_index", s.generated_index},
               {"next_tokens", s.next_tokens},
               {"kv_cache_bytes", s.kv_cache_bytes},
               {"ms", s.ms},
               {"events", {s.first_event, s.end_event}}};
}

StepRecord step_from_json(const json& j) {
  StepRecord s;
  s.step = j.at("step").get<int>();
  auto phase = phase_from_name(j.at("phase").get<std::string>());
  if (!phase) throw std::runtime_error("field 'phase' is not prefill, decode or full");
  s.phase = *phase;
  s.tokens_in = j.at("tokens_in").get<int>();
  s.cache_len = j.at("cache_len").get<int>();
  s.generated_index = j.at("generated_index").get<int>();
  s.next_tokens = j.at("next_tokens").get<std::vector<int>>();
  s.kv_cache_bytes = j.at("kv_cache_bytes").get<int64_t>();
  s.ms = j.at("ms").get<double>();
  const auto range = j.at("events").get<std::vector<int>>();
  if (range.size() != 2) throw std::runtime_error("field 'events' must be [first, end]");
  s.first_event = range[0];
  s.end_event = range[1];
  return s;
}

bool added_in_version_2(std::string_view field) { return field == "key" || field == "role"; }

Event event_from_json(const json& j, int schema_version) {
  Event e;
  for (const EventField& f : event_fields()) {
    auto it = j.find(f.key);
    if (it == j.end()) {
      // Optional fields may be absent; the always-present ones are required.
      const bool required = f.present(Event{}) && (schema_version > 1 || !added_in_version_2(f.key));
      if (required) throw std::runtime_error(std::string("missing field '") + f.key + "'");
      continue;
    }
    f.read(*it, e);
  }
  if (schema_version == 1) {
    const auto known = classify(e.phase, e.name);
    e.key = known ? std::string(known->key) : e.name;
    e.role = known ? known->role : Role::Intermediate;
  }
  return e;
}

template <typename E>
E enum_field(const json& j, const char* key, std::optional<E> (*from_name)(std::string_view)) {
  const auto value = from_name(j.at(key).get<std::string>());
  if (!value) throw std::runtime_error(std::string("field '") + key + "' has an unknown value");
  return *value;
}

}  // namespace

ojson document_to_json(const Document& doc) {
  ojson runs = ojson::array();
  for (const Run& run : doc.runs) {
    ojson steps = ojson::array();
    for (const StepRecord& s : run.steps) steps.push_back(step_to_json(s));
    ojson events = ojson::array();
    for (const Event& e : run.events) {
      ojson je = ojson::object();
      for (const EventField& f : event_fields())
        if (f.present(e)) je[f.key] = f.write(e);
      events.push_back(std::move(je));
    }
    const bool cached = run.mode == CacheMode::Cached;
    runs.push_back(ojson{{"mode", std::string(cache_mode_name(run.mode))},
                         {"prefill", cached ? std::string(prefill_scheme_name(run.prefill)) : std::string()},
                         {"batch", run.batch},
                         {"prompt", run.prompt},
                         {"steps", std::move(steps)},
                         {"events", std::move(events)}});
  }
  ojson out{{"schema_version", doc.schema_version}, {"meta", doc.meta}, {"model", doc.model}};
  if (!doc.weights.format.empty()) {
    ojson stored = ojson::object();
    for (const auto& [name, as] : doc.weights.stored_as) stored[name] = as;
    out["weights"] = ojson{
        {"format", doc.weights.format}, {"path", doc.weights.path}, {"stored_as", std::move(stored)}};
  }
  out["runs"] = std::move(runs);
  return out;
}

Document document_from_json(const json& j) {
  Document doc;
  try {
    doc.schema_version = j.at("schema_version").get<int>();
  } catch (const json::exception&) {
    throw std::runtime_error("missing or non-integer field 'schema_version'");
  }
  if (doc.schema_version < 1 || doc.schema_version > Document::kSchemaVersion)
    throw std::runtime_error("schema_version " + std::to_string(doc.schema_version) +
                             " is not supported (expected 1 to " + std::to_string(Document::kSchemaVersion) + ")");
  try {
    doc.meta = j.at("meta").get<bool>();
    doc.model = j.at("model");
    if (const auto w = j.find("weights"); w != j.end()) {
      doc.weights.format = w->at("format").get<std::string>();
      doc.weights.path = w->at("path").get<std::string>();
      for (const auto& [name, as] : w->at("stored_as").items())
        doc.weights.stored_as.emplace_back(name, as.get<std::string>());
    }
  } catch (const json::exception& ex) {
    throw std::runtime_error(std::string("document: ") + ex.what());
  }
  const json& runs = j.at("runs");
  for (size_t r = 0; r < runs.size(); ++r) {
    const json& jr = runs[r];
    Run run;
    std::string where = "runs[" + std::to_string(r) + "]";
    try {
      run.mode = enum_field(jr, "mode", cache_mode_from_name);
      // An uncached run has no prefill scheme: its field is empty.
      if (run.mode == CacheMode::Cached) run.prefill = enum_field(jr, "prefill", prefill_scheme_from_name);
      run.batch = jr.at("batch").get<int>();
      run.prompt = jr.at("prompt").get<std::vector<int>>();
      const json& steps = jr.at("steps");
      for (size_t s = 0; s < steps.size(); ++s) {
        where = "runs[" + std::to_string(r) + "].steps[" + std::to_string(s) + "]";
        run.steps.push_back(step_from_json(steps[s]));
      }
      const json& events = jr.at("events");
      for (size_t i = 0; i < events.size(); ++i) {
        where = "runs[" + std::to_string(r) + "].events[" + std::to_string(i) + "]";
        run.events.push_back(event_from_json(events[i], doc.schema_version));
        const Event& e = run.events.back();
        if (e.id != static_cast<int>(i)) throw std::runtime_error("id " + std::to_string(e.id) + " is not its index");
        for (int input : e.inputs)
          if (input < 0 || input >= e.id)
            throw std::runtime_error("input " + std::to_string(input) + " is not an earlier event");
      }
    } catch (const json::exception& ex) {
      throw std::runtime_error(where + ": " + ex.what());
    } catch (const std::runtime_error& ex) {
      throw std::runtime_error(where + ": " + ex.what());
    }
    doc.runs.push_back(std::move(run));
  }
  doc.schema_version = Document::kSchemaVersion;  // read as version 1, held as the current version
  return doc;
}

std::string run_title(const Run& run) {
  std::string title(cache_mode_name(run.mode));
  if (run.mode == CacheMode::Cached) title += " (prefill " + std::string(prefill_scheme_name(run.prefill)) + ")";
  return title;
}

std::string event_to_text(const Event& e) {
  std::string line;
  for (const EventField& f : event_fields()) {
    if (!f.present(e)) continue;
    const std::string piece = f.text(e);
    if (piece.empty()) continue;
    if (!line.empty()) line += "  ";
    line += piece;
  }
  return line;
}

std::string document_to_text(const Document& doc) {
  std::string out;
  for (const Run& run : doc.runs) {
    out += "run: " + run_title(run) + ", batch " + std::to_string(run.batch) + ", " +
           std::to_string(run.events.size()) + " events\n";
    for (const StepRecord& s : run.steps) {
      out += "step " + std::to_string(s.step) + " (" + std::string(phase_name(s.phase)) + ", " +
             std::to_string(s.tokens_in) + " tokens in, cache " + std::to_string(s.cache_len) + ")\n";
      for (int i = s.first_event; i < s.end_event; ++i) out += "  " + event_to_text(run.events[i]) + "\n";
    }
  }
  return out;
}

}  // namespace kvscope::trace
