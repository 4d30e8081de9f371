#include "http/route_table.h"

namespace cairn::collector {
namespace {

constexpr std::string_view kParam = "{}";

// The parts of `text` between `separator`s ("" gives one empty part).
std::vector<std::string_view> Split(std::string_view text, std::string_view separator) {
  std::vector<std::string_view> parts;
  while (true) {
    size_t end = text.find(separator);
    parts.push_back(text.substr(0, end));
    if (end == std::string_view::npos) return parts;
    text.remove_prefix(end + separator.size());
  }
}

// "/a/b" -> {"a", "b"}; "/" -> {}; a path not starting with '/' -> nullopt.
std::optional<std::vector<std::string_view>> Segments(std::string_view path) {
  if (path.empty() || path.front() != '/') return std::nullopt;
  if (path.size() == 1) return std::vector<std::string_view>();
  return Split(path.substr(1), "/");
}

}  // namespace

bool RouteMatch::Allows(std::string_view method) const {
  for (std::string_view allowed : Split(methods, ", ")) {
    if (allowed == method) return true;
  }
  return false;
}

void RouteTable::Add(std::string_view pattern, std::string_view methods, int id) {
  Entry entry;
  entry.methods = std::string(methods);
  entry.id = id;
  std::optional<std::vector<std::string_view>> segments = Segments(pattern);
  if (segments && !segments->empty() && segments->back() == "**") {
    entry.subtree = true;
    segments->pop_back();
  }
  if (segments) {
    for (std::string_view segment : *segments) {
      bool param = segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
      entry.segments.emplace_back(param ? kParam : segment);
    }
  }
  entries_.push_back(std::move(entry));
}

std::optional<RouteMatch> RouteTable::Match(std::string_view path) const {
  path = path.substr(0, path.find('?'));
  std::optional<std::vector<std::string_view>> segments = Segments(path);
  if (!segments) return std::nullopt;
  for (const Entry& entry : entries_) {
    const size_t n = entry.segments.size();
    if (entry.subtree ? segments->size() < n : segments->size() != n) continue;
    RouteMatch match;
    bool matched = true;
    for (size_t i = 0; i < n && matched; ++i) {
      std::string_view segment = (*segments)[i];
      if (entry.segments[i] == kParam) {
        matched = !segment.empty();
        match.params.push_back(segment);
      } else {
        matched = segment == entry.segments[i];
      }
    }
    if (!matched) continue;
    match.id = entry.id;
    match.methods = entry.methods;
    return match;
  }
  return std::nullopt;
}

}  // namespace cairn::collector
