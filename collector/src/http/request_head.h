#ifndef CAIRN_COLLECTOR_HTTP_REQUEST_HEAD_H_
#define CAIRN_COLLECTOR_HTTP_REQUEST_HEAD_H_

#include <optional>

#include <boost/beast/http.hpp>

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

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_HTTP_REQUEST_HEAD_H_
