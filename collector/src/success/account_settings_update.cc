#include "success/account_settings_update.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cairn/common/event_rules.h"
#include "cairn/common/strings.h"
#include "success/engagement_views.h"

namespace cairn::collector {
namespace {

using google::protobuf::Value;

// Largest amount taken, in currency units: ten trillion, far above any
// contract, still exact in cents as a double.
constexpr double kMaxAmount = 1e13;

bool IsTagByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == ':' || c == '-';
}

bool IsValidTag(std::string_view tag) {
  return !tag.empty() && tag.size() <= 64 && std::all_of(tag.begin(), tag.end(), IsTagByte);
}

// Printable UTF-8 of 1..max_bytes bytes: no control characters, which a
// CSV export or a terminal would otherwise carry.
bool IsLabelText(std::string_view text, size_t max_bytes) {
  if (text.empty() || text.size() > max_bytes || !IsValidUtf8(text)) return false;
  return std::none_of(text.begin(), text.end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// A text field: null clears, a valid label sets.
absl::Status ApplyLabel(const Value& value, std::string_view field, size_t max_bytes,
                        std::optional<std::string>* out) {
  if (value.has_null_value()) {
    out->reset();
    return absl::OkStatus();
  }
  if (!value.has_string_value() || !IsLabelText(value.string_value(), max_bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat(ToAbsl(field), " must be 1-", max_bytes,
                     " bytes of UTF-8 without control characters, or null"));
  }
  *out = value.string_value();
  return absl::OkStatus();
}

// An amount in currency units: null clears; else cents, rounded.
absl::Status ApplyAmount(const Value& value, std::string_view field, int64_t factor,
                         std::optional<int64_t>* cents) {
  if (value.has_null_value()) {
    cents->reset();
    return absl::OkStatus();
  }
  const double amount = value.number_value();
  if (!value.has_number_value() || !std::isfinite(amount) || amount < 0 ||
      amount * static_cast<double>(factor) > kMaxAmount) {
    return absl::InvalidArgumentError(
        absl::StrCat(ToAbsl(field), " must be a number from 0 to 10^13 (",
                     factor == 1 ? "per year" : "per month", "), or null"));
  }
  *cents = static_cast<int64_t>(std::llround(amount * 100.0)) * factor;
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyAccountUpdate(const admin::v1::UpdateAccountRequest& update,
                                AccountSettings* out) {
  AccountSettings settings = *out;
  if (update.has_seats()) {
    const Value& seats = update.seats();
    if (seats.has_null_value()) {
      settings.seats.reset();
    } else {
      const double n = seats.number_value();
      // Integers only, up to where a double still counts exactly.
      if (!seats.has_number_value() || n < 0 || n > 9007199254740992.0 || n != std::floor(n)) {
        return absl::InvalidArgumentError("seats must be an integer >= 0 or null");
      }
      settings.seats = static_cast<int64_t>(n);
    }
  }
  if (update.has_renewal_date()) {
    const Value& date = update.renewal_date();
    if (date.has_null_value()) {
      settings.renewal_date.reset();
    } else {
      std::optional<engagement::DayIndex> day;
      if (date.has_string_value()) day = ParseDateText(date.string_value());
      if (!day) return absl::InvalidArgumentError("renewal_date must be \"YYYY-MM-DD\" or null");
      settings.renewal_date = *day;
    }
  }
  if (update.has_key_milestones()) {
    const Value& list = update.key_milestones();
    std::vector<std::string> names;
    if (!list.has_null_value()) {
      if (!list.has_list_value()) {
        return absl::InvalidArgumentError(
            "key_milestones must be an array of milestone names or null");
      }
      if (static_cast<size_t>(list.list_value().values_size()) > kMaxKeyMilestones) {
        return absl::InvalidArgumentError(
            absl::StrCat("at most ", kMaxKeyMilestones, " key milestones"));
      }
      for (const Value& item : list.list_value().values()) {
        if (!item.has_string_value() || !IsValidMilestoneName(item.string_value())) {
          return absl::InvalidArgumentError(
              "key milestone names must be 1-128 bytes of [A-Za-z0-9_.:-]");
        }
        if (std::find(names.begin(), names.end(), item.string_value()) == names.end()) {
          names.push_back(item.string_value());
        }
      }
    }
    settings.key_milestones = std::move(names);
  }
  if (update.has_owner()) {
    if (absl::Status s = ApplyLabel(update.owner(), "owner", 128, &settings.owner); !s.ok()) {
      return s;
    }
  }
  if (update.has_plan()) {
    if (absl::Status s = ApplyLabel(update.plan(), "plan", 64, &settings.plan); !s.ok()) return s;
  }
  if (update.has_arr() && update.has_mrr()) {
    return absl::InvalidArgumentError("give arr or mrr, not both");
  }
  if (update.has_arr()) {
    if (absl::Status s = ApplyAmount(update.arr(), "arr", 1, &settings.arr_cents); !s.ok()) {
      return s;
    }
  }
  if (update.has_mrr()) {
    if (absl::Status s = ApplyAmount(update.mrr(), "mrr", 12, &settings.arr_cents); !s.ok()) {
      return s;
    }
  }
  if (update.has_segments()) {
    const Value& list = update.segments();
    std::vector<std::string> tags;
    if (!list.has_null_value()) {
      if (!list.has_list_value() ||
          static_cast<size_t>(list.list_value().values_size()) > kMaxSegments) {
        return absl::InvalidArgumentError(
            absl::StrCat("segments must be an array of at most ", kMaxSegments, " tags, or null"));
      }
      for (const Value& item : list.list_value().values()) {
        if (!item.has_string_value() || !IsValidTag(item.string_value())) {
          return absl::InvalidArgumentError("segment tags must be 1-64 bytes of [A-Za-z0-9_.:-]");
        }
        tags.push_back(item.string_value());
      }
      std::sort(tags.begin(), tags.end());
      tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
    }
    settings.segments = std::move(tags);
  }
  *out = std::move(settings);
  return absl::OkStatus();
}

admin::v1::AccountSettings AccountSettingsMessage(const AccountSettings& s) {
  admin::v1::AccountSettings out;
  out.set_account_id(s.account_id);
  for (const std::string& name : s.key_milestones) out.add_key_milestones(name);
  FillContext(std::optional<AccountSettings>(s), &out);
  return out;
}

}  // namespace cairn::collector
