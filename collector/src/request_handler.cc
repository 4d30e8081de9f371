#include "cairn/collector/request_handler.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "cairn/collector/log.h"
#include "cairn/common/strings.h"
#include "cairn/v1/batch.pb.h"

namespace cairn::collector {
namespace {

constexpr std::string_view kBatchPath = "/v1/batch";
constexpr std::string_view kHealthPath = "/healthz";
constexpr std::string_view kProtobufType = "application/x-protobuf";

// Routes named in logs; the raw path is client-chosen text and stays out.
std::string_view RouteName(std::string_view path) {
  if (path == kBatchPath) return "batch";
  if (path == kHealthPath) return "healthz";
  if (AdminApi::IsAdminPath(path)) return "admin";
  return "unknown";
}

// An error response, logged without personal data: route, status, reason.
HttpResponse Reject(std::string_view path, int status, std::string_view reason) {
  Log(status >= 500 ? LogLevel::kError : LogLevel::kWarning, "request_rejected",
      {{"route", std::string(RouteName(path))},
       {"status", std::to_string(status)},
       {"reason", std::string(reason)}});
  return TextResponse(status, reason);
}

HttpResponse MethodNotAllowed(std::string_view path, std::string_view allowed) {
  HttpResponse response = Reject(path, 405, "method not allowed");
  response.headers.emplace_back("Allow", std::string(allowed));
  return response;
}

HttpResponse RetryLater(std::string_view path, int status, std::string_view reason) {
  HttpResponse response = Reject(path, status, reason);
  response.headers.emplace_back("Retry-After", "1");
  return response;
}

// "application/x-protobuf", any case, parameters after ';' ignored.
bool IsProtobufContentType(std::string_view value) {
  std::string_view media_type = value.substr(0, value.find(';'));
  return absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(ToAbsl(media_type)),
                                ToAbsl(kProtobufType));
}

}  // namespace

RequestHandler::RequestHandler(const WriteKeySet* keys, BatchWriter* writer, Clock* clock,
                               const RequestHandlerOptions& options, AdminApi* admin)
    : keys_(keys), writer_(writer), clock_(clock), options_(options), admin_(admin) {}

std::optional<HttpResponse> RequestHandler::CheckHead(const HttpRequest& head) const {
  std::string_view path = head.Path();
  if (path == kHealthPath) {
    if (head.method != "GET") return MethodNotAllowed(path, "GET");
    return std::nullopt;
  }
  if (AdminApi::IsAdminPath(path)) {
    if (admin_ == nullptr) return Reject(path, 404, "not found");
    return admin_->CheckHead(head);
  }
  if (path != kBatchPath) return Reject(path, 404, "not found");
  if (head.method != "POST") return MethodNotAllowed(path, "POST");

  std::optional<std::string_view> authorization = head.Header("authorization");
  if (!authorization || !keys_->VerifyAuthorization(*authorization)) {
    HttpResponse response = Reject(path, 401, "missing or wrong write key");
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
    return response;
  }
  std::optional<std::string_view> content_type = head.Header("content-type");
  if (!content_type || !IsProtobufContentType(*content_type)) {
    return Reject(path, 415, "Content-Type must be application/x-protobuf");
  }
  if (!ParseCodec(head.Header("content-encoding").value_or(""))) {
    return Reject(path, 415, "Content-Encoding must be identity, zstd or gzip");
  }
  if (head.content_length && *head.content_length > options_.max_body_bytes) {
    return Reject(path, 413, "body is over the size limit");
  }
  return std::nullopt;
}

void RequestHandler::Handle(HttpRequest request, Respond respond) {
  if (std::optional<HttpResponse> refused = CheckHead(request)) {
    std::move(respond)(*std::move(refused));
    return;
  }
  if (request.Path() == kHealthPath) {
    std::move(respond)(TextResponse(200, "ok"));
    return;
  }
  if (AdminApi::IsAdminPath(request.Path())) {
    // CheckHead passed, so there is an AdminApi.
    admin_->Handle(std::move(request), std::move(respond));
    return;
  }
  HandleBatch(std::move(request), std::move(respond));
}

void RequestHandler::HandleBatch(HttpRequest request, Respond respond) {
  if (request.body.size() > options_.max_body_bytes) {
    std::move(respond)(Reject(kBatchPath, 413, "body is over the size limit"));
    return;
  }
  // CheckHead accepted the encoding, so it parses.
  Codec codec = ParseCodec(request.Header("content-encoding").value_or("")).value();
  absl::StatusOr<DecodedBatch> decoded =
      DecodeBatch(codec, request.body, options_.decode, clock_->Now());
  if (!decoded.ok()) {
    int status = absl::IsResourceExhausted(decoded.status()) ? 413 : 400;
    std::move(respond)(Reject(kBatchPath, status, ToStd(decoded.status().message())));
    return;
  }

  if (options_.store_client_ip && !request.remote_address.empty()) {
    decoded->record.client_ip = request.remote_address;
  }
  if (options_.store_user_agent) {
    if (std::optional<std::string_view> agent = request.Header("user-agent")) {
      decoded->record.user_agent = std::string(agent->substr(0, kMaxStoredUserAgentBytes));
    }
  }

  // The validation verdicts and the index map travel with the completion;
  // the writer sees only what it may store.
  struct Pending {
    Respond respond;
    std::vector<cairn::v1::RejectedEvent> rejected;
    std::vector<uint32_t> event_indexes;
  };
  // The completion may be dropped without being called (writer failure):
  // keep `respond` where TrySubmit's refusal can still reach it.
  auto pending = std::make_shared<Pending>(Pending{std::move(respond),
                                                   std::move(decoded->rejected),
                                                   std::move(decoded->event_indexes)});
  bool queued = writer_->TrySubmit(
      std::move(decoded->record),
      [this, pending](absl::StatusOr<BatchWriteResult> result) mutable {
        if (!result.ok()) {
          Log(LogLevel::kError, "store_write_failed",
              {{"code", absl::StatusCodeToString(result.status().code())}});
          std::move(pending->respond)(
              RetryLater(kBatchPath, 503, "storage unavailable, retry later"));
          return;
        }
        std::vector<cairn::v1::RejectedEvent>& rejected = pending->rejected;
        for (const StoreRejection& refusal : result->rejections) {
          cairn::v1::RejectedEvent& event = rejected.emplace_back();
          event.set_index(refusal.index < pending->event_indexes.size()
                              ? pending->event_indexes[refusal.index]
                              : 0);
          event.set_reason(refusal.reason);
          event.set_detail(refusal.detail);
        }
        std::sort(rejected.begin(), rejected.end(),
                  [](const cairn::v1::RejectedEvent& a, const cairn::v1::RejectedEvent& b) {
                    return a.index() < b.index();
                  });
        if (result->first_delivery) {
          for (const cairn::v1::RejectedEvent& event : rejected) rejections_.Add(event.reason());
        }
        cairn::v1::BatchResponse body;
        body.set_accepted(static_cast<uint32_t>(result->inserted));
        body.set_duplicates(static_cast<uint32_t>(result->duplicates));
        for (cairn::v1::RejectedEvent& event : rejected) {
          *body.add_rejected() = std::move(event);
        }
        HttpResponse response;
        response.status = 200;
        response.content_type = std::string(kProtobufType);
        response.body = body.SerializeAsString();
        std::move(pending->respond)(std::move(response));
      });
  if (!queued) {
    std::move(pending->respond)(RetryLater(kBatchPath, 503, "collector busy, retry later"));
  }
}

}  // namespace cairn::collector
