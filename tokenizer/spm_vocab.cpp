// A SentencePiece vocabulary held in memory (SpmVocab): encoded as SentencePiece's BPE model does
// (bpe_model.cc: merge by score, the leftmost pair on a tie; unused pieces resegmented; unknown characters to
// byte pieces), decoded as SentencePieceProcessor::Decode does.
#include <algorithm>
#include <functional>
#include <queue>
#include <unordered_map>

#include "tokenizer/utf8.h"
#include "tokenizer/vocab.h"

namespace kvscope::tokenizer {

namespace {

const std::string kSpace = "\xE2\x96\x81";  // ▁

class SpmTokenizer : public Tokenizer {
 public:
  SpmTokenizer(SpmVocab vocab, const std::string& source) : v_(std::move(vocab)) {
    const size_t n = v_.pieces.size();
    if (n == 0) throw TokenizerError(source + ": empty vocabulary");
    if (v_.scores.empty()) v_.scores.assign(n, 0.0f);
    if (v_.types.empty()) {
      v_.types.assign(n, TokenType::normal);
      for (size_t i = 0; i < n; ++i) {
        if (utf8::byte_piece_value(v_.pieces[i]) >= 0) v_.types[i] = TokenType::byte;
      }
    }
    if (v_.scores.size() != n || v_.types.size() != n) {
      throw TokenizerError(source + ": " + std::to_string(n) + " pieces but " + std::to_string(v_.scores.size()) +
                           " scores and " + std::to_string(v_.types.size()) + " token types");
    }
    for (int i = 0; i < static_cast<int>(n); ++i) {
      const TokenType t = v_.types[i];
      const bool normal = t == TokenType::normal || t == TokenType::user_defined || t == TokenType::unused;
      (normal ? pieces_ : reserved_).emplace(v_.pieces[i], i);
      if (t == TokenType::user_defined) user_defined_.push_back(v_.pieces[i]);
      if (t == TokenType::unknown && v_.unk_id < 0) v_.unk_id = i;
      if (t == TokenType::byte) {
        const int b = utf8::byte_piece_value(v_.pieces[i]);
        if (b < 0) throw TokenizerError(source + ": byte token " + std::to_string(i) + " is \"" + v_.pieces[i] + "\"");
        byte_ids_[b] = i;
      }
    }
    auto find_control = [&](const char* piece) {
      const auto it = reserved_.find(piece);
      return it == reserved_.end() ? -1 : it->second;
    };
    if (v_.bos_id < 0) v_.bos_id = find_control("<s>");
    if (v_.eos_id < 0) v_.eos_id = find_control("</s>");
    for (int id : {v_.bos_id, v_.eos_id, v_.unk_id}) {
      if (id >= static_cast<int>(n))
        throw TokenizerError(source + ": special token id " + std::to_string(id) + " outside the vocabulary");
    }
    std::sort(user_defined_.begin(), user_defined_.end(), [](auto& a, auto& b) { return a.size() > b.size(); });
    byte_fallback_ = std::all_of(byte_ids_.begin(), byte_ids_.end(), [](int id) { return id >= 0; });
  }

