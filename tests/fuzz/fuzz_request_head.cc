// libFuzzer target: raw bytes of an HTTP request head, parsed by Beast with
// the server's limits and turned into an HttpRequest by the server's own
// code (request_head.h), its framing checked (Transfer-Encoding), then
// checked by RequestHandler::CheckHead (route,
// method, Authorization, Content-Type, Content-Encoding, Content-Length, rate
// limit, dashboard files). Also the query-string and percent decoding of the
// target.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "app/request_handler.h"
#include "auth/write_key_set.h"
#include "cairn/common/clock.h"
#include "http/dashboard_assets.h"
#include "http/http_server.h"
#include "http/http_types.h"
#include "http/request_head.h"

namespace {

struct Fixture {
  Fixture() {
    keys = std::make_unique<cairn::collector::WriteKeySet>(
        cairn::collector::WriteKeySet::FromKeys({"fuzz-write-key"}).value());
    cairn::collector::RequestHandlerOptions options;
    options.max_body_bytes = 1 << 20;
    options.rate_limit.requests_per_second = 1000;
    options.rate_limit.burst = 1000;
    // CheckHead never reaches the writer: no store is needed.
    handler =
        std::make_unique<cairn::collector::RequestHandler>(keys.get(), nullptr, &clock, options);
  }
  cairn::ManualClock clock;
  std::unique_ptr<cairn::collector::WriteKeySet> keys;
  std::unique_ptr<cairn::collector::RequestHandler> handler;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* fixture = new Fixture();  // lives for the process
  std::optional<cairn::collector::RequestParser> parser;
  cairn::collector::ServerOptions server_options;
  server_options.max_body_bytes = 1 << 20;
  cairn::collector::ResetParser(parser, server_options);
  parser->eager(false);
  boost::beast::error_code ec;
  parser->put(boost::asio::buffer(data, size), ec);
  if (ec || !parser->is_header_done()) return 0;
  cairn::collector::HttpRequest head = cairn::collector::HeadFromParser(*parser);

  // A Transfer-Encoding the server lets through must be one the parser
  // reads a chunked body for; any other would leave the body to be read as
  // the next request.
  const bool framing_refused =
      cairn::collector::RefuseAmbiguousFraming(head, parser->get().version()).has_value();
  if (head.Header("transfer-encoding") && !framing_refused && !parser->chunked()) std::abort();

  // What CheckHead answers early is a refusal (4xx/5xx), except on the
  // dashboard paths, whose files are served from the head alone: 200 or a
  // 308 to the path with a slash.
  std::optional<cairn::collector::HttpResponse> early = fixture->handler->CheckHead(head);
  if (early && (early->status < 400 || early->status > 599)) {
    const bool dashboard = cairn::collector::IsDashboardPath(head.Path());
    if (!dashboard || (early->status != 200 && early->status != 308)) std::abort();
  }
  head.QueryParam("account_id");
  head.QueryParam("after");
  cairn::collector::PercentDecode(head.Path());
  return 0;
}
