#ifndef CAIRN_COLLECTOR_HTTP_DASHBOARD_ASSETS_H_
#define CAIRN_COLLECTOR_HTTP_DASHBOARD_ASSETS_H_

#include <array>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "http/http_types.h"

namespace cairn::collector {

// The dashboards' static files (HTML, CSS, JS), compiled into the binary from
// collector/web at build time (cmake/EmbedWebAssets.cmake): nothing is read
// from disk at run time and nothing comes from a CDN.
//
//   /dashboard/         vendor view (dashboard/index.html); it calls the admin
//                       JSON API with the token the user gives it
//   /customer/          customer view (customer/index.html); it calls
//                       /v1/customer/overview with its signed link
//   /assets/<file>      CSS and JS both pages share
//   /dashboard/<file>, /customer/<file>   each page's own files
//
// The pages themselves are public: the data behind them is not.

// Every embedded file: path relative to collector/web ("dashboard/index.html")
// and its bytes. Defined in the generated source. Cost: none after the first
// call.
const std::vector<std::pair<std::string_view, std::string_view>>& EmbeddedWebFiles();

// One embedded file as served.
struct WebAsset {
  std::string_view content;
  std::string_view content_type;  // e.g. "text/html; charset=utf-8"
};

// The file served at URL path `path` ("/dashboard/" -> dashboard/index.html),
// or nullopt. Only exact names of embedded files match: a path with "..",
// "//", "\\", "%" or a query never does. Cost: a scan of the file list.
std::optional<WebAsset> FindWebAsset(std::string_view path);

// The Content-Type of a file name by its extension; "application/octet-stream"
// for an unknown one.
std::string_view WebContentType(std::string_view file_name);

// The URL roots of the dashboard files.
inline constexpr std::array<std::string_view, 3> kDashboardRoots = {"/dashboard", "/customer",
                                                                    "/assets"};

// True for the paths the dashboards own: "/dashboard", "/customer", "/assets"
// and everything under them (whatever the method).
bool IsDashboardPath(std::string_view path);

// The answer to a request for a dashboard path: 200 with the file, its type,
// `Cache-Control: no-cache` and the security headers (a strict
// Content-Security-Policy, nosniff, no referrer); 308 from "/dashboard" or
// "/customer" to the same path with a slash; 404 for an unknown file; 405
// with `Allow: GET, HEAD` for another method. HEAD gets the headers and no
// body. Never touches the store. Cost: FindWebAsset plus a copy of the file.
HttpResponse ServeDashboard(const HttpRequest& request);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_HTTP_DASHBOARD_ASSETS_H_
