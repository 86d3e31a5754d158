#pragma once
// The generation's tokens as the views show them: each id with its piece, the prompt then the generated
// tokens. Pieces are read from the trace's token-id events (the views show what was recorded); only the
// prompt takes its pieces from the tokenizer while the trace holds none for it (before the first step, and in
// meta runs, which record no ids).
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "app/gui/logic/session.h"
#include "tokenizer/tokenizer.h"
#include "trace/event.h"

namespace kvscope::gui {

struct TokenView {
  int id = 0;
  std::string piece;  // as the vocabulary stores it; empty when no tokenizer names the id
  bool generated = false;
  int position = 0;  // in the sequence, from 0
  // The piece with its whitespace made visible ("␣", "↵"), or the id when there is no piece.
  std::string label() const;
};

// The first sequence's token that step `step` generated, with its piece; nullopt for a step that predicts
// nothing (the prefill of seed 000's scheme). Throws std::out_of_range for a step not in the run.
std::optional<TokenView> generated_token(const trace::Run& run, int step);

// The first sequence's tokens so far: the prompt, then the token each step generated.
std::vector<TokenView> sequence_tokens(const trace::Run& run, const tokenizer::Tokenizer* tokenizer);

// What the token strip above the graph shows.
struct TokenStrip {
  std::string where;  // "step 3 (decode) | generated 3 of 16"
  std::vector<TokenView> tokens;
  // The whole sequence decoded by the tokenizer (prompt and generated text), leaving out ids beyond its
  // vocabulary; empty without one. A meta run computes no tokens, so its text is the prompt's.
  std::string text;
};
TokenStrip build_token_strip(const Session& session);

// A line for a token's tooltip: "position 4, id 65, piece "A", prompt".
std::string token_tooltip(const TokenView& token);

}  // namespace kvscope::gui
