#include "ingest/attribute_allowlist.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "cairn/common/event_rules.h"
#include "cairn/common/strings.h"

namespace cairn::collector {

absl::StatusOr<AttributeAllowlist> ParseAttributeAllowlist(std::string_view text) {
  AttributeAllowlist allowlist;
  const std::string_view trimmed = ToStd(absl::StripAsciiWhitespace(ToAbsl(text)));
  if (trimmed.empty()) return allowlist;
  if (trimmed == "*") {
    allowlist.keep_all = true;
    return allowlist;
  }
  for (absl::string_view part : absl::StrSplit(ToAbsl(trimmed), ',')) {
    std::string_view key = ToStd(absl::StripAsciiWhitespace(part));
    if (key.empty() || key.size() > kMaxAttributeKeyBytes) {
      return absl::InvalidArgumentError(
          "--attribute-allowlist: each key must be 1-64 bytes (or the list \"*\" alone)");
    }
    allowlist.keys.emplace(key);
  }
  if (allowlist.keys.size() > kMaxAttributes) {
    return absl::InvalidArgumentError("--attribute-allowlist: at most 32 keys");
  }
  return allowlist;
}

uint64_t DropOffListAttributes(const AttributeAllowlist& allowlist,
                               std::vector<cairn::v1::Event>* events) {
  if (allowlist.keep_all) return 0;
  uint64_t dropped = 0;
  for (cairn::v1::Event& event : *events) {
    auto& attributes = *event.mutable_attributes();
    for (auto it = attributes.begin(); it != attributes.end();) {
      if (allowlist.keys.contains(std::string_view(it->first))) {
        ++it;
      } else {
        it = attributes.erase(it);
        ++dropped;
      }
    }
  }
  return dropped;
}

}  // namespace cairn::collector
