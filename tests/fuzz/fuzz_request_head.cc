// libFuzzer target: raw bytes of an HTTP request head, parsed by Beast with
// the server's limits, turned into an HttpRequest the way the server does,
// and checked by RequestHandler::CheckHead (route, method, Authorization,
// Content-Type, Content-Encoding, Content-Length, rate limit). Also the
// query-string and percent decoding of the target.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/ascii.h"
#include "cairn/collector/http_types.h"
#include "cairn/collector/request_handler.h"
#include "cairn/collector/write_key_set.h"
#include "cairn/common/clock.h"
#include "cairn/common/strings.h"

namespace {

namespace http = boost::beast::http;

struct Fixture {
  Fixture() {
    keys = std::make_unique<cairn::collector::WriteKeySet>(
        cairn::collector::WriteKeySet::FromKeys({"fuzz-write-key"}).value());
    cairn::collector::RequestHandlerOptions options;
    options.max_body_bytes = 1 << 20;
    options.rate_limit.requests_per_second = 1000;
    options.rate_limit.burst = 1000;
    // CheckHead never reaches the writer: no store is needed.
    handler = std::make_unique<cairn::collector::RequestHandler>(keys.get(), nullptr, &clock,
                                                                  options);
  }
  cairn::ManualClock clock;
  std::unique_ptr<cairn::collector::WriteKeySet> keys;
  std::unique_ptr<cairn::collector::RequestHandler> handler;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* fixture = new Fixture();  // lives for the process
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 << 10);
  parser.body_limit(1 << 20);
  parser.eager(false);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_header_done()) return 0;

  const auto& message = parser.get();
  cairn::collector::HttpRequest head;
  head.method = std::string(message.method_string());
  head.target = std::string(message.target());
  for (const auto& field : message) {
    std::string name = absl::AsciiStrToLower(cairn::ToAbsl(field.name_string()));
    auto [it, inserted] = head.headers.try_emplace(std::move(name), field.value());
    if (!inserted) {
      it->second.append(", ");
      it->second.append(field.value());
    }
  }
  if (auto length = parser.content_length()) head.content_length = *length;
  head.body_complete = false;

  std::optional<cairn::collector::HttpResponse> refused = fixture->handler->CheckHead(head);
  if (refused && (refused->status < 400 || refused->status > 599)) std::abort();
  head.QueryParam("account_id");
  head.QueryParam("after");
  cairn::collector::PercentDecode(head.Path());
  return 0;
}
