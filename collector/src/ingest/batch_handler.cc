#include "ingest/batch_handler.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cairn/common/strings.h"
#include "cairn/consent/grant_signature.h"
#include "cairn/v1/batch.pb.h"
#include "google/protobuf/util/json_util.h"
#include "ops/log.h"

namespace cairn::collector {
namespace {

constexpr std::string_view kRoute = "batch";
constexpr std::string_view kProtobufType = "application/x-protobuf";
constexpr std::string_view kJsonType = "application/json";

// The batch format a Content-Type names: "application/x-protobuf" or
// "application/json", any case, parameters after ';' ignored.
std::optional<BatchFormat> FormatOf(std::string_view content_type) {
  absl::string_view media_type =
      absl::StripAsciiWhitespace(ToAbsl(content_type.substr(0, content_type.find(';'))));
  if (absl::EqualsIgnoreCase(media_type, ToAbsl(kProtobufType))) return BatchFormat::kProtobuf;
  if (absl::EqualsIgnoreCase(media_type, ToAbsl(kJsonType))) return BatchFormat::kJson;
  return std::nullopt;
}

// A BatchResponse in the format the batch came in.
HttpResponse BatchAnswer(const cairn::v1::BatchResponse& body, BatchFormat format) {
  HttpResponse response;
  response.status = 200;
  if (format == BatchFormat::kJson) {
    google::protobuf::util::JsonPrintOptions print;
    // Field names as in the .proto, like the admin export; zero counts are
    // written out so a client need not know proto3's defaults.
    print.preserve_proto_field_names = true;
    print.always_print_primitive_fields = true;
    if (google::protobuf::util::MessageToJsonString(body, &response.body, print).ok()) {
      response.content_type = std::string(kJsonType);
      return response;
    }
    // Only a bug could get here: answer in protobuf rather than not at all.
    response.body.clear();
  }
  response.content_type = std::string(kProtobufType);
  response.body = body.SerializeAsString();
  return response;
}

// What a write-key client is told about an event the store refused. A
// refusal that depends on the user's status (no consent, erased) becomes
// the one reason NOT_STORED, so the answer cannot tell those apart; the
// operator's counters keep the real reason.
cairn::v1::RejectedEvent ClientAnswer(const StoreRejection& refusal, uint32_t index) {
  cairn::v1::RejectedEvent answer;
  answer.set_index(index);
  if (refusal.reason == cairn::v1::REJECT_REASON_NO_CONSENT ||
      refusal.reason == cairn::v1::REJECT_REASON_USER_ERASED) {
    answer.set_reason(cairn::v1::REJECT_REASON_NOT_STORED);
    answer.set_detail("not stored");
  } else {
    answer.set_reason(refusal.reason);
    answer.set_detail(refusal.detail);
  }
  return answer;
}

}  // namespace

HttpResponse RejectRequest(std::string_view route, int status, std::string_view reason) {
  Log(status >= 500 ? LogLevel::kError : LogLevel::kWarning, "request_rejected",
      {{"route", std::string(route)},
       {"status", std::to_string(status)},
       {"reason", std::string(reason)}});
  return TextResponse(status, reason);
}

HttpResponse RetryLater(std::string_view route, int status, std::string_view reason,
                        int64_t retry_after_seconds) {
  HttpResponse response =
      status == 429 ? TextResponse(status, reason) : RejectRequest(route, status, reason);
  response.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds));
  return response;
}

BatchHandler::BatchHandler(const WriteKeySet* keys, BatchWriter* writer, Clock* clock,
                           const BatchOptions& options, RejectionCounters* rejections,
                           CollectorMetrics* metrics)
    : keys_(keys),
      writer_(writer),
      clock_(clock),
      options_(options),
      rejections_(rejections),
      metrics_(metrics),
      rate_limiter_(options.rate_limit) {}

std::optional<HttpResponse> BatchHandler::CheckHead(const HttpRequest& head) {
  std::optional<std::string_view> authorization = head.Header("authorization");
  std::optional<WriteKeySet::Digest> key;
  if (authorization) key = keys_->MatchAuthorization(*authorization);
  if (!key) {
    HttpResponse response = RejectRequest(kRoute, 401, "missing or wrong write key");
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
    return response;
  }
  if (std::optional<absl::Duration> wait = rate_limiter_.Acquire(*key, clock_->Now())) {
    metrics_->AddRateLimited();
    // Whole seconds, rounded up: a client that waits that long finds a token.
    int64_t seconds =
        std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(*wait, absl::Seconds(1))));
    return RetryLater(kRoute, 429, "rate limit of this write key exceeded", seconds);
  }
  std::optional<std::string_view> content_type = head.Header("content-type");
  if (!content_type || !FormatOf(*content_type)) {
    return RejectRequest(kRoute, 415,
                         "Content-Type must be application/x-protobuf or application/json");
  }
  if (!ParseCodec(head.Header("content-encoding").value_or(""))) {
    return RejectRequest(kRoute, 415, "Content-Encoding must be identity, zstd or gzip");
  }
  if (head.content_length && *head.content_length > options_.max_body_bytes) {
    return RejectRequest(kRoute, 413, "body is over the size limit");
  }
  return std::nullopt;
}