  std::vector<int> encode(std::string_view text, bool add_bos) const override {
    std::vector<int> ids;
    if (add_bos && v_.bos_id >= 0) ids.push_back(v_.bos_id);
    if (text.empty()) return ids;
    std::string normalized = utf8::replace_invalid_per_byte(text);
    utf8::replace_all(normalized, " ", kSpace);
    if (v_.add_dummy_prefix) normalized.insert(0, kSpace);

    // Symbols: user-defined pieces (longest first, never merged), else one character each.
    struct Symbol {
      std::string_view piece;
      int prev, next;
      bool frozen;
    };
    std::vector<Symbol> symbols;
    std::string_view rest = normalized;
    while (!rest.empty()) {
      size_t len = 0;
      bool frozen = false;
      for (const auto& u : user_defined_) {
        if (rest.substr(0, u.size()) == u) {
          len = u.size();
          frozen = true;
          break;
        }
      }
      if (len == 0) len = std::max<size_t>(1, utf8::char_length(rest));
      const int index = static_cast<int>(symbols.size());
      symbols.push_back({rest.substr(0, len), index - 1, rest.size() == len ? -1 : index + 1, frozen});
      rest.remove_prefix(len);
    }

    struct Pair {
      int left, right;
      float score;
      size_t size;
    };
    auto worse = [](const Pair& a, const Pair& b) {
      return a.score < b.score || (a.score == b.score && a.left > b.left);
    };
    std::priority_queue<Pair, std::vector<Pair>, decltype(worse)> agenda(worse);
    std::unordered_map<std::string, std::pair<std::string, std::string>> rev_merge;
    auto add_pair = [&](int left, int right) {
      if (left < 0 || right < 0 || symbols[left].frozen || symbols[right].frozen) return;
      const std::string merged = std::string(symbols[left].piece.data(),
                                             symbols[left].piece.size() + symbols[right].piece.size());
      const auto it = pieces_.find(merged);
      if (it == pieces_.end()) return;
      agenda.push({left, right, v_.scores[it->second], merged.size()});
      if (v_.types[it->second] == TokenType::unused) {
        rev_merge[merged] = {std::string(symbols[left].piece), std::string(symbols[right].piece)};
      }
    };
    for (size_t i = 1; i < symbols.size(); ++i) add_pair(static_cast<int>(i) - 1, static_cast<int>(i));
    while (!agenda.empty()) {
      const Pair top = agenda.top();
      agenda.pop();
      Symbol& l = symbols[top.left];
      Symbol& r = symbols[top.right];
      if (l.piece.empty() || r.piece.empty() || l.piece.size() + r.piece.size() != top.size) continue;
      l.piece = std::string_view(l.piece.data(), l.piece.size() + r.piece.size());
      r.piece = {};
      l.next = r.next;
      if (r.next >= 0) symbols[r.next].prev = top.left;
      add_pair(l.prev, top.left);
      add_pair(top.left, l.next);
    }

    std::function<void(const std::string&)> resegment = [&](const std::string& w) {
      const auto it = pieces_.find(w);
      const int id = it != pieces_.end() ? it->second : -1;
      if (id >= 0 && v_.types[id] != TokenType::unused) return emit(w, id, ids);
      const auto rev = rev_merge.find(w);
      if (rev == rev_merge.end()) return emit(w, id, ids);
      resegment(rev->second.first);
      resegment(rev->second.second);
    };
    for (int i = 0; i >= 0; i = symbols[i].next) resegment(std::string(symbols[i].piece));
    return ids;
  }

  std::string decode(std::span<const int> ids) const override {
    std::string text, bytes;
    auto flush = [&] {
      text += utf8::replace_invalid_per_byte(bytes);
      bytes.clear();
    };
    bool is_bos_ws = true, bos_ws_seen = false;
    for (int id : ids) {
      check_id(id);
      const TokenType t = v_.types[id];
      if (t == TokenType::byte) {
        bytes += static_cast<char>(utf8::byte_piece_value(v_.pieces[id]));
        continue;
      }
      flush();
      if (bos_ws_seen || !text.empty()) is_bos_ws = false;
      bos_ws_seen = false;
      if (t == TokenType::control) continue;
      if (t == TokenType::unknown) {
        text += " \xE2\x81\x87 ";  // SentencePiece's unknown surface, " ⁇ "
        continue;
      }
      std::string p = v_.pieces[id];
      if (is_bos_ws && v_.add_dummy_prefix && p.compare(0, kSpace.size(), kSpace) == 0) {
        p.erase(0, kSpace.size());
        bos_ws_seen = true;
      }
      utf8::replace_all(p, kSpace, " ");
      text += p;
    }
    flush();
    return text;
  }

  std::string piece(int id) const override {
    check_id(id);
    return v_.pieces[id];
  }
  int vocab_size() const override { return static_cast<int>(v_.pieces.size()); }
  int bos_id() const override { return v_.bos_id; }
  int eos_id() const override { return v_.eos_id; }
  int unk_id() const override { return v_.unk_id; }
  bool adds_bos() const override { return v_.add_bos && v_.bos_id >= 0; }
  std::string kind() const override { return "spm-vocab"; }
  bool is_special(int id) const override { return id >= 0 && id < vocab_size() && v_.types[id] == TokenType::control; }

 private:
  // A final piece: its id, else (unknown) its bytes as byte pieces, else unk.
  void emit(const std::string& w, int id, std::vector<int>& ids) const {
    if (id < 0) {
      const auto it = reserved_.find(w);
      if (it != reserved_.end()) id = it->second;
    }
    if (id >= 0 && v_.types[id] != TokenType::unknown) {
      ids.push_back(id);
    } else if (byte_fallback_) {
      for (unsigned char b : w) ids.push_back(byte_ids_[b]);
    } else if (v_.unk_id >= 0) {
      ids.push_back(v_.unk_id);
    }
  }

  SpmVocab v_;
  std::unordered_map<std::string, int> pieces_, reserved_;
  std::vector<std::string> user_defined_;
  std::array<int, 256> byte_ids_ = [] {
    std::array<int, 256> a;
    a.fill(-1);
    return a;
  }();
  bool byte_fallback_ = false;
};

}  // namespace

std::unique_ptr<Tokenizer> make_spm_tokenizer(SpmVocab vocab, const std::string& source) {
  return std::make_unique<SpmTokenizer>(std::move(vocab), source);
}

}  // namespace kvscope::tokenizer
