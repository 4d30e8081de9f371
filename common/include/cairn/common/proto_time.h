#ifndef CAIRN_COMMON_PROTO_TIME_H_
#define CAIRN_COMMON_PROTO_TIME_H_

#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace cairn {

// Conversions between absl time types and protobuf well-known types. Values
// outside the protobuf ranges are clamped by protobuf's own rules.
void ToProto(absl::Time t, google::protobuf::Timestamp* out);
absl::Time FromProto(const google::protobuf::Timestamp& ts);
void ToProto(absl::Duration d, google::protobuf::Duration* out);
absl::Duration FromProto(const google::protobuf::Duration& d);

}  // namespace cairn

#endif  // CAIRN_COMMON_PROTO_TIME_H_
