#include "trace/event_fields.h"

#include <array>
#include <cstdio>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "trace/text_format.h"

namespace kvscope::trace {

namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

bool always(const Event&) { return true; }

template <typename T>
struct IntVector : std::false_type {};
template <typename I>
struct IntVector<std::vector<I>> : std::bool_constant<std::is_integral_v<I>> {};

template <typename T>
T get_as(const json& j, const char* key) {
  const std::string what = std::string("event field '") + key + "'";
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) return json_int<T>(j, what);
  else if constexpr (IntVector<T>::value) return json_ints<typename T::value_type>(j, what);
  try {
    return j.get<T>();
  } catch (const json::exception&) {
    throw std::runtime_error(what + " has the wrong type");
  }
}

// A list read from a file, within the capacity an event holds.
template <size_t N, typename T>
SmallVector<T, N> bounded(const std::vector<T>& items, const char* key) {
  if (items.size() > N)
    throw std::runtime_error(std::string("event field '") + key + "' has " + std::to_string(items.size()) +
                             " entries; kvscope's events have at most " + std::to_string(N));
  return SmallVector<T, N>(items.begin(), items.end());
}

AxisLabels labels(const json& j, const char* key, StringPool& strings) {
  AxisLabels out;
  for (const std::string& label : bounded<kMaxRank>(get_as<std::vector<std::string>>(j, key), key))
    out.push_back(strings.intern(label));
  return out;
}

ojson labels_json(const AxisLabels& labels) {
  ojson out = ojson::array();
  for (std::string_view label : labels) out.push_back(label);
  return out;
}

std::string number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

