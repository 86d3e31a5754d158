#pragma once
// The one list of an event's fields: JSON writing, JSON reading and text printing all walk it,
// so a field added here shows up everywhere at once.
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "trace/event.h"

namespace kvscope::trace {

struct EventField {
  const char* key;
  bool (*present)(const Event&);  // optional fields are skipped when absent
  nlohmann::ordered_json (*write)(const Event&);
  void (*read)(const nlohmann::json&, Event&);  // throws std::runtime_error on a bad value
  std::string (*text)(const Event&);            // empty: not printed in the text form
};

std::span<const EventField> event_fields();

}  // namespace kvscope::trace