void BatchHandler::Handle(HttpRequest request, Respond respond) {
  if (request.body.size() > options_.max_body_bytes) {
    std::move(respond)(RejectRequest(kRoute, 413, "body is over the size limit"));
    return;
  }
  // CheckHead accepted the type and the encoding, so they parse.
  Codec codec = ParseCodec(request.Header("content-encoding").value_or("")).value();
  BatchFormat format = FormatOf(request.Header("content-type").value_or("")).value();
  absl::StatusOr<DecodedBatch> decoded =
      DecodeBatch(format, codec, request.body, options_.decode, clock_->Now());
  if (!decoded.ok()) {
    int status = absl::IsResourceExhausted(decoded.status()) ? 413 : 400;
    std::move(respond)(RejectRequest(kRoute, status, ToStd(decoded.status().message())));
    return;
  }

  // Before anything is stored: the values are never logged either.
  const uint64_t attributes_dropped =
      DropOffListAttributes(options_.attribute_allowlist, &decoded->record.events);
  metrics_->AddAttributesDropped(attributes_dropped);

  if (options_.store_client_ip && !request.remote_address.empty()) {
    decoded->record.client_ip = request.remote_address;
  }
  if (options_.store_user_agent) {
    if (std::optional<std::string_view> agent = request.Header("user-agent")) {
      decoded->record.user_agent = std::string(agent->substr(0, kMaxStoredUserAgentBytes));
    }
  }

  for (size_t i = 0; i < decoded->record.events.size(); ++i) {
    const cairn::v1::Event& event = decoded->record.events[i];
    if (!event.has_consent_change() || event.consent_change().grant_signature().empty()) continue;
    if (consent::HasValidGrantSignature(options_.consent_signing_secret, event)) {
      decoded->record.verified_grants.insert(i);
    } else {
      metrics_->AddInvalidGrantSignature();
    }
  }

  // Here on the I/O thread rather than on the store's single writer, and
  // after the last change to the events (the allowlist above).
  EncodeEventRows(decoded->record);

  // The validation verdicts and the index map travel with the completion;
  // the writer sees only what it may store.
  struct Pending {
    Respond respond;
    std::vector<cairn::v1::RejectedEvent> rejected;
    std::vector<uint32_t> event_indexes;
  };
  // The completion may be dropped without being called (writer failure):
  // keep `respond` where TrySubmit's refusal can still reach it.
  auto pending = std::make_shared<Pending>(
      Pending{std::move(respond), std::move(decoded->rejected), std::move(decoded->event_indexes)});
  bool queued = writer_->TrySubmit(
      std::move(decoded->record),
      [this, pending, format](absl::StatusOr<BatchWriteResult> result) mutable {
        if (!result.ok()) {
          Log(LogLevel::kError, "store_write_failed",
              {{"code", absl::StatusCodeToString(result.status().code())}});
          std::move(pending->respond)(RetryLater(kRoute, 503, "storage unavailable, retry later"));
          return;
        }
        std::vector<cairn::v1::RejectedEvent>& rejected = pending->rejected;
        if (result->first_delivery) {
          // Counted under their real reasons, before the answer hides them.
          for (const cairn::v1::RejectedEvent& event : rejected) rejections_->Add(event.reason());
          for (const StoreRejection& refusal : result->rejections) {
            rejections_->Add(refusal.reason);
          }
          metrics_->AddSuppressionsKept(static_cast<uint64_t>(result->suppressions_kept));
        }
        for (const StoreRejection& refusal : result->rejections) {
          rejected.push_back(ClientAnswer(refusal, refusal.index < pending->event_indexes.size()
                                                       ? pending->event_indexes[refusal.index]
                                                       : 0));
        }
        std::sort(rejected.begin(), rejected.end(),
                  [](const cairn::v1::RejectedEvent& a, const cairn::v1::RejectedEvent& b) {
                    return a.index() < b.index();
                  });
        metrics_->AddEvents(static_cast<uint64_t>(result->inserted),
                            static_cast<uint64_t>(result->duplicates));
        // Counts only, same keys as request_rejected: no ids, no key.
        Log(LogLevel::kInfo, "batch_stored",
            {{"route", "batch"},
             {"status", "200"},
             {"format", format == BatchFormat::kJson ? "json" : "protobuf"},
             {"accepted", std::to_string(result->inserted)},
             {"duplicates", std::to_string(result->duplicates)},
             {"rejected", std::to_string(rejected.size())},
             {"renewal_grants_kept_suppressed", std::to_string(result->suppressions_kept)}});
        cairn::v1::BatchResponse body;
        body.set_accepted(static_cast<uint32_t>(result->inserted));
        body.set_duplicates(static_cast<uint32_t>(result->duplicates));
        for (cairn::v1::RejectedEvent& event : rejected) {
          *body.add_rejected() = std::move(event);
        }
        std::move(pending->respond)(BatchAnswer(body, format));
      });
  if (!queued) {
    std::move(pending->respond)(RetryLater(kRoute, 503, "collector busy, retry later"));
  }
}

}  // namespace cairn::collector
