// llama2.c's tokenizer.bin, encoded and decoded exactly as llama2.c's run.c does (its encode() and decode()).
#include <algorithm>
#include <cstring>
#include <queue>
#include <unordered_map>

#include "tokenizer/internal.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace kvscope::tokenizer {

namespace {

class Llama2cTokenizer : public Tokenizer {
 public:
  Llama2cTokenizer(const std::filesystem::path& file, std::optional<int> vocab_size) {
    const std::string bytes = detail::read_file(file);
    const std::string name = file.string();
    if (bytes.empty()) throw TokenizerError(name + ": empty file, not a llama2.c tokenizer.bin");
    size_t at = 0;
    auto read = [&](void* out, size_t n, const std::string& what) {
      if (bytes.size() - at < n) {
        throw TokenizerError(name + ": llama2.c tokenizer.bin truncated at byte " + std::to_string(bytes.size()) +
                             " (in " + what + ")");
      }
      std::memcpy(out, bytes.data() + at, n);
      at += n;
    };
    int32_t max_len = 0;
    read(&max_len, 4, "max_token_length");
    if (max_len <= 0)
      throw TokenizerError(name + ": llama2.c tokenizer.bin with max_token_length " + std::to_string(max_len));
    if (vocab_size && *vocab_size <= 0) throw TokenizerError(name + ": vocabulary size must be positive");
    for (int i = 0; vocab_size ? i < *vocab_size : at < bytes.size(); ++i) {
      const std::string what = "token " + std::to_string(i);
      float score;
      int32_t len;
      read(&score, 4, what);
      read(&len, 4, what);
      if (len < 0 || len > max_len) {
        throw TokenizerError(name + ": " + what + " has length " + std::to_string(len) + ", outside 0.." +
                             std::to_string(max_len) + " (max_token_length)");
      }
      if (static_cast<size_t>(len) > bytes.size() - at)  // before allocating: a 12-byte file may claim 2 GB
        throw TokenizerError(name + ": " + what + " has length " + std::to_string(len) + ": truncated, only " +
                             std::to_string(bytes.size() - at) + " bytes remain");
      std::string piece(static_cast<size_t>(len), '\0');
      read(piece.data(), piece.size(), what);
      pieces_.push_back(std::move(piece));
      scores_.push_back(score);
    }
    if (vocab_size && at != bytes.size()) {
      throw TokenizerError(name + ": " + std::to_string(bytes.size() - at) + " bytes after the " +
                           std::to_string(*vocab_size) + " tokens the checkpoint names");
    }
    if (pieces_.size() < 3) throw TokenizerError(name + ": llama2.c tokenizer.bin with fewer than 3 tokens");
    for (int i = 0; i < static_cast<int>(pieces_.size()); ++i) lookup_.emplace(pieces_[i], i);  // first wins
  }

  std::vector<int> encode(std::string_view text, bool add_bos) const override {
    std::vector<int> tokens;
    if (add_bos) tokens.push_back(1);
    // add_dummy_prefix is true by default: a " " token first, but only when the text is not empty.
    if (!text.empty()) {
      const int dummy = find(" ");
      if (dummy >= 0) tokens.push_back(dummy);
    }
    // Each UTF-8 character (a lead byte and at most 3 continuation bytes) is a token when the vocabulary has it,
    // else each of its bytes is token byte + 3 (after <unk>, <s>, </s>).
    for (size_t i = 0; i < text.size();) {
      size_t n = 1;
      while (i + n < text.size() && (static_cast<unsigned char>(text[i + n]) & 0xC0) == 0x80 && n < 4) ++n;
      const std::string_view c = text.substr(i, n);
      const int id = find(c);
      if (id >= 0) {
        tokens.push_back(id);
      } else {
        for (unsigned char b : c) tokens.push_back(std::min<int>(b + 3, vocab_size() - 1));
      }
      i += n;
    }
    return merge_pairs(std::move(tokens));
  }