const std::array<EventField, 17> kFields{{
    {"id", always, [](const Event& e) { return ojson(e.id); },
     [](const json& j, Event& e, EventStore&) { e.id = get_as<int>(j, "id"); },
     [](const Event& e) { return "#" + std::to_string(e.id); }},
    {"name", always, [](const Event& e) { return ojson(e.name); },
     [](const json& j, Event& e, EventStore& store) { e.name = store.strings.intern(get_as<std::string>(j, "name")); },
     [](const Event& e) { return std::string(e.name); }},
    // Readers of schema_version 1 derive key and role from the name (document_json.cpp).
    {"key", always, [](const Event& e) { return ojson(e.key); },
     [](const json& j, Event& e, EventStore& store) { e.key = store.strings.intern(get_as<std::string>(j, "key")); },
     [](const Event&) { return std::string(); }},
    {"role", always, [](const Event& e) { return ojson(std::string(role_name(e.role))); },
     [](const json& j, Event& e, EventStore&) {
       auto role = role_from_name(get_as<std::string>(j, "role"));
       if (!role) throw std::runtime_error("event field 'role' names no known role");
       e.role = *role;
     },
     [](const Event&) { return std::string(); }},
    {"shape", always, [](const Event& e) { return ojson(std::vector<int64_t>(e.shape.begin(), e.shape.end())); },
     [](const json& j, Event& e, EventStore&) {
       e.shape = bounded<kMaxRank>(get_as<std::vector<int64_t>>(j, "shape"), "shape");
     },
     [](const Event& e) { return bracketed_list(e.shape); }},
    {"dims", always, [](const Event& e) { return labels_json(e.dims); },
     [](const json& j, Event& e, EventStore& store) { e.dims = labels(j, "dims", store.strings); },
     [](const Event& e) { return "(" + join(e.dims, ", ") + ")"; }},
    {"dims_zh", always, [](const Event& e) { return labels_json(e.dims_zh); },
     [](const json& j, Event& e, EventStore& store) { e.dims_zh = labels(j, "dims_zh", store.strings); },
     [](const Event&) { return std::string(); }},
    {"layer", always, [](const Event& e) { return ojson(e.layer); },
     [](const json& j, Event& e, EventStore&) { e.layer = get_as<int>(j, "layer"); },
     [](const Event& e) { return e.layer < 0 ? std::string("-") : "L" + std::to_string(e.layer); }},
    {"step", always, [](const Event& e) { return ojson(e.step); },
     [](const json& j, Event& e, EventStore&) { e.step = get_as<int>(j, "step"); },
     [](const Event& e) { return "step " + std::to_string(e.step); }},
    {"phase", always, [](const Event& e) { return ojson(std::string(phase_name(e.phase))); },
     [](const json& j, Event& e, EventStore&) {
       auto p = phase_from_name(get_as<std::string>(j, "phase"));
       if (!p) throw std::runtime_error("event field 'phase' is not prefill, decode or full");
       e.phase = *p;
     },
     [](const Event& e) { return std::string(phase_name(e.phase)); }},
    {"op", always, [](const Event& e) { return ojson(std::string(op_name(e.op))); },
     [](const json& j, Event& e, EventStore&) {
       auto op = op_from_name(get_as<std::string>(j, "op"));
       if (!op) throw std::runtime_error("event field 'op' names no known op");
       e.op = *op;
     },
     [](const Event& e) { return std::string(op_name(e.op)); }},
    {"inputs", always, [](const Event& e) { return ojson(std::vector<int>(e.inputs.begin(), e.inputs.end())); },
     [](const json& j, Event& e, EventStore&) {
       e.inputs = bounded<kMaxInputs>(get_as<std::vector<int>>(j, "inputs"), "inputs");
     },
     [](const Event& e) {
       std::vector<std::string> ids;
       for (int i : e.inputs) ids.push_back("#" + std::to_string(i));
       return ids.empty() ? std::string() : "<- " + join(ids, " ");
     }},
    {"dtype", always, [](const Event& e) { return ojson(std::string(dtype_name(e.dtype))); },
     [](const json& j, Event& e, EventStore&) {
       auto dtype = dtype_from_name(get_as<std::string>(j, "dtype"));
       if (!dtype) throw std::runtime_error("event field 'dtype' is not float32, int32 or text");
       e.dtype = *dtype;
     },
     [](const Event& e) { return e.dtype == DType::Float32 ? std::string() : std::string(dtype_name(e.dtype)); }},
    {"stats", [](const Event& e) { return e.stats.has_value(); },
     [](const Event& e) {
       ojson j{{"min", e.stats->min}, {"max", e.stats->max}, {"mean", e.stats->mean}, {"std", e.stats->std}};
       if (e.stats->nonfinite > 0) j["nonfinite"] = e.stats->nonfinite;  // NaNs and infinities, left out above
       return j;
     },
     [](const json& j, Event& e, EventStore&) {
       Stats s;
       s.min = get_as<double>(j.at("min"), "stats.min");
       s.max = get_as<double>(j.at("max"), "stats.max");
       s.mean = get_as<double>(j.at("mean"), "stats.mean");
       s.std = get_as<double>(j.at("std"), "stats.std");
       if (j.contains("nonfinite")) s.nonfinite = get_as<int64_t>(j.at("nonfinite"), "stats.nonfinite");
       e.stats = s;
     },
     [](const Event& e) {
       return "min " + number(e.stats->min) + " max " + number(e.stats->max) + " mean " + number(e.stats->mean) +
              " std " + number(e.stats->std) +
              (e.stats->nonfinite > 0 ? " nonfinite " + std::to_string(e.stats->nonfinite) : "");
     }},
    {"values", [](const Event& e) { return e.values.has_value(); },
     [](const Event& e) {
       return ojson{{"of", e.values_of}, {"data", std::vector<float>(e.values->begin(), e.values->end())}};
     },
     [](const json& j, Event& e, EventStore& store) {
       const std::string of = get_as<std::string>(j.at("of"), "values.of");
       if (of != kAllValues && of != kLastRowValues)
         throw std::runtime_error("event field 'values.of' is not all or last_row");
       e.values_of = of == kAllValues ? kAllValues : kLastRowValues;
       e.values = store.values.copy(get_as<std::vector<float>>(j.at("data"), "values.data"));
     },
     [](const Event& e) { return std::to_string(e.values->size()) + " values (" + std::string(e.values_of) + ")"; }},
    {"text", [](const Event& e) { return e.role == Role::Text; }, [](const Event& e) { return ojson(e.text); },
     [](const json& j, Event& e, EventStore&) { e.text = get_as<std::string>(j, "text"); },
     [](const Event& e) { return trace::quoted(e.text); }},
    {"pieces", [](const Event& e) { return !e.pieces.empty(); }, [](const Event& e) { return ojson(e.pieces); },
     [](const json& j, Event& e, EventStore&) { e.pieces = get_as<std::vector<std::string>>(j, "pieces"); },
     [](const Event& e) {
       std::vector<std::string> quoted_pieces;
       for (const std::string& p : e.pieces) quoted_pieces.push_back(trace::quoted(p));
       return "pieces " + join(quoted_pieces, " ");
     }},
}};

}  // namespace

std::span<const EventField> event_fields() { return kFields; }

}  // namespace kvscope::trace
