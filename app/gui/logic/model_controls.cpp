#include "app/gui/logic/model_controls.h"

#include <array>
#include <stdexcept>

#include "app/common/token_ids.h"
#include "app/gui/logic/app_state.h"
#include "core/model_source.h"
#include "trace/text_format.h"

namespace kvscope::gui {

namespace {

std::string ids_text(const std::vector<std::vector<int32_t>>& sequences) {
  std::vector<std::string> lists;
  for (const auto& ids : sequences) lists.push_back(trace::join_numbers(ids, ","));
  return trace::join(lists, "; ");
}

PromptField default_field(PromptKind kind) {
  return {kind, kind == PromptKind::Text ? app::kDefaultTextPrompt : ids_text({app::kSeed004Prompt})};
}

// The loaded tokenizer, when the next load keeps it: the same model and tokenizer override.
const tokenizer::Tokenizer* tokenizer_for_pending(const AppState& app) {
  const app::RunSpec& loaded = app.session->spec();
  const bool same = app.pending.model == loaded.model && app.pending.tokenizer == loaded.tokenizer;
  return same ? app.session->tokenizer() : nullptr;
}

std::string converted(const tokenizer::Tokenizer& tokenizer, const PromptField& field) {
  try {
    if (field.kind == PromptKind::Text) {
      const std::vector<int> ids = tokenizer.encode(field.value);
      return ids_text({std::vector<int32_t>(ids.begin(), ids.end())});
    }
    const std::vector<int32_t> ids = app::parse_token_ids(field.value);
    return tokenizer.decode(std::vector<int>(ids.begin(), ids.end()));
  } catch (const std::exception&) {
    return {};  // ids that do not parse, or are not in the vocabulary: nothing to convert
  }
}

const std::array kScenarios{
    Scenario{"seed004", "seed 004", "seed-tiny with seed 004's prompt ids 12,81,92,52,65", "seed-tiny",
             app::kSeed004Prompt, 0},
    Scenario{"seed000",
             "seed 000",
             "openllama-3b (meta: shapes only) reading \"In the\": 7 tokens by kjv-char's tokenizer, as the seed "
             "starts from text",
             "openllama-3b",
             {},
             0,
             "In the",
             "kjv-char"},
};

}  // namespace

PromptField prompt_field_of(const Session& session) {
  const app::RunSpec& spec = session.spec();
  if (session.prompt_text()) return {PromptKind::Text, *session.prompt_text()};
  if (!spec.prompts.empty()) return {PromptKind::Ids, ids_text(spec.prompts)};
  if (spec.prompt_len > 0) return {PromptKind::Ids, ""};
  return {PromptKind::Ids, ids_text({session.prompt()})};
}

void apply_prompt_field(app::RunSpec& spec, const PromptField& field) {
  spec.prompt_text.reset();
  spec.prompts.clear();
  if (field.value.empty()) return;
  if (field.kind == PromptKind::Text) spec.prompt_text = field.value;
  else spec.prompts = app::parse_token_id_sequences(field.value);
}

bool reads_text(const app::RunSpec& spec) {
  try {
    return app::load_run_tokenizer(spec, core::resolve_model(spec.model)) != nullptr;
  } catch (const std::exception&) {
    return false;
  }
}

std::string empty_prompt_hint(const app::RunSpec& spec) {
  if (spec.prompt_len > 0) return "empty: " + std::to_string(spec.prompt_len) + " random ids (prompt len)";
  return "empty: the model's default prompt";
}

void choose_model(AppState& app, const std::string& model) {
  app.pending.model = model;
  const PromptKind kind = reads_text(app.pending) ? PromptKind::Text : PromptKind::Ids;
  if (kind != app.prompt.kind) app.prompt = default_field(kind);
}

void set_prompt_kind(AppState& app, PromptKind kind) {
  if (kind == app.prompt.kind) return;
  const tokenizer::Tokenizer* tokenizer = tokenizer_for_pending(app);
  app.prompt = {kind, tokenizer ? converted(*tokenizer, app.prompt) : ""};
}

void load_with_prompt_field(AppState& app) {
  apply_prompt_field(app.pending, app.prompt);
  apply_pending(app);
}

std::span<const Scenario> scenarios() { return kScenarios; }

void load_scenario(AppState& app, std::string_view name) {
  for (const Scenario& s : kScenarios) {
    if (s.name != name) continue;
    app::RunSpec spec = app.pending;
    spec.model = s.model;
    spec.seed = 0;
    spec.batch = 1;
    spec.tokenizer.clear();
    spec.prompt_text.reset();
    spec.prompts = s.ids.empty() ? std::vector<std::vector<int32_t>>{} : std::vector<std::vector<int32_t>>{s.ids};
    spec.prompt_len = s.prompt_len;
    if (!s.text.empty()) {
      spec.prompt_text = std::string(s.text);
      spec.tokenizer = (core::assets_dir() / "models" / s.tokenizer_model).string();
    }
    load_spec(app, std::move(spec));
    return;
  }
  std::string known;
  for (const Scenario& s : kScenarios) known += (known.empty() ? "" : ", ") + std::string(s.name);
  throw std::invalid_argument("no scenario '" + std::string(name) + "' (known: " + known + ")");
}

}  // namespace kvscope::gui
