#ifndef CAIRN_COLLECTOR_HTTP_ROUTE_TABLE_H_
#define CAIRN_COLLECTOR_HTTP_ROUTE_TABLE_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::collector {

// What a path matched (it views the table and the path: both must outlive
// it): the route's id, the methods it allows, and the
// values of its "{name}" segments in pattern order (still percent-encoded:
// a '/' inside an id arrives as %2F and is never a separator).
struct RouteMatch {
  int id = 0;
  std::string_view methods;  // "GET" or "GET, PUT": an Allow header's value
  std::vector<std::string_view> params;

  // True if `method` is one of `methods`.
  bool Allows(std::string_view method) const;
};

// The one table that maps a request path to a route, for every part of the
// collector that serves paths (the top-level API, the GDPR and the
// customer-success endpoints). A pattern is literal segments and "{name}"
// segments, each matching one non-empty segment; a pattern ending in "/**"
// also matches the bare prefix and anything below it. Paths are matched
// without a query string. The first pattern added that matches wins.
// Immutable once built, so lookups from any thread are safe.
class RouteTable {
 public:
  // Adds a route. `methods` is what the route allows ("GET" or
  // "GET, PUT"); `id` is the caller's name for it. Cost: parses `pattern`.
  void Add(std::string_view pattern, std::string_view methods, int id);

  // The first route `path` matches, or nullopt. Cost: a walk of the
  // table's patterns, segment by segment, without allocation beyond the
  // parameters.
  std::optional<RouteMatch> Match(std::string_view path) const;

 private:
  struct Entry {
    std::vector<std::string> segments;  // "{}" for a parameter
    bool subtree = false;               // pattern ended in "/**"
    std::string methods;
    int id = 0;
  };
  std::vector<Entry> entries_;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_HTTP_ROUTE_TABLE_H_