  // run.c prints each generated token's piece: after BOS (1) the leading space is dropped, <0xXX> is that byte.
  // BOS and EOS themselves ("\n<s>\n", "\n</s>\n" in llama2.c's export) are never printed: run.c stops at BOS
  // and prints from the token after the prompt's BOS.
  std::string decode(std::span<const int> ids) const override {
    std::string bytes;
    int prev = -1;
    for (int id : ids) {
      check_id(id);
      if (is_special(id)) {
        prev = id;
        continue;
      }
      std::string_view p = pieces_[id];
      if (prev == 1 && !p.empty() && p[0] == ' ') p.remove_prefix(1);
      const int byte = utf8::byte_piece_value(p);
      if (byte >= 0) {
        bytes += static_cast<char>(byte);
      } else {
        bytes.append(p);
      }
      prev = id;
    }
    return utf8::replace_invalid_per_byte(bytes);
  }

  std::string piece(int id) const override {
    check_id(id);
    return pieces_[id];
  }
  int vocab_size() const override { return static_cast<int>(pieces_.size()); }
  int bos_id() const override { return 1; }
  int eos_id() const override { return 2; }
  int unk_id() const override { return 0; }
  bool adds_bos() const override { return true; }
  std::string kind() const override { return "llama2.c"; }
  bool is_special(int id) const override { return id == 1 || id == 2; }

 private:
  // run.c's merge loop: the adjacent pair whose merged string has the highest score (above -1e10), the leftmost on
  // a tie, until none can merge. run.c rescans every pair after each merge, O(n^2) for n characters (seconds for
  // a few kilobytes of text a vocabulary merges little of); here each pair is scored once and queued, and a merge
  // queues only the two pairs it makes, O(n log n), in the same order.
  std::vector<int> merge_pairs(std::vector<int> tokens) const {
    const int n = static_cast<int>(tokens.size());
    std::vector<int> prev(static_cast<size_t>(n)), next(static_cast<size_t>(n));
    std::vector<int> version(static_cast<size_t>(n), 0);  // bumped when a token changes or is merged away
    for (int i = 0; i < n; ++i) {
      prev[static_cast<size_t>(i)] = i - 1;
      next[static_cast<size_t>(i)] = i + 1 < n ? i + 1 : -1;
    }
    struct Candidate {
      float score;
      int left, right, id, left_version, right_version;
    };
    // Highest score first; on a tie the leftmost (positions keep their order: a merge keeps the left token's).
    const auto later = [](const Candidate& a, const Candidate& b) {
      return a.score != b.score ? a.score < b.score : a.left > b.left;
    };
    std::priority_queue<Candidate, std::vector<Candidate>, decltype(later)> queue(later);
    std::string merged;
    const auto offer = [&](int left, int right) {
      if (left < 0 || right < 0) return;
      merged = pieces_[static_cast<size_t>(tokens[static_cast<size_t>(left)])];
      merged += pieces_[static_cast<size_t>(tokens[static_cast<size_t>(right)])];
      const int id = find(merged);
      if (id >= 0 && scores_[static_cast<size_t>(id)] > -1e10f)
        queue.push({scores_[static_cast<size_t>(id)], left, right, id, version[static_cast<size_t>(left)],
                    version[static_cast<size_t>(right)]});
    };
    for (int i = 0; i + 1 < n; ++i) offer(i, i + 1);
    while (!queue.empty()) {
      const Candidate c = queue.top();
      queue.pop();
      const auto l = static_cast<size_t>(c.left), r = static_cast<size_t>(c.right);
      if (version[l] != c.left_version || version[r] != c.right_version || next[l] != c.right) continue;  // stale
      tokens[l] = c.id;
      ++version[l];
      ++version[r];  // merged away
      next[l] = next[r];
      if (next[r] >= 0) prev[static_cast<size_t>(next[r])] = c.left;
      offer(prev[l], c.left);
      offer(c.left, next[l]);
    }
    std::vector<int> out;
    for (int i = n > 0 ? 0 : -1; i >= 0; i = next[static_cast<size_t>(i)])
      out.push_back(tokens[static_cast<size_t>(i)]);
    return out;
  }

  int find(std::string_view s) const {
    const auto it = lookup_.find(std::string(s));
    return it == lookup_.end() ? -1 : it->second;
  }

  std::vector<std::string> pieces_;
  std::vector<float> scores_;
  std::unordered_map<std::string, int> lookup_;
};

}  // namespace

std::unique_ptr<Tokenizer> load_llama2c(const std::filesystem::path& file, std::optional<int> vocab_size) {
  return std::make_unique<Llama2cTokenizer>(file, vocab_size);
}

}  // namespace kvscope::tokenizer
