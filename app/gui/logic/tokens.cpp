#include "app/gui/logic/tokens.h"

#include "trace/text_format.h"

namespace kvscope::gui {

namespace {

// The pieces of the prompt as step 0 traced them: its first token-id event that holds the whole prompt
// (prompt_ids of a cached run, input_ids of an uncached one). Null when the trace has none: before the
// first step, without a tokenizer, and in meta runs, which record no ids.
const std::vector<std::string>* traced_prompt_pieces(const trace::Run& run) {
  if (run.steps.empty()) return nullptr;
  const trace::StepRecord& s = run.steps.front();
  const auto n = static_cast<int64_t>(run.prompt.size());
  for (int i = s.first_event; i < s.end_event; ++i) {
    const trace::Event& e = run.events.at(static_cast<size_t>(i));
    if (e.role == trace::Role::Input && !e.shape.empty() && e.shape.back() == n)
      return e.pieces.empty() ? nullptr : &e.pieces;
  }
  return nullptr;
}

std::string piece_or_empty(const tokenizer::Tokenizer* tokenizer, int id) {
  if (!tokenizer) return {};
  try {
    return tokenizer->piece(id);
  } catch (const tokenizer::TokenizerError&) {
    return {};  // a preset's vocabulary can be larger than a --tokenizer's
  }
}

}  // namespace

std::string TokenView::label() const { return piece.empty() ? std::to_string(id) : trace::visible_piece(piece); }

std::optional<TokenView> generated_token(const trace::Run& run, int step) {
  const trace::StepRecord& s = run.steps.at(static_cast<size_t>(step));
  if (s.generated_index < 0 || s.next_tokens.empty()) return std::nullopt;
  TokenView token{s.next_tokens.front(), {}, true, static_cast<int>(run.prompt.size()) + s.generated_index};
  for (int i = s.first_event; i < s.end_event; ++i) {
    const trace::Event& e = run.events.at(static_cast<size_t>(i));
    if (e.role == trace::Role::NextTokens && !e.pieces.empty()) token.piece = e.pieces.front();
  }
  return token;
}

std::vector<TokenView> sequence_tokens(const trace::Run& run, const tokenizer::Tokenizer* tokenizer) {
  std::vector<TokenView> tokens;
  const std::vector<std::string>* traced = traced_prompt_pieces(run);
  for (size_t i = 0; i < run.prompt.size(); ++i) {
    const int id = run.prompt[i];
    tokens.push_back({id, traced ? traced->at(i) : piece_or_empty(tokenizer, id), false, static_cast<int>(i)});
  }
  for (size_t step = 0; step < run.steps.size(); ++step)
    if (auto token = generated_token(run, static_cast<int>(step))) tokens.push_back(std::move(*token));
  return tokens;
}

TokenStrip build_token_strip(const Session& session) {
  TokenStrip strip;
  const trace::Run& run = session.run(Side::Cached);
  const int step = session.current_step(Side::Cached);
  strip.where = step < 0 ? "not started: press Prefill or Step"
                         : "step " + std::to_string(step) + " (" +
                               std::string(trace::phase_name(run.steps.at(static_cast<size_t>(step)).phase)) + ")";
  strip.where += " | generated " + std::to_string(session.generated()) + " of " +
                 std::to_string(session.spec().new_tokens);
  strip.tokens = sequence_tokens(run, session.tokenizer());
  if (session.meta()) {
    // Shapes only: the ids a meta run "generates" are placeholders, not the model's answer.
    strip.tokens.resize(run.prompt.size());
    strip.where += " | meta run: no tokens are computed";
  }
  if (const tokenizer::Tokenizer* tokenizer = session.tokenizer()) {
    // An id beyond a --tokenizer's vocabulary (a model's can be larger) has no text: its chip shows the id.
    std::vector<int> ids;
    for (const TokenView& t : strip.tokens)
      if (t.id < tokenizer->vocab_size()) ids.push_back(t.id);
    strip.text = tokenizer->decode(ids);
  }
  return strip;
}

std::string token_tooltip(const TokenView& token) {
  std::string line = "position " + std::to_string(token.position) + ", id " + std::to_string(token.id);
  if (!token.piece.empty()) line += ", piece " + trace::quoted(token.piece);
  return line + (token.generated ? ", generated" : ", prompt");
}

}  // namespace kvscope::gui
