// A BPE vocabulary held in memory (BpeVocab) run through Hugging Face's tokenizer pipeline, as the `tokenizers`
// library does: added tokens split out, normalizers, pre-tokenizers (regexes through PCRE2 with UTF and UCP),
// the BPE model (merges by rank, byte fallback, unk), and the decoder steps.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <map>
#include <queue>
#include <unordered_map>

#include "tokenizer/utf8.h"
#include "tokenizer/vocab.h"

namespace kvscope::tokenizer {

const char* const kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

void use_sentencepiece_style_pipeline(BpeVocab& vocab) {
  vocab.byte_fallback = true;
  vocab.normalizers = {{Normalizer::Kind::prepend, "", "\xE2\x96\x81"},
                       {Normalizer::Kind::replace, " ", "\xE2\x96\x81"}};
  vocab.pre_tokenizers.clear();
  DecoderStep replace{DecoderStep::Kind::replace};
  replace.pattern = "\xE2\x96\x81";
  replace.content = " ";
  DecoderStep strip{DecoderStep::Kind::strip};
  strip.content = " ";
  strip.start = 1;
  vocab.decoders = {replace, {DecoderStep::Kind::byte_fallback}, {DecoderStep::Kind::fuse}, strip};
  vocab.kind = "hf-bpe";
}

void use_byte_level_pipeline(BpeVocab& vocab, const std::string& pattern) {
  PreTokenizer split{PreTokenizer::Kind::split};
  split.pattern = pattern;
  PreTokenizer byte_level{PreTokenizer::Kind::byte_level};
  byte_level.use_regex = false;
  vocab.normalizers.clear();
  vocab.pre_tokenizers = {split, byte_level};
  vocab.decoders = {{DecoderStep::Kind::byte_level}};
  vocab.kind = "hf-byte-level-bpe";
}

namespace {

const std::string kMeta = "\xE2\x96\x81";  // ▁

// A compiled PCRE2 pattern (UTF, UCP: \p{L}, \s and \w know Unicode).
class Regex {
 public:
  Regex(const std::string& pattern, const std::string& source) {
    int error = 0;
    PCRE2_SIZE offset = 0;
    pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                     PCRE2_UTF | PCRE2_UCP, &error, &offset, nullptr);
    if (!code) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(error, message, sizeof message);
      throw TokenizerError(source + ": the pre-tokenizer regex does not compile at offset " + std::to_string(offset) +
                           " (" + reinterpret_cast<const char*>(message) + "): " + pattern);
    }
    code_ = std::shared_ptr<pcre2_code>(code, pcre2_code_free);
  }

  // The [begin, end) byte ranges of the non-overlapping matches in `s` (valid UTF-8).
  std::vector<std::pair<size_t, size_t>> matches(std::string_view s) const {
    std::vector<std::pair<size_t, size_t>> out;
    std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> data(
        pcre2_match_data_create_from_pattern(code_.get(), nullptr), pcre2_match_data_free);
    size_t at = 0;
    while (at <= s.size()) {
      const int rc = pcre2_match(code_.get(), reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(), at, 0, data.get(),
                                 nullptr);
      if (rc < 0) break;
      const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(data.get());
      const size_t b = ov[0], e = ov[1];
      if (e == b) {  // an empty match: move on by one character
        at = b + std::max<size_t>(1, utf8::char_length(s.substr(b)));
        continue;
      }
      out.emplace_back(b, e);
      at = e;
    }
    return out;
  }

 private:
  std::shared_ptr<pcre2_code> code_;
};

struct Split {
  std::string text;
  bool at_start;  // begins at offset 0 of the text (Metaspace's prepend_scheme "first")
};

