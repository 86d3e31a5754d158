#include "trace/document_json.h"

#include <algorithm>

#include <stdexcept>

#include "trace/event_fields.h"
#include "trace/event_values.h"
#include "trace/text_format.h"

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
  s.step = json_int<int>(j.at("step"), "field 'step'");
  auto phase = phase_from_name(j.at("phase").get<std::string>());
  if (!phase) throw std::runtime_error("field 'phase' is not prefill, decode or full");
  s.phase = *phase;
  s.tokens_in = json_int<int>(j.at("tokens_in"), "field 'tokens_in'");
  s.cache_len = json_int<int>(j.at("cache_len"), "field 'cache_len'");
  s.generated_index = json_int<int>(j.at("generated_index"), "field 'generated_index'");
  s.next_tokens = json_ints<int>(j.at("next_tokens"), "field 'next_tokens'");
  s.kv_cache_bytes = json_int<int64_t>(j.at("kv_cache_bytes"), "field 'kv_cache_bytes'");
  s.ms = j.at("ms").get<double>();
  const auto range = json_ints<int>(j.at("events"), "field 'events'");
  if (range.size() != 2) throw std::runtime_error("field 'events' must be [first, end]");
  s.first_event = range[0];
  s.end_event = range[1];
  return s;
}

// What a trace must be for the graph, the exports and the comparison to read it without guessing.
void check_event(const Event& e, int layers, int steps) {
  for (int64_t d : e.shape)
    if (d < 0) throw std::runtime_error("shape " + bracketed_list(e.shape) + " has a negative size");
  if (!e.dims.empty() && e.dims.size() != e.shape.size())
    throw std::runtime_error(std::to_string(e.dims.size()) + " dims for a shape of rank " +
                             std::to_string(e.shape.size()));
  if (!e.dims_zh.empty() && e.dims_zh.size() != e.shape.size())
    throw std::runtime_error(std::to_string(e.dims_zh.size()) + " dims_zh for a shape of rank " +
                             std::to_string(e.shape.size()));
  if (e.layer < -1 || e.layer >= layers)
    throw std::runtime_error("layer " + std::to_string(e.layer) + " is outside the model's " + std::to_string(layers) +
                             " layers");
  if (e.step < 0 || e.step >= steps)
    throw std::runtime_error("step " + std::to_string(e.step) + " is outside the run's " + std::to_string(steps) +
                             " steps");
}

void check_steps(const Run& run) {
  int previous_end = 0;
  for (size_t i = 0; i < run.steps.size(); ++i) {
    const StepRecord& s = run.steps[i];
    if (s.step != static_cast<int>(i))
      throw std::runtime_error("steps[" + std::to_string(i) + "] says it is step " + std::to_string(s.step));
    if (s.first_event != previous_end || s.end_event < s.first_event ||
        s.end_event > static_cast<int>(run.events.size()))
      throw std::runtime_error("steps[" + std::to_string(i) + "]: events [" + std::to_string(s.first_event) + ", " +
                               std::to_string(s.end_event) + ") do not follow the step before within the run's " +
                               std::to_string(run.events.size()) + " events");
    previous_end = s.end_event;
  }
  if (previous_end != static_cast<int>(run.events.size()))
    throw std::runtime_error("the steps cover " + std::to_string(previous_end) + " of the run's " +
                             std::to_string(run.events.size()) + " events");
}

bool added_in_version_2(std::string_view field) { return field == "key" || field == "role"; }

