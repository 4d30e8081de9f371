#ifndef CAIRN_RECORD_RESULT_H_
#define CAIRN_RECORD_RESULT_H_

#include <ostream>
#include <string_view>
#include <utility>

#include "absl/status/status.h"

namespace cairn {

// What a Record* call did: OK, or why the event was not recorded (the same
// codes an absl::Status would carry). Unlike absl::Status it is not marked
// must-use: telemetry is best effort, so an app may ignore it without a
// compiler warning. Refusals stay visible in Stats (a counter per cause)
// and delivery problems through Options::on_delivery_status.
//
// Converts implicitly to absl::Status, so code written against a Status
// result compiles unchanged. Cheap to copy when OK (no allocation).
class RecordResult {
 public:
  // OK.
  RecordResult() = default;
  // Implicit on purpose: the record path returns Status values.
  RecordResult(absl::Status status) : status_(std::move(status)) {}  // NOLINT

  bool ok() const { return status_.ok(); }
  absl::StatusCode code() const { return status_.code(); }
  // Valid while this result lives.
  std::string_view message() const {
    return std::string_view(status_.message().data(), status_.message().size());
  }
  const absl::Status& status() const& { return status_; }
  absl::Status status() && { return std::move(status_); }
  operator absl::Status() const& { return status_; }         // NOLINT: implicit on purpose
  operator absl::Status() && { return std::move(status_); }  // NOLINT
  // For code written against absl::Status; does nothing.
  void IgnoreError() const {}

  friend bool operator==(const RecordResult& a, const RecordResult& b) {
    return a.status_ == b.status_;
  }
  friend bool operator==(const RecordResult& a, const absl::Status& b) { return a.status_ == b; }
  friend std::ostream& operator<<(std::ostream& os, const RecordResult& r) {
    return os << r.status_;
  }

 private:
  absl::Status status_;
};

}  // namespace cairn

#endif  // CAIRN_RECORD_RESULT_H_