// Cuts `s` at the given matches, as Hugging Face's SplitDelimiterBehavior does.
std::vector<std::string> split_by(std::string_view s, const std::vector<std::pair<size_t, size_t>>& found,
                                  PreTokenizer::Behavior behavior, bool invert) {
  // Pieces alternate: (text, is_match).
  std::vector<std::pair<std::string, bool>> parts;
  size_t at = 0;
  for (auto [b, e] : found) {
    if (b > at) parts.emplace_back(std::string(s.substr(at, b - at)), invert);
    parts.emplace_back(std::string(s.substr(b, e - b)), !invert);
    at = e;
  }
  if (at < s.size()) parts.emplace_back(std::string(s.substr(at)), invert);
  std::vector<std::string> out;
  using B = PreTokenizer::Behavior;
  switch (behavior) {
    case B::isolated:
      for (auto& [t, m] : parts) out.push_back(std::move(t));
      break;
    case B::removed:
      for (auto& [t, m] : parts) {
        if (!m) out.push_back(std::move(t));
      }
      break;
    case B::contiguous:
      for (size_t i = 0; i < parts.size(); ++i) {
        if (parts[i].second && i > 0 && parts[i - 1].second && !out.empty()) {
          out.back() += parts[i].first;
        } else {
          out.push_back(parts[i].first);
        }
      }
      break;
    case B::merged_with_previous:
      for (size_t i = 0; i < parts.size(); ++i) {
        if (parts[i].second && !out.empty() && !parts[i - 1].second) {
          out.back() += parts[i].first;
        } else {
          out.push_back(parts[i].first);
        }
      }
      break;
    case B::merged_with_next: {
      std::string pending;
      for (auto& [t, m] : parts) {
        if (m) {
          if (!pending.empty()) out.push_back(std::move(pending));
          pending = t;
        } else {
          out.push_back(pending + t);
          pending.clear();
        }
      }
      if (!pending.empty()) out.push_back(std::move(pending));
      break;
    }
  }
  return out;
}

class BpeTokenizer : public Tokenizer {
 public:
  BpeTokenizer(BpeVocab vocab, const std::string& source) : v_(std::move(vocab)) {
    int size = static_cast<int>(v_.tokens.size());
    for (const auto& a : v_.added) {
      if (a.id < 0) throw TokenizerError(source + ": added token \"" + a.content + "\" has a negative id");
      size = std::max(size, a.id + 1);
    }
    if (size == 0) throw TokenizerError(source + ": empty vocabulary");
    v_.tokens.resize(static_cast<size_t>(size));
    special_.assign(static_cast<size_t>(size), false);
    for (int i = 0; i < static_cast<int>(v_.tokens.size()); ++i) {
      if (!v_.tokens[i].empty()) vocab_.emplace(v_.tokens[i], i);
    }
    pieces_ = v_.tokens;
    for (const auto& a : v_.added) {
      if (a.content.empty()) throw TokenizerError(source + ": added token " + std::to_string(a.id) + " is empty");
      if (pieces_[a.id].empty()) pieces_[a.id] = a.content;
      if (a.special) special_[a.id] = true;
    }
    // Longest first, so the leftmost match is also the longest there.
    std::stable_sort(v_.added.begin(), v_.added.end(),
                     [](auto& a, auto& b) { return a.content.size() > b.content.size(); });
    for (size_t rank = 0; rank < v_.merges.size(); ++rank) {
      const auto& [a, b] = v_.merges[rank];
      const std::string what = "merge " + std::to_string(rank) + " (\"" + a + " " + b + "\")";
      const auto ia = vocab_.find(a), ib = vocab_.find(b), iab = vocab_.find(a + b);
      if (ia == vocab_.end())
        throw TokenizerError(source + ": " + what + " names \"" + a + "\", which is not in the vocabulary");
      if (ib == vocab_.end())
        throw TokenizerError(source + ": " + what + " names \"" + b + "\", which is not in the vocabulary");
      if (iab == vocab_.end())
        throw TokenizerError(source + ": " + what + " makes \"" + a + b + "\", which is not in the vocabulary");
      merges_.emplace(key(ia->second, ib->second), std::make_pair(static_cast<int>(rank), iab->second));
    }
    for (const auto& p : v_.pre_tokenizers) {
      if (p.kind == PreTokenizer::Kind::split && p.is_regex) regexes_.emplace(p.pattern, Regex(p.pattern, source));
      if (p.kind == PreTokenizer::Kind::byte_level && p.use_regex)
        regexes_.emplace(kGpt2Pattern, Regex(kGpt2Pattern, source));
    }
    for (int id : {v_.bos_id, v_.eos_id, v_.unk_id}) {
      if (id >= size)
        throw TokenizerError(source + ": special token id " + std::to_string(id) + " is outside the vocabulary");
    }
    if (v_.bos_id >= 0) special_[v_.bos_id] = true;
    if (v_.eos_id >= 0) special_[v_.eos_id] = true;
  }

