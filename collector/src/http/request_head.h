#ifndef CAIRN_COLLECTOR_HTTP_REQUEST_HEAD_H_
#define CAIRN_COLLECTOR_HTTP_REQUEST_HEAD_H_

#include <boost/beast/http.hpp>
#include <optional>

#include "http/http_server.h"
#include "http/http_types.h"

namespace cairn::collector {

// The parser every connection reads a request with (and the request-head
// fuzz target, so it fuzzes exactly what the server runs).
using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// Fresh parser state with the server's header and body bounds from
// `options` (431 / 413 beyond them). Free.
void ResetParser(std::optional<RequestParser>& parser, const ServerOptions& options);

// The HttpRequest head (method, target, lower-cased headers with repeats
// joined by ", ", Content-Length) of a parser whose header is done; the
// body is not read yet. Cost: a copy of the header fields.
HttpRequest HeadFromParser(const RequestParser& parser);

// The refusal for a request whose body length is ambiguous, or nullopt when
// it is not. The parser reads a chunked body only when Transfer-Encoding ends
// in "chunked", and takes any other Transfer-Encoding for "no body": the body
// would then be read as a second, smuggled request. So (RFC 9112 6.1, 6.3): a
// Transfer-Encoding in an HTTP/1.0 request, together with Content-Length, or
// not ending in "chunked" is a 400; codings before "chunked" (gzip, chunked)
// are a 501, as only chunked is decoded. Every refusal closes the connection
// without reading the body. `http_version` is 10 or 11. Cost: a scan of the
// Transfer-Encoding value.
std::optional<HttpResponse> RefuseAmbiguousFraming(const HttpRequest& head, unsigned http_version);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_HTTP_REQUEST_HEAD_H_
