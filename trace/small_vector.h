#pragma once
// A vector of at most N elements held inline: an event's shape, axis labels and inputs cost no allocation, so
// recording a tensor allocates nothing.
#include <algorithm>
#include <array>
#include <cstddef>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

namespace kvscope::trace {

template <typename T, std::size_t N>
class SmallVector {
 public:
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;
  static constexpr std::size_t capacity() { return N; }

  SmallVector() = default;
  SmallVector(std::initializer_list<T> list) { assign(list.begin(), list.end()); }
  template <typename It>
  SmallVector(It first, It last) {
    assign(first, last);
  }

  template <typename U, typename A>
  SmallVector(const std::vector<U, A>& items) {  // NOLINT: a vector converts implicitly, as a list does
    assign(items.begin(), items.end());
  }

  template <typename It>
  void assign(It first, It last) {
    clear();
    for (; first != last; ++first) push_back(static_cast<T>(*first));
  }
  void assign(std::size_t count, const T& value) {
    check(count);
    std::fill_n(items_.begin(), count, value);
    size_ = count;
  }
  void push_back(const T& value) {
    check(size_ + 1);
    items_[size_++] = value;
  }
  void clear() { size_ = 0; }

  operator std::vector<T>() const { return std::vector<T>(begin(), end()); }  // NOLINT: for callers holding vectors

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* data() { return items_.data(); }
  const T* data() const { return items_.data(); }
  T* begin() { return items_.data(); }
  T* end() { return items_.data() + size_; }
  const T* begin() const { return items_.data(); }
  const T* end() const { return items_.data() + size_; }
  T& operator[](std::size_t i) { return items_[i]; }
  const T& operator[](std::size_t i) const { return items_[i]; }
  T& at(std::size_t i) { return i < size_ ? items_[i] : throw std::out_of_range("SmallVector::at"); }
  const T& at(std::size_t i) const { return i < size_ ? items_[i] : throw std::out_of_range("SmallVector::at"); }
  T& back() { return items_[size_ - 1]; }
  const T& back() const { return items_[size_ - 1]; }
  T& front() { return items_[0]; }
  const T& front() const { return items_[0]; }

  friend bool operator==(const SmallVector& a, const SmallVector& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }
  template <typename U, typename A>
  friend bool operator==(const SmallVector& a, const std::vector<U, A>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  static void check(std::size_t count) {
    if (count > N) throw std::length_error("more than " + std::to_string(N) + " elements");
  }
  std::array<T, N> items_{};
  std::size_t size_ = 0;
};

}  // namespace kvscope::trace
