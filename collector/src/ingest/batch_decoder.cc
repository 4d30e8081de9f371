#include "ingest/batch_decoder.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cairn/common/event_rules.h"
#include "cairn/common/proto_time.h"
#include "cairn/common/strings.h"
#include "cairn/common/uuid.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"

namespace cairn::collector {
namespace {

// Fields a valid event may carry at any depth, attributes aside: its own
// ten (with occurred_at's two), a body with up to six plus expires_at's two,
// and slack for fields a newer client adds. Each attribute adds three (the
// map entry, its key, its value).
constexpr int64_t kFieldsPerEventBase = 32;
constexpr int64_t kFieldsPerAttribute = 3;
// Fields outside the events: batch_id, sent_at, client, and the drop counts
// (three fields each, one per reason in practice).
constexpr int64_t kFieldsOutsideEvents = 256;
// Batch.events, for the count taken before parsing.
constexpr int kEventsFieldNumber = cairn::v1::Batch::kEventsFieldNumber;
// Batch -> Event -> ConsentChange -> Timestamp is the deepest a valid batch
// nests; anything deeper is not a Batch.
constexpr int kMaxWireDepth = 8;

// Why a pre-parse scan refused a body.
enum class ScanVerdict { kOk, kMalformed, kTooDeep, kTooManyEvents, kTooManyFields };

// What a body may still hold while it is scanned. Every field, known or not,
// at every depth, makes the parser allocate something, and an empty one
// costs two bytes on the wire but up to hundreds in memory: the scan stops
// at these bounds so the parser never sees such a body.
struct ScanBudget {
  int64_t events;
  int64_t fields;
};

ScanBudget BudgetFor(const DecodeLimits& limits) {
  const int64_t events = std::max(limits.max_events_per_batch, 0);
  const int64_t per_event =
      kFieldsPerEventBase + kFieldsPerAttribute * static_cast<int64_t>(limits.max_attributes);
  return {events, kFieldsOutsideEvents + events * per_event};
}

bool ReadVarint(const char*& p, const char* end, uint64_t* value) {
  *value = 0;
  for (int shift = 0; shift < 64 && p < end; shift += 7) {
    const auto byte = static_cast<uint8_t>(*p++);
    *value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

// Walks the protobuf wire format of a message of `type` without building
// it, charging every field to `budget` and Batch.events to its event count;
// descends into fields the schema says are messages. Groups (never part of
// a proto3 contract) count as malformed, which also keeps the walk's
// recursion bounded by the schema.
ScanVerdict ScanWire(const google::protobuf::Descriptor* type, const char* p, const char* end,
                     int depth, ScanBudget& budget) {
  if (depth > kMaxWireDepth) return ScanVerdict::kMalformed;
  const bool is_batch = type == cairn::v1::Batch::descriptor();
  while (p < end) {
    uint64_t tag = 0;
    if (!ReadVarint(p, end, &tag) || tag > UINT32_MAX || (tag >> 3) == 0) {
      return ScanVerdict::kMalformed;
    }
    if (--budget.fields < 0) return ScanVerdict::kTooManyFields;
    const int number = static_cast<int>(tag >> 3);
    uint64_t value = 0;
    switch (tag & 7) {
      case 0:
        if (!ReadVarint(p, end, &value)) return ScanVerdict::kMalformed;
        break;
      case 1:
      case 5: {
        const size_t width = (tag & 7) == 1 ? 8 : 4;
        if (static_cast<size_t>(end - p) < width) return ScanVerdict::kMalformed;
        p += width;
        break;
      }
      case 2: {
        if (!ReadVarint(p, end, &value) || value > static_cast<uint64_t>(end - p)) {
          return ScanVerdict::kMalformed;
        }
        const char* field_end = p + value;
        if (is_batch && number == kEventsFieldNumber && --budget.events < 0) {
          return ScanVerdict::kTooManyEvents;
        }
        const google::protobuf::FieldDescriptor* field = type->FindFieldByNumber(number);
        if (field != nullptr && field->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
          ScanVerdict inner = ScanWire(field->message_type(), p, field_end, depth + 1, budget);
          if (inner != ScanVerdict::kOk) return inner;
        }
        p = field_end;
        break;
      }
      default:
        return ScanVerdict::kMalformed;
    }
  }
  return ScanVerdict::kOk;
}

// One pass over JSON text: nesting depth (brackets inside strings do not
// count), structural elements (each '{', '[' and ',') against
// `budget.fields`, and the objects in the top-level "events" member against
// `budget.events`. A top-level name with an escape counts as "events": the
// parser unescapes it, the scan does not. Does not validate the JSON.
ScanVerdict ScanJson(std::string_view text, int max_depth, ScanBudget budget) {
  int depth = 0;
  bool in_string = false;
  bool string_is_name = false;  // the open string names a top-level member
  bool expect_name = false;     // at depth 1, the next string is a name
  bool name_escaped = false;
  size_t name_start = 0;
  bool in_events = false;  // inside the value of the top-level "events"
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        name_escaped = true;
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
        if (string_is_name) {
          in_events = name_escaped || text.substr(name_start, i - name_start) == "events";
        }
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        string_is_name = depth == 1 && expect_name;
        expect_name = false;
        name_escaped = false;
        name_start = i + 1;
        break;
      case '{':
      case '[':
        if (++depth > max_depth) return ScanVerdict::kTooDeep;
        if (--budget.fields < 0) return ScanVerdict::kTooManyFields;
        if (c == '{' && depth == 3 && in_events && --budget.events < 0) {
          return ScanVerdict::kTooManyEvents;
        }
        if (depth == 1) expect_name = c == '{';
        break;
      case '}':
      case ']':
        --depth;
        break;
      case ',':
        if (--budget.fields < 0) return ScanVerdict::kTooManyFields;
        if (depth == 1) expect_name = true;
        break;
      default:
        break;
    }
  }
  return ScanVerdict::kOk;
}

// The whole-batch refusal a scan verdict stands for.
absl::Status StatusOf(ScanVerdict verdict, const DecodeLimits& limits) {
  switch (verdict) {
    case ScanVerdict::kOk:
      return absl::OkStatus();
    case ScanVerdict::kMalformed:
      return absl::InvalidArgumentError("body is not a cairn.v1.Batch");
    case ScanVerdict::kTooDeep:
      return absl::InvalidArgumentError("JSON body is nested too deeply");
    case ScanVerdict::kTooManyEvents:
      return absl::ResourceExhaustedError(
          absl::StrCat("batch has more than ", limits.max_events_per_batch, " events"));
    case ScanVerdict::kTooManyFields:
      return absl::ResourceExhaustedError("batch has more fields than its events may carry");
  }
  return absl::InternalError("unknown scan verdict");
}

// Parses `payload` into `batch` once a scan showed that parsing it costs
// memory in proportion to the limits, not to how well it compresses.
absl::Status ParseBatch(BatchFormat format, std::string_view payload, const DecodeLimits& limits,
                        cairn::v1::Batch* batch) {
  if (format == BatchFormat::kProtobuf) {
    ScanBudget budget = BudgetFor(limits);
    absl::Status scanned = StatusOf(ScanWire(cairn::v1::Batch::descriptor(), payload.data(),
                                             payload.data() + payload.size(), 0, budget),
                                    limits);
    if (!scanned.ok()) return scanned;
    if (!batch->ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
      return absl::InvalidArgumentError("body is not a cairn.v1.Batch");
    }
    return absl::OkStatus();
  }
  absl::Status scanned = StatusOf(ScanJson(payload, kMaxJsonDepth, BudgetFor(limits)), limits);
  if (!scanned.ok()) return scanned;
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
  constexpr int64_t kUnbounded = INT64_MAX;
  return ScanJson(text, max_depth, {kUnbounded, kUnbounded}) != ScanVerdict::kTooDeep;
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
  if (absl::Status parsed = ParseBatch(format, payload, limits, &batch); !parsed.ok()) {
    return parsed;
  }
  if (!IsCanonicalUuid(batch.batch_id())) {
    return absl::InvalidArgumentError("batch_id is not a UUID");
  }
  // The scan counted the events already; the parser is the final word.
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
