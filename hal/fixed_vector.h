#pragma once

#include <array>
#include <cassert>
#include <cstddef>

namespace qeil {

// A vector with its capacity fixed at compile time: no heap, ever. Used wherever sizes come
// from a board file and the code must not allocate after start-up.
template <class T, size_t N>
class FixedVector {
 public:
  using value_type = T;

  size_t size() const { return size_; }
  static constexpr size_t capacity() { return N; }
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ == N; }

  // Returns false (and stores nothing) when full.
  bool push_back(const T& v) {
    if (size_ == N) return false;
    items_[size_++] = v;
    return true;
  }
  void pop_back() {
    assert(size_ > 0);
    --size_;
  }
  void clear() { size_ = 0; }
  void resize(size_t n) {
    assert(n <= N);
    size_ = n;
  }

  T& operator[](size_t i) {
    assert(i < size_);
    return items_[i];
  }
  const T& operator[](size_t i) const {
    assert(i < size_);
    return items_[i];
  }
  T& back() { return (*this)[size_ - 1]; }
  const T& back() const { return (*this)[size_ - 1]; }
  T* begin() { return items_.data(); }
  T* end() { return items_.data() + size_; }
  const T* begin() const { return items_.data(); }
  const T* end() const { return items_.data() + size_; }
  T* data() { return items_.data(); }
  const T* data() const { return items_.data(); }

 private:
  std::array<T, N> items_{};
  size_t size_ = 0;
};

}  // namespace qeil