  std::vector<int> encode(std::string_view raw, bool add_bos) const override {
    std::vector<int> ids;
    if (add_bos && v_.bos_id >= 0) ids.push_back(v_.bos_id);
    const std::string text = utf8::replace_invalid_per_byte(raw);
    // Added tokens first, on the raw text; the pieces between them go through the pipeline.
    size_t at = 0, pending = 0;
    while (at < text.size()) {
      const AddedToken* hit = nullptr;
      for (const auto& a : v_.added) {
        if (text.compare(at, a.content.size(), a.content) == 0 && (!a.single_word || single_word_ok(text, at, a))) {
          hit = &a;
          break;
        }
      }
      if (!hit) {
        at += std::max<size_t>(1, utf8::char_length(std::string_view(text).substr(at)));
        continue;
      }
      size_t begin = at, end = at + hit->content.size();
      if (hit->lstrip) {
        while (begin > pending && is_space(text[begin - 1])) --begin;
      }
      if (hit->rstrip) {
        while (end < text.size() && is_space(text[end])) ++end;
      }
      run_model(std::string_view(text).substr(pending, begin - pending), pending == 0, ids);
      ids.push_back(hit->id);
      at = pending = end;
    }
    run_model(std::string_view(text).substr(pending), pending == 0, ids);
    return ids;
  }

  std::string decode(std::span<const int> ids) const override {
    std::vector<std::string> tokens;
    for (int id : ids) {
      check_id(id);
      if (!special_[id]) tokens.push_back(pieces_[id]);
    }
    if (v_.decoders.empty()) {
      std::string out;
      for (size_t i = 0; i < tokens.size(); ++i) out += (i ? " " : "") + tokens[i];
      return out;
    }
    for (const auto& step : v_.decoders) tokens = apply(step, std::move(tokens));
    std::string out;
    for (const auto& t : tokens) out += t;
    return utf8::lossy(out);
  }

  std::string piece(int id) const override {
    check_id(id);
    return pieces_[id];
  }
  int vocab_size() const override { return static_cast<int>(pieces_.size()); }
  int bos_id() const override { return v_.bos_id; }
  int eos_id() const override { return v_.eos_id; }
  int unk_id() const override { return v_.unk_id; }
  bool adds_bos() const override { return v_.add_bos && v_.bos_id >= 0; }
  std::string kind() const override { return v_.kind; }
  bool is_special(int id) const override { return id >= 0 && id < vocab_size() && special_[id]; }

 private:
  static uint64_t key(int a, int b) { return (static_cast<uint64_t>(a) << 32) | static_cast<uint32_t>(b); }
  static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
  static bool is_word(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || (c & 0x80); }
  static bool single_word_ok(const std::string& text, size_t at, const AddedToken& a) {
    const size_t end = at + a.content.size();
    return (at == 0 || !is_word(text[at - 1])) && (end >= text.size() || !is_word(text[end]));
  }

  // Normalizers, pre-tokenizers and the model on one piece of text between added tokens.
  void run_model(std::string_view piece, bool at_start, std::vector<int>& ids) const {
    if (piece.empty()) return;
    std::string normalized(piece);
    for (const auto& n : v_.normalizers) {
      if (n.kind == Normalizer::Kind::prepend) {
        if (!normalized.empty()) normalized.insert(0, n.content);
      } else {
        utf8::replace_all(normalized, n.pattern, n.content);
      }
    }
    std::vector<Split> splits{{std::move(normalized), at_start}};
    for (const auto& p : v_.pre_tokenizers) splits = pre_tokenize(p, std::move(splits));
    for (const auto& s : splits) bpe(s.text, ids);
  }

