#pragma once
// What the model controls edit before a load: the model, the prompt (text for the model's tokenizer, or
// token ids) and the seeds' scenarios, one click each.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "app/common/recording.h"
#include "app/gui/logic/session.h"

namespace kvscope::gui {

struct AppState;

enum class PromptKind { Text, Ids };

// The prompt field. A model with a tokenizer reads text by default, one without reads ids; ids can be typed
// for a model with a tokenizer too.
struct PromptField {
  PromptKind kind = PromptKind::Text;
  std::string value;  // text, or "12,81,92" ("1,2; 3,4": one list per sequence); empty: the default prompt
};

// What the field shows once `session` is loaded: the text it read, or its ids; empty for a random prompt of
// prompt-len ids, so that loading again draws them again.
PromptField prompt_field_of(const Session& session);

// The field into the spec, replacing its prompt. Throws std::invalid_argument for ids that do not parse.
void apply_prompt_field(app::RunSpec& spec, const PromptField& field);

// Whether the spec's model (or its tokenizer override) has a tokenizer, so reads text; false when the model
// does not resolve (loading it says why).
bool reads_text(const app::RunSpec& spec);

// The field's placeholder while it is empty: what the model reads then.
std::string empty_prompt_hint(const app::RunSpec& spec);

// Picks the model to load next. When it reads the other kind of prompt, the field changes kind and shows that
// kind's default (text does not carry over to a model without a tokenizer).
void choose_model(AppState& app, const std::string& model);

// Switches the field between text and ids. With the loaded model's tokenizer the prompt is converted (text
// to its ids, ids to their text), so a learner sees what the tokenizer made of the text; else it is cleared.
void set_prompt_kind(AppState& app, PromptKind kind);

// The Load button: the field into the pending spec, then a new session.
void load_with_prompt_field(AppState& app);

// A seed's scenario: model and prompt as the seed notes use them.
struct Scenario {
  std::string_view name;   // "seed004"
  std::string_view label;  // "seed 004"
  std::string_view help;
  std::string_view model;
  std::vector<int32_t> ids;  // empty: the text, else prompt_len random ids
  int prompt_len = 0;
  std::string_view text = {};             // a text prompt, read by the tokenizer of
  std::string_view tokenizer_model = {};  // this shipped model (the preset has none)
};
std::span<const Scenario> scenarios();
// Loads a scenario with seed 0 and one sequence; throws std::invalid_argument naming the known ones.
void load_scenario(AppState& app, std::string_view name);

}  // namespace kvscope::gui
