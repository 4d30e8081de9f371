#ifndef CAIRN_COLLECTOR_INGEST_ATTRIBUTE_ALLOWLIST_H_
#define CAIRN_COLLECTOR_INGEST_ATTRIBUTE_ALLOWLIST_H_

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cairn/v1/event.pb.h"

namespace cairn::collector {

// The attribute keys the collector keeps (--attribute-allowlist). The
// SDK's own allowlist is the first filter; this one holds for events posted
// straight to the collector too. Default (empty): no attribute is kept,
// the events themselves are (data minimisation by default).
struct AttributeAllowlist {
  // "*": every attribute is kept (the collector's behaviour before it had
  // an allowlist), for operators who filter on the device only.
  bool keep_all = false;
  std::set<std::string, std::less<>> keys;
};

// Parses the flag's value: "" (keep none), "*" (keep all) or keys separated
// by commas (spaces around them ignored), each 1-64 bytes, at most 32 (the
// contract's attribute bounds). InvalidArgument otherwise; the message
// names the rule, never a key.
absl::StatusOr<AttributeAllowlist> ParseAttributeAllowlist(std::string_view text);

// Removes from every event of `events` each attribute whose key is not on
// `allowlist`, and returns how many it removed. The events stay. Cost: one
// set lookup per attribute.
uint64_t DropOffListAttributes(const AttributeAllowlist& allowlist,
                               std::vector<cairn::v1::Event>* events);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_INGEST_ATTRIBUTE_ALLOWLIST_H_
