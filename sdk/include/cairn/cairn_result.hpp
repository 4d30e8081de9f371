// Cairn SDK, C++ wrapper: errors as values (part of cairn/cairn.hpp).
//
// cairn::Result<T> is a small std::expected<T, cairn::Error> (which is
// C++23) for the wrapper's calls. Standard library and cairn.h only.
#ifndef CAIRN_CAIRN_RESULT_HPP_
#define CAIRN_CAIRN_RESULT_HPP_

#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "cairn/cairn.h"

namespace cairn {
enum class ErrorCode : int {
  kOk = CAIRN_OK,
  kCancelled = CAIRN_CANCELLED,
  kUnknown = CAIRN_UNKNOWN,
  kInvalidArgument = CAIRN_INVALID_ARGUMENT,
  kDeadlineExceeded = CAIRN_DEADLINE_EXCEEDED,
  kNotFound = CAIRN_NOT_FOUND,
  kAlreadyExists = CAIRN_ALREADY_EXISTS,
  kPermissionDenied = CAIRN_PERMISSION_DENIED,
  kResourceExhausted = CAIRN_RESOURCE_EXHAUSTED,
  kFailedPrecondition = CAIRN_FAILED_PRECONDITION,
  kAborted = CAIRN_ABORTED,
  kOutOfRange = CAIRN_OUT_OF_RANGE,
  kUnimplemented = CAIRN_UNIMPLEMENTED,
  kInternal = CAIRN_INTERNAL,
  kUnavailable = CAIRN_UNAVAILABLE,
  kDataLoss = CAIRN_DATA_LOSS,
  kUnauthenticated = CAIRN_UNAUTHENTICATED,
};

// Why a call failed: the code and the library's message (no personal data).
struct Error {
  ErrorCode code = ErrorCode::kUnknown;
  std::string message;

  // The code's name, e.g. "INVALID_ARGUMENT" (a static string of the library).
  std::string_view code_name() const { return cairn_status_code_name(static_cast<int>(code)); }
};

// Thrown by Result::value() on a Result that holds an error.
class BadResultAccess : public std::exception {
 public:
  explicit BadResultAccess(Error error) : error_(std::move(error)) {}
  // The code's name; the message is in error().
  const char* what() const noexcept override { return "cairn::Result holds an error"; }
  const Error& error() const { return error_; }

 private:
  Error error_;
};

namespace detail {
// Result::value() on an error: an exception where the app has them, an
// abort where it was built without (a bug in the caller either way).
[[noreturn]] inline void ThrowBadAccess(const Error& error) {
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
  throw BadResultAccess(error);
#else
  (void)error;
  std::abort();
#endif
}
}  // namespace detail

// A value or an Error, like C++23's std::expected<T, Error>.
template <typename T>
class Result {
 public:
  // A success holding value.
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit, as expected
  // A failure.
  Result(Error error) : error_(std::move(error)) {}  // NOLINT

  bool has_value() const { return value_.has_value(); }
  explicit operator bool() const { return has_value(); }

  // The value; throws BadResultAccess (aborts without exceptions) on an error.
  T& value() & {
    if (!value_) detail::ThrowBadAccess(error_);
    return *value_;
  }
  const T& value() const& {
    if (!value_) detail::ThrowBadAccess(error_);
    return *value_;
  }
  T&& value() && {
    if (!value_) detail::ThrowBadAccess(error_);
    return std::move(*value_);
  }
  // The value or `fallback` on an error.
  T value_or(T fallback) const& { return value_ ? *value_ : std::move(fallback); }
  // Unchecked access: the caller tested has_value() first.
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

  // The error; only meaningful when has_value() is false (a default Error
  // with code kOk otherwise).
  const Error& error() const { return error_; }

 private:
  std::optional<T> value_;
  Error error_{ErrorCode::kOk, {}};
};

// A success without a value, or an Error.
template <>
class Result<void> {
 public:
  // A success.
  Result() = default;
  // A failure.
  Result(Error error) : error_(std::move(error)) {}  // NOLINT

  bool has_value() const { return !error_.has_value(); }
  explicit operator bool() const { return has_value(); }
  // Nothing on success; throws BadResultAccess (aborts without exceptions)
  // on an error.
  void value() const {
    if (error_) detail::ThrowBadAccess(*error_);
  }
  // The error; a default Error with code kOk on success.
  const Error& error() const {
    static const Error kNone{ErrorCode::kOk, {}};
    return error_ ? *error_ : kNone;
  }

 private:
  std::optional<Error> error_;
};

}  // namespace cairn

#endif  // CAIRN_CAIRN_RESULT_HPP_