  std::vector<Split> pre_tokenize(const PreTokenizer& p, std::vector<Split> splits) const {
    std::vector<Split> out;
    auto add = [&](std::vector<std::string> parts, bool at_start) {
      for (size_t i = 0; i < parts.size(); ++i) {
        if (!parts[i].empty()) out.push_back({std::move(parts[i]), at_start && i == 0});
      }
    };
    for (auto& s : splits) {
      switch (p.kind) {
        case PreTokenizer::Kind::split: {
          std::vector<std::pair<size_t, size_t>> found;
          if (p.is_regex) {
            found = regexes_.at(p.pattern).matches(s.text);
          } else if (!p.pattern.empty()) {
            for (size_t at = 0; (at = s.text.find(p.pattern, at)) != std::string::npos; at += p.pattern.size()) {
              found.emplace_back(at, at + p.pattern.size());
            }
          }
          add(split_by(s.text, found, p.behavior, p.invert), s.at_start);
          break;
        }
        case PreTokenizer::Kind::byte_level: {
          if (p.add_prefix_space && s.text[0] != ' ') s.text.insert(0, " ");
          std::vector<std::string> parts{s.text};
          if (p.use_regex)
            parts = split_by(s.text, regexes_.at(kGpt2Pattern).matches(s.text), PreTokenizer::Behavior::isolated,
                             false);
          for (auto& part : parts) {
            std::string mapped;
            for (unsigned char b : part) mapped += utf8::byte_to_unicode(b);
            part = std::move(mapped);
          }
          add(std::move(parts), s.at_start);
          break;
        }
        case PreTokenizer::Kind::metaspace: {
          utf8::replace_all(s.text, " ", p.replacement);
          const bool prepend = p.add_prefix_space && (!p.prepend_first_only || s.at_start);
          if (prepend && s.text.compare(0, p.replacement.size(), p.replacement) != 0) s.text.insert(0, p.replacement);
          if (!p.split) {
            add({s.text}, s.at_start);
            break;
          }
          std::vector<std::pair<size_t, size_t>> found;
          for (size_t at = 0; (at = s.text.find(p.replacement, at)) != std::string::npos; at += p.replacement.size()) {
            found.emplace_back(at, at + p.replacement.size());
          }
          add(split_by(s.text, found, PreTokenizer::Behavior::merged_with_next, false), s.at_start);
          break;
        }
        case PreTokenizer::Kind::digits: {
          std::vector<std::pair<size_t, size_t>> found;
          for (size_t i = 0; i < s.text.size();) {
            if (!std::isdigit(static_cast<unsigned char>(s.text[i]))) {
              ++i;
              continue;
            }
            size_t j = i + 1;
            if (!p.individual_digits) {
              while (j < s.text.size() && std::isdigit(static_cast<unsigned char>(s.text[j]))) ++j;
            }
            found.emplace_back(i, j);
            i = j;
          }
          add(split_by(s.text, found, PreTokenizer::Behavior::isolated, false), s.at_start);
          break;
        }
      }
    }
    return out;
  }