Event event_from_json(const json& j, int schema_version, EventStore& store) {
  Event e;
  for (const EventField& f : event_fields()) {
    auto it = j.find(f.key);
    if (it == j.end()) {
      // Optional fields may be absent; the always-present ones are required.
      const bool required = f.present(Event{}) && (schema_version > 1 || !added_in_version_2(f.key));
      if (required) throw std::runtime_error(std::string("missing field '") + f.key + "'");
      continue;
    }
    f.read(*it, e, store);
  }
  if (schema_version == 1) {
    const auto known = classify(e.phase, e.name);
    e.key = known ? known->key : e.name;
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
    Event rebuilt;
    std::vector<float> rebuilt_values;
    for (const Event& stored : run.events) {
      const Event& e = stored.values_from_inputs ? (rebuilt = with_values(run, stored, rebuilt_values)) : stored;
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
  ojson out{{"schema_version", doc.schema_version}, {"meta", doc.meta}, {"model", ojson::parse(doc.model)}};
  if (!doc.weights.format.empty()) {
    ojson stored = ojson::object();
    for (const auto& [name, as] : doc.weights.stored_as) stored[name] = as;
    out["weights"] = ojson{
        {"format", doc.weights.format}, {"path", doc.weights.path}, {"stored_as", std::move(stored)}};
  }
  out["runs"] = std::move(runs);
  return out;
}

namespace {

// nlohmann's message without its "[json.exception.out_of_range.403] " prefix: "key 'meta' not found".
std::string plain(const json::exception& ex) {
  const std::string what = ex.what();
  const size_t end = what.rfind('[', 0) == 0 ? what.find("] ") : std::string::npos;
  return end == std::string::npos ? what : what.substr(end + 2);
}

}  // namespace

Document document_from_json(const json& j) {
  Document doc;
  try {
    doc.schema_version = json_int<int>(j.at("schema_version"), "schema_version");
  } catch (const std::exception&) {
    throw std::runtime_error("missing or non-integer field 'schema_version'");
  }
  if (doc.schema_version < 1 || doc.schema_version > Document::kSchemaVersion)
    throw std::runtime_error("schema_version " + std::to_string(doc.schema_version) +
                             " is not supported (expected 1 to " + std::to_string(Document::kSchemaVersion) + ")");
  try {
    doc.meta = j.at("meta").get<bool>();
    doc.model = j.at("model").dump();
    if (const auto w = j.find("weights"); w != j.end()) {
      doc.weights.format = w->at("format").get<std::string>();
      doc.weights.path = w->at("path").get<std::string>();
      for (const auto& [name, as] : w->at("stored_as").items())
        doc.weights.stored_as.emplace_back(name, as.get<std::string>());
    }
  } catch (const json::exception& ex) {
    throw std::runtime_error("document: " + plain(ex));
  }
  // Layers as the model says, within the largest a config may have.
  int layers = 1024;
  const json& model = j.at("model");
  if (const auto n = model.find("num_hidden_layers"); n != model.end() && n->is_number_integer())
    layers = static_cast<int>(std::clamp<int64_t>(n->get<int64_t>(), 0, 1024));
  const auto runs_it = j.find("runs");
  if (runs_it == j.end() || !runs_it->is_array()) throw std::runtime_error("document: field 'runs' must be an array");
  const json& runs = *runs_it;
  for (size_t r = 0; r < runs.size(); ++r) {
    const json& jr = runs[r];
    Run run;
    std::string where = "runs[" + std::to_string(r) + "]";
    try {
      run.mode = enum_field(jr, "mode", cache_mode_from_name);
      // An uncached run has no prefill scheme: its field is empty.
      if (run.mode == CacheMode::Cached) run.prefill = enum_field(jr, "prefill", prefill_scheme_from_name);
      run.batch = json_int<int>(jr.at("batch"), "field 'batch'");
      run.prompt = json_ints<int>(jr.at("prompt"), "field 'prompt'");
      const json& steps = jr.at("steps");
      for (size_t s = 0; s < steps.size(); ++s) {
        where = "runs[" + std::to_string(r) + "].steps[" + std::to_string(s) + "]";
        run.steps.push_back(step_from_json(steps[s]));
      }
      const json& events = jr.at("events");
      for (size_t i = 0; i < events.size(); ++i) {
        where = "runs[" + std::to_string(r) + "].events[" + std::to_string(i) + "]";
        run.events.push_back(event_from_json(events[i], doc.schema_version, *run.store));
        const Event& e = run.events.back();
        if (e.id != static_cast<int>(i)) throw std::runtime_error("id " + std::to_string(e.id) + " is not its index");
        for (int input : e.inputs)
          if (input < 0 || input >= e.id)
            throw std::runtime_error("input " + std::to_string(input) + " is not an earlier event");
        check_event(e, layers, static_cast<int>(run.steps.size()));
      }
      where = "runs[" + std::to_string(r) + "]";
      check_steps(run);
    } catch (const json::exception& ex) {
      throw std::runtime_error(where + ": " + plain(ex));
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
      std::vector<float> rebuilt_values;
      for (int i = s.first_event; i < s.end_event; ++i) {
        const Event& e = run.events[i];
        out += "  " + event_to_text(e.values_from_inputs ? with_values(run, e, rebuilt_values) : e) + "\n";
      }
    }
  }
  return out;
}

}  // namespace kvscope::trace
