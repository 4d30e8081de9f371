#include "ingest/batch_decoder.h"

#include <cstdint>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cairn/common/event_rules.h"
#include "cairn/common/proto_time.h"
#include "cairn/common/strings.h"
#include "cairn/common/uuid.h"
#include "google/protobuf/util/json_util.h"

namespace cairn::collector {
namespace {

absl::Status ParseJsonBatch(std::string_view payload, cairn::v1::Batch* batch) {
  if (!JsonDepthWithin(payload, kMaxJsonDepth)) {
    return absl::InvalidArgumentError("JSON body is nested too deeply");
  }
  google::protobuf::util::JsonParseOptions options;
  // Like the binary parser, which skips fields it does not know: a newer
  // client may send fields this collector does not have yet.
  options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(
           google::protobuf::StringPiece(payload.data(), payload.size()), batch, options)
           .ok()) {
    // protobuf's message quotes the input: keep it out of the answer.
    return absl::InvalidArgumentError("body is not a cairn.v1.Batch in proto3 JSON");
  }
  return absl::OkStatus();
}

}  // namespace

bool JsonDepthWithin(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

absl::StatusOr<DecodedBatch> DecodeBatch(BatchFormat format, Codec codec, std::string_view body,
                                         const DecodeLimits& limits, absl::Time received_at) {
  std::string decompressed;
  std::string_view payload = body;
  if (codec != Codec::kIdentity) {
    absl::StatusOr<std::string> out = Decompress(codec, body, limits.max_decompressed_bytes);
    if (absl::IsResourceExhausted(out.status())) {
      return absl::ResourceExhaustedError("decompressed body is over the size limit");
    }
    if (!out.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("body is not valid ", ToAbsl(CodecName(codec)), " data"));
    }
    decompressed = *std::move(out);
    payload = decompressed;
  } else if (body.size() > limits.max_decompressed_bytes) {
    return absl::ResourceExhaustedError("body is over the size limit");
  }

  cairn::v1::Batch batch;
  if (format == BatchFormat::kJson) {
    if (absl::Status parsed = ParseJsonBatch(payload, &batch); !parsed.ok()) return parsed;
  } else if (!batch.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return absl::InvalidArgumentError("body is not a cairn.v1.Batch");
  }
  if (!IsCanonicalUuid(batch.batch_id())) {
    return absl::InvalidArgumentError("batch_id is not a UUID");
  }
  if (batch.events_size() > limits.max_events_per_batch) {
    return absl::ResourceExhaustedError(
        absl::StrCat("batch has more than ", limits.max_events_per_batch, " events"));
  }

  DecodedBatch decoded;
  BatchRecord& record = decoded.record;
  record.batch_id = batch.batch_id();
  // The install id is only stored, never interpreted; bound it like an id.
  if (IsValidId(batch.client().install_id())) record.install_id = batch.client().install_id();
  // Stored with consent records as their source; bounded like a policy field.
  if (batch.client().sdk_version().size() <= kMaxPolicyFieldBytes) {
    record.sdk_version = batch.client().sdk_version();
  }
  if (batch.has_sent_at()) record.sent_at = FromProto(batch.sent_at());
  record.received_at = received_at;
  record.event_count = batch.events_size();
  for (const cairn::v1::DropCount& drop : batch.dropped()) {
    // Unknown reasons (a newer SDK) are kept, as "unspecified".
    cairn::v1::DropReason reason = cairn::v1::DropReason_IsValid(drop.reason())
                                       ? drop.reason()
                                       : cairn::v1::DROP_REASON_UNSPECIFIED;
    uint64_t& total = record.drops[reason];
    total = drop.count() > UINT64_MAX - total ? UINT64_MAX : total + drop.count();
  }
  AttributeBounds attributes;
  attributes.max_attributes = limits.max_attributes;
  attributes.max_key_bytes = limits.max_attribute_key_bytes;
  attributes.max_value_bytes = limits.max_attribute_value_bytes;
  record.events.reserve(batch.events_size());
  decoded.event_indexes.reserve(batch.events_size());
  for (int i = 0; i < batch.events_size(); ++i) {
    cairn::v1::Event* event = batch.mutable_events(i);
    std::optional<RuleViolation> violation = CheckEvent(*event, received_at, attributes);
    if (violation) {
      cairn::v1::RejectedEvent& rejected = decoded.rejected.emplace_back();
      rejected.set_index(static_cast<uint32_t>(i));
      rejected.set_reason(violation->reason);
      rejected.set_detail(std::move(violation->detail));
      ++record.validation_rejections[violation->reason];
      continue;
    }
    record.events.push_back(std::move(*event));
    decoded.event_indexes.push_back(static_cast<uint32_t>(i));
  }
  record.rejected = static_cast<int64_t>(decoded.rejected.size());
  return decoded;
}

}  // namespace cairn::collector
