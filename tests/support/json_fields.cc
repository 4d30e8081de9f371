#include "json_fields.h"

#include "gtest/gtest.h"

namespace cairn::testing {

std::string RawValue(std::string_view json, std::string_view key) {
  std::string needle = "\"" + std::string(key) + "\":";
  size_t at = json.find(needle);
  if (at == std::string_view::npos) return "<missing>";
  std::string_view rest = json.substr(at + needle.size());
  return std::string(rest.substr(0, rest.find_first_of(",}]")));
}

std::vector<std::string> StringValues(std::string_view json, std::string_view key) {
  std::vector<std::string> out;
  std::string needle = "\"" + std::string(key) + "\":\"";
  for (size_t at = json.find(needle); at != std::string_view::npos;
       at = json.find(needle, at + 1)) {
    size_t start = at + needle.size();
    out.emplace_back(json.substr(start, json.find('"', start) - start));
  }
  return out;
}

std::vector<std::string> StringArray(std::string_view json, std::string_view key) {
  std::string needle = "\"" + std::string(key) + "\":[";
  size_t at = json.find(needle);
  EXPECT_NE(at, std::string_view::npos) << json;
  if (at == std::string_view::npos) return {};
  std::string_view items = json.substr(at + needle.size());
  items = items.substr(0, items.find(']'));
  std::vector<std::string> out;
  for (size_t open = items.find('"'); open != std::string_view::npos;
       open = items.find('"', items.find('"', open + 1) + 1)) {
    size_t close = items.find('"', open + 1);
    out.emplace_back(items.substr(open + 1, close - open - 1));
  }
  return out;
}

std::string_view Section(std::string_view json, std::string_view key, std::string_view next_key) {
  size_t start = json.find("\"" + std::string(key) + "\":");
  if (start == std::string_view::npos) return {};
  size_t end = next_key.empty() ? json.size() : json.find("\"" + std::string(next_key) + "\":");
  return json.substr(start, end == std::string_view::npos ? json.size() - start : end - start);
}

}  // namespace cairn::testing