  // The BPE model on one pre-token: characters to ids (byte fallback, unk), then the merges by rank.
  void bpe(const std::string& word, std::vector<int>& ids) const {
    if (v_.ignore_merges) {
      const auto it = vocab_.find(word);
      if (it != vocab_.end()) return ids.push_back(it->second);
    }
    struct Symbol {
      int id, prev, next;
      bool gone;
    };
    std::vector<Symbol> symbols;
    auto push = [&](int id) {
      const int index = static_cast<int>(symbols.size());
      if (index > 0) symbols.back().next = index;
      symbols.push_back({id, index - 1, -1, false});
    };
    bool last_unk = false;
    for (std::string_view c : utf8::chars(word)) {
      const auto it = vocab_.find(std::string(c));
      if (it != vocab_.end()) {
        push(it->second);
        last_unk = false;
        continue;
      }
      if (v_.byte_fallback) {
        std::vector<int> bytes;
        for (unsigned char b : c) {
          const auto bt = vocab_.find(utf8::byte_piece(b));
          if (bt == vocab_.end()) break;
          bytes.push_back(bt->second);
        }
        if (bytes.size() == c.size()) {
          for (int id : bytes) push(id);
          last_unk = false;
          continue;
        }
      }
      if (v_.unk_id >= 0) {
        if (!(v_.fuse_unk && last_unk)) push(v_.unk_id);
        last_unk = true;
      }
    }
    // Hugging Face's Word::merge_all: the lowest rank first, the leftmost on a tie.
    struct Candidate {
      int rank, pos, new_id;
      bool operator<(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
    };
    std::priority_queue<Candidate> queue;
    auto consider = [&](int pos) {
      if (pos < 0 || symbols[pos].next < 0) return;
      const auto it = merges_.find(key(symbols[pos].id, symbols[symbols[pos].next].id));
      if (it != merges_.end()) queue.push({it->second.first, pos, it->second.second});
    };
    for (int i = 0; i + 1 < static_cast<int>(symbols.size()); ++i) consider(i);
    while (!queue.empty()) {
      const Candidate top = queue.top();
      queue.pop();
      Symbol& s = symbols[top.pos];
      if (s.gone || s.next < 0) continue;
      Symbol& next = symbols[s.next];
      const auto it = merges_.find(key(s.id, next.id));
      if (it == merges_.end() || it->second.second != top.new_id) continue;
      s.id = top.new_id;
      next.gone = true;
      s.next = next.next;
      if (s.next >= 0) symbols[s.next].prev = top.pos;
      consider(s.prev);
      consider(top.pos);
    }
    for (const auto& s : symbols) {
      if (!s.gone) ids.push_back(s.id);
    }
  }

  static std::vector<std::string> apply(const DecoderStep& step, std::vector<std::string> tokens) {
    using K = DecoderStep::Kind;
    switch (step.kind) {
      case K::replace:
        for (auto& t : tokens) utf8::replace_all(t, step.pattern, step.content);
        return tokens;
      case K::fuse: {
        std::string all;
        for (const auto& t : tokens) all += t;
        return {all};
      }
      case K::strip:
        for (auto& t : tokens) {
          std::vector<std::string_view> cs = utf8::chars(t);
          size_t b = 0, e = cs.size();
          while (b < static_cast<size_t>(step.start) && b < e && cs[b] == step.content) ++b;
          while (cs.size() - e < static_cast<size_t>(step.stop) && e > b && cs[e - 1] == step.content) --e;
          std::string kept;
          for (size_t i = b; i < e; ++i) kept += cs[i];
          t = std::move(kept);
        }
        return tokens;
      case K::byte_fallback: {
        // Runs of <0xXX> tokens become their bytes when those are valid UTF-8, else one U+FFFD per byte.
        std::vector<std::string> out;
        std::string bytes;
        size_t count = 0;
        auto flush = [&] {
          if (count == 0) return;
          if (utf8::lossy(bytes) == bytes) {
            out.push_back(bytes);
          } else {
            for (size_t i = 0; i < count; ++i) out.push_back(utf8::kReplacement);
          }
          bytes.clear();
          count = 0;
        };
        for (auto& t : tokens) {
          const int b = utf8::byte_piece_value(t);
          if (b >= 0) {
            bytes += static_cast<char>(b);
            ++count;
          } else {
            flush();
            out.push_back(std::move(t));
          }
        }
        flush();
        return out;
      }
      case K::metaspace:
        for (size_t i = 0; i < tokens.size(); ++i) {
          utf8::replace_all(tokens[i], step.replacement, i == 0 && step.prepend ? "" : " ");
        }
        return tokens;
      case K::byte_level: {
        std::string bytes;
        for (const auto& t : tokens) bytes += utf8::unicode_to_bytes(t);
        return {utf8::lossy(bytes)};
      }
    }
    return tokens;
  }

  BpeVocab v_;
  std::vector<std::string> pieces_;
  std::vector<bool> special_;
  std::unordered_map<std::string, int> vocab_;
  std::unordered_map<uint64_t, std::pair<int, int>> merges_;  // (left id, right id) -> (rank, merged id)
  std::map<std::string, Regex> regexes_;
};

}  // namespace

std::unique_ptr<Tokenizer> make_bpe_tokenizer(BpeVocab vocab, const std::string& source) {
  return std::make_unique<BpeTokenizer>(std::move(vocab), source);
}

}  // namespace kvscope::tokenizer
