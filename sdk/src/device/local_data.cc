#include "sdk/src/device/local_data.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "cairn/common/strings.h"
#include "google/protobuf/util/json_util.h"

namespace cairn::sdk {
namespace {

// `s` as a JSON string literal. Control characters are escaped; other bytes
// pass through (every string the SDK stores is valid UTF-8).
std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppend(&out, "\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
        } else {
          out.push_back(c);
        }
    }
  }
  out += "\"";
  return out;
}

std::string JsonTime(absl::Time t) {
  return JsonString(ToStd(absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone())));
}

}  // namespace

absl::StatusOr<std::string> LocalData::Export(std::string_view user_id) {
  const std::string subject = keeper_.Subject(user_id);
  std::unique_lock<std::mutex> decisions = keeper_.HoldDecisions();
  absl::StatusOr<std::vector<consent::LogEntry>> records = keeper_.RecordsOf(subject);
  if (!records.ok()) return records.status();
  absl::StatusOr<std::vector<BufferedEvent>> events = writer_.ReadUser(subject);
  if (!events.ok()) return events.status();
  std::string out =
      absl::StrCat("{\"user_id\":", JsonString(subject),
                   ",\"pseudonymised\":", options_.user_id_hmac_key.empty() ? "false" : "true",
                   ",\"consent_records\":[");
  for (size_t i = 0; i < records->size(); ++i) {
    const consent::LogEntry& e = (*records)[i];
    const consent::ConsentRecord& r = e.record;
    absl::StrAppend(&out, i ? "," : "", "{\"event_id\":", JsonString(e.event_id),
                    ",\"account_id\":", JsonString(e.account_id),
                    ",\"purpose\":", JsonString(consent::PurposeName(r.purpose)),
                    ",\"decision\":", JsonString(consent::DecisionName(r.decision)),
                    ",\"policy_id\":", JsonString(r.policy_id),
                    ",\"policy_version\":", JsonString(r.policy_version),
                    ",\"device_time\":", JsonTime(r.device_time),
                    ",\"source_sdk_version\":", JsonString(r.source_sdk_version),
                    ",\"source_surface\":", JsonString(r.source_surface));
    if (r.expires_at) absl::StrAppend(&out, ",\"expires_at\":", JsonTime(*r.expires_at));
    absl::StrAppend(&out, ",\"delivered\":", e.delivered ? "true" : "false", "}");
  }
  absl::StrAppend(&out, "],\"events\":[");
  google::protobuf::util::JsonPrintOptions json_options;
  json_options.preserve_proto_field_names = true;
  cairn::v1::Event event;
  for (size_t i = 0; i < events->size(); ++i) {
    if (!event.ParseFromString((*events)[i].payload)) {
      return absl::DataLossError("a buffered event cannot be read");
    }
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(event, &json, json_options).ok()) {
      return absl::InternalError("an event cannot be rendered as JSON");
    }
    absl::StrAppend(&out, i ? "," : "", json);
  }
  absl::StrAppend(&out, "]}");
  return out;
}

absl::Status LocalData::Erase(std::string_view user_id) {
  const std::string subject = keeper_.Subject(user_id);
  std::unique_lock<std::mutex> decisions = keeper_.HoldDecisions();
  absl::StatusOr<uint64_t> erased = writer_.Purge(subject, std::nullopt);
  if (!erased.ok()) return erased.status();
  counters_.erased.fetch_add(*erased);
  // After the delete: an in-flight batch built before it is rebuilt from
  // what is left before it goes out again.
  gate_.BumpEpoch();
  return absl::OkStatus();
}

}  // namespace cairn::sdk
