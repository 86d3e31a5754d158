#include <iostream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/cli/commands.h"
#include "trace/atomic_file.h"
#include "trace/document_json.h"
#include "trace/text_format.h"

namespace kvscope::cli {

namespace {

struct GenerateFlags {
  app::RunSpec spec;
  bool no_cache = false;
};

// "["A", "n", "d"]": the pieces of ids, whitespace made visible; empty without a tokenizer.
std::string pieces_of(const tokenizer::Tokenizer* tok, const std::vector<int32_t>& ids) {
  if (!tok) return {};
  std::vector<std::string> pieces;
  for (int32_t id : ids) pieces.push_back(trace::quoted(trace::visible_piece(tok->piece(id))));
  return "[" + trace::join(pieces, ", ") + "]";
}

// Prints the first sequence's text as the tokens come: the prompt, then each new token's whole characters.
class TextStream {
 public:
  void observe(const core::StepResult& r, const core::Generator& g, const tokenizer::Tokenizer* tok) {
    if (!tok || r.record.next_tokens.empty() || r.last_logits.empty()) return;  // meta runs predict nothing
    const std::vector<int32_t>& seq = g.sequences()[0];
    if (!decoder_) {
      decoder_.emplace(*tok);
      std::cout << "text: ";
      for (size_t i = 0; i + 1 < seq.size(); ++i) std::cout << decoder_->push(seq[i]);
    }
    std::cout << decoder_->push(seq.back());
    trace::finish_standard_output();  // the text appears as it comes, and a full disk stops the run at once
  }
  void finish() {
    if (decoder_) std::cout << decoder_->finish() << "\n\n";
  }

 private:
  std::optional<tokenizer::StreamDecoder> decoder_;
};

// The seed 004 log: per step the input shape and ids, the logits shape, the predicted token; cached runs
// also show the layer-0 key cache and the attention weights growing. With a tokenizer, the pieces of the ids.
void print_log(const RecordedRuns& runs, const app::RunSpec& spec) {
  const tokenizer::Tokenizer* tok = runs.tokenizer.get();
  const trace::Run& run = runs.doc.runs[0];
  const auto& results = runs.results[0];
  const auto& sequences = runs.sequences[0];
  std::cout << "model " << nlohmann::json::parse(runs.doc.model).value("name", std::string())
            << (runs.doc.meta ? " (meta: shapes only)" : "") << ", " << trace::run_title(run) << ", batch " << run.batch
            << ", " << spec.new_tokens << " new tokens\n";
  for (const core::StepResult& r : results) {
    const trace::StepRecord& s = r.record;
    std::cout << "\nstep " << s.step << " (" << trace::phase_name(s.phase) << ")\n";
    std::cout << "  input_ids shape " << trace::bracketed_list(r.input_ids_shape) << "\n";
    std::cout << "  input_ids [";
    for (size_t b = 0; b < sequences.size(); ++b) {
      const auto first = sequences[b].begin() + s.cache_len;
      std::cout << (b ? ", " : "") << trace::bracketed_list(std::vector<int32_t>(first, first + s.tokens_in));
    }
    std::cout << "]\n";
    if (tok) {
      std::cout << "  input pieces [";
      for (size_t b = 0; b < sequences.size(); ++b) {
        const auto first = sequences[b].begin() + s.cache_len;
        std::cout << (b ? ", " : "") << pieces_of(tok, std::vector<int32_t>(first, first + s.tokens_in));
      }
      std::cout << "]\n";
    }
    if (!r.key_cache_shape.empty())
      std::cout << "  key cache (layer 0) " << trace::bracketed_list(r.key_cache_shape) << "  value cache (layer 0) "
                << trace::bracketed_list(r.key_cache_shape) << "\n";
    std::cout << "  attn_weights shape " << trace::bracketed_list(r.attn_shape) << "\n";
    if (!r.logits_shape.empty()) std::cout << "  logits shape " << trace::bracketed_list(r.logits_shape) << "\n";
    if (!s.next_tokens.empty() && runs.doc.meta) std::cout << "  next_tokens not computed (meta)\n";
    if (!s.next_tokens.empty() && !runs.doc.meta) {
      std::cout << "  next_tokens " << trace::bracketed_list(s.next_tokens);
      if (tok) std::cout << " " << pieces_of(tok, std::vector<int32_t>(s.next_tokens.begin(), s.next_tokens.end()));
      std::cout << "\n";
    }
    if (s.kv_cache_bytes > 0) std::cout << "  kv cache in use " << s.kv_cache_bytes << " bytes\n";
  }
  if (runs.doc.meta) {
    std::cout << "\nmeta run: shapes only, no tokens were computed\n";
    return;
  }
  const int generated = static_cast<int>(sequences[0].size() - static_cast<size_t>(run.prompt.size()));
  if (generated < spec.new_tokens) std::cout << "\nstopped at EOS after " << generated << " new tokens\n";
  std::cout << "\ntokens (prompt + generated):\n";
  for (const auto& seq : sequences) std::cout << "  " << trace::bracketed_list(seq) << "\n";
  if (!tok) return;
  std::cout << "\ntext (prompt + generated):\n";
  for (const auto& seq : sequences)
    std::cout << "  " << trace::quoted(tok->decode(std::vector<int>(seq.begin(), seq.end()))) << "\n";
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto flags = std::make_shared<GenerateFlags>();
  CLI::App* cmd = app.add_subcommand("generate", "generate tokens greedily and print a per-step log (seed 004 style)");
  add_run_flags(*cmd, flags->spec);
  cmd->add_flag("--no-cache", flags->no_cache, "re-run the whole sequence every step, as seed 004 part 1");
  cmd->callback([flags] {
    const auto mode = flags->no_cache ? core::CacheMode::Uncached : core::CacheMode::Cached;
    TextStream stream;
    const RecordedRuns runs = record_runs(flags->spec, {mode},
                                          [&stream](const core::StepResult& r, const core::Generator& g,
                                                    const tokenizer::Tokenizer* tok) { stream.observe(r, g, tok); });
    stream.finish();
    print_log(runs, flags->spec);
  });
}

}  // namespace kvscope::cli
