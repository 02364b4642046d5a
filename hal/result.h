#pragma once

#include <cassert>
#include <cstddef>
#include <utility>
#include <variant>

namespace qeil {

// What went wrong with outside input (a file, a bus, a request): an errno value and a message
// that names what was wrong and where. Fixed size, so error paths in the sampling tick do not
// allocate.
class Error {
 public:
  static constexpr size_t kMessageBytes = 256;

  Error() = default;
  // `errnum` is a positive errno value (EIO, EINVAL, ...).
  static Error make(int errnum, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

  int errnum() const { return errnum_; }
  const char* message() const { return message_; }
  // Prepends context ("<where>: ") to the message, keeping the errno.
  Error& prefix(const char* fmt, ...) __attribute__((format(printf, 2, 3)));

 private:
  int errnum_ = 0;
  char message_[kMessageBytes] = {};
};

// A value or an Error. Functions that fail on outside input return this instead of throwing.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  T& value() {
    assert(ok());
    return *std::get_if<0>(&v_);
  }
  const T& value() const {
    assert(ok());
    return *std::get_if<0>(&v_);
  }
  T valueOr(T fallback) const { return ok() ? value() : fallback; }
  const Error& error() const {
    assert(!ok());
    return *std::get_if<1>(&v_);
  }
  Error& error() {
    assert(!ok());
    return *std::get_if<1>(&v_);
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

  bool ok() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }
  Error& error() {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace qeil
