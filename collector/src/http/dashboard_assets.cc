#include "http/dashboard_assets.h"

#include <array>
#include <string>

namespace cairn::collector {
namespace {

constexpr std::string_view kSecurityPolicy =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'";

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Headers every dashboard answer carries, errors included.
void AddCommonHeaders(HttpResponse* response) {
  response->headers.emplace_back("Cache-Control", "no-cache");
  response->headers.emplace_back("Content-Security-Policy", std::string(kSecurityPolicy));
  response->headers.emplace_back("X-Content-Type-Options", "nosniff");
  response->headers.emplace_back("Referrer-Policy", "no-referrer");
  response->headers.emplace_back("X-Frame-Options", "DENY");
}

HttpResponse Answer(HttpResponse response) {
  AddCommonHeaders(&response);
  return response;
}

}  // namespace

std::string_view WebContentType(std::string_view file_name) {
  if (EndsWith(file_name, ".html")) return "text/html; charset=utf-8";
  if (EndsWith(file_name, ".css")) return "text/css; charset=utf-8";
  if (EndsWith(file_name, ".js")) return "text/javascript; charset=utf-8";
  if (EndsWith(file_name, ".svg")) return "image/svg+xml";
  if (EndsWith(file_name, ".png")) return "image/png";
  if (EndsWith(file_name, ".ico")) return "image/x-icon";
  if (EndsWith(file_name, ".txt")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

bool IsDashboardPath(std::string_view path) {
  for (std::string_view root : kDashboardRoots) {
    if (path.substr(0, root.size()) != root) continue;
    if (path.size() == root.size() || path[root.size()] == '/') return true;
  }
  return false;
}

std::optional<WebAsset> FindWebAsset(std::string_view path) {
  if (!IsDashboardPath(path) || path.size() < 2) return std::nullopt;
  // Only plain names: no traversal, no encoded or doubled separators.
  if (path.find("..") != std::string_view::npos || path.find("//") != std::string_view::npos ||
      path.find('\\') != std::string_view::npos || path.find('%') != std::string_view::npos ||
      path.find('?') != std::string_view::npos || path.find('#') != std::string_view::npos) {
    return std::nullopt;
  }
  std::string name(path.substr(1));  // "dashboard/" or "assets/cairn.css"
  if (name.back() == '/') name += "index.html";
  for (const auto& [file, content] : EmbeddedWebFiles()) {
    if (file == name) return WebAsset{content, WebContentType(file)};
  }
  return std::nullopt;
}

HttpResponse ServeDashboard(const HttpRequest& request) {
  std::string_view path = request.Path();
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse response = Answer(TextResponse(405, "method not allowed"));
    response.headers.emplace_back("Allow", "GET, HEAD");
    return response;
  }
  if (path == "/dashboard" || path == "/customer") {
    // The browser keeps the fragment (the token) across the redirect; it
    // never sends it.
    HttpResponse response = Answer(TextResponse(308, "moved permanently"));
    response.headers.emplace_back("Location", std::string(path) + "/");
    return response;
  }
  std::optional<WebAsset> asset = FindWebAsset(path);
  if (!asset) return Answer(TextResponse(404, "not found"));
  HttpResponse response;
  response.status = 200;
  response.content_type = std::string(asset->content_type);
  // HEAD: the same headers, no body (the length is then sent as 0).
  if (request.method == "GET") response.body = std::string(asset->content);
  return Answer(std::move(response));
}

}  // namespace cairn::collector
