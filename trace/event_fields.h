#pragma once
// The one list of an event's fields: JSON writing, JSON reading and text printing all walk it,
// so a field added here shows up everywhere at once.
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "trace/event.h"

namespace kvscope::trace {

struct EventField {
  const char* key;
  bool (*present)(const Event&);  // optional fields are skipped when absent
  nlohmann::ordered_json (*write)(const Event&);
  // Throws std::runtime_error on a bad value; text and values the event keeps go into `store`.
  void (*read)(const nlohmann::json&, Event&, EventStore& store);
  std::string (*text)(const Event&);  // empty: not printed in the text form
};

std::span<const EventField> event_fields();

// A JSON integer that fits T, or an array of them; throws std::runtime_error naming `what` otherwise. nlohmann's
// own get<int>() converts 1e30 by a cast whose result is undefined and 4294967297 by truncation.
template <typename T>
T json_int(const nlohmann::json& j, const std::string& what) {
  const bool fits = j.is_number_unsigned()
                        ? j.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<T>::max())
                        : j.is_number_integer() && j.get<int64_t>() >= std::numeric_limits<T>::min() &&
                              j.get<int64_t>() <= std::numeric_limits<T>::max();
  if (!fits) throw std::runtime_error(what + " must be an integer in range, got " + j.dump());
  return static_cast<T>(j.is_number_unsigned() ? static_cast<int64_t>(j.get<uint64_t>()) : j.get<int64_t>());
}
template <typename T>
std::vector<T> json_ints(const nlohmann::json& j, const std::string& what) {
  if (!j.is_array()) throw std::runtime_error(what + " must be an array of integers, got " + j.dump());
  std::vector<T> out;
  out.reserve(j.size());
  for (const auto& x : j) out.push_back(json_int<T>(x, what));
  return out;
}

}  // namespace kvscope::trace
