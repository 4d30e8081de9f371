#include "auth/write_key_set.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cairn/common/crypto.h"
#include "cairn/common/strings.h"

namespace cairn::collector {
namespace {

constexpr size_t kMinKeyBytes = 8;
// A key file is a handful of lines; anything larger is a mistake.
constexpr std::streamsize kMaxKeyFileBytes = 1 << 20;

bool IsValidKey(std::string_view key) {
  if (key.size() < kMinKeyBytes) return false;
  for (char c : key) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// "key-" and the first 8 hex digits of the digest: the name of a key whose
// line gives none.
std::string DefaultName(const Digest256& digest) { return "key-" + ToHex(digest).substr(0, 8); }

constexpr std::string_view kHashedPrefix = "sha256:";

}  // namespace

absl::StatusOr<WriteKeySet> WriteKeySet::FromKeys(const std::vector<std::string>& keys) {
  if (keys.empty()) return absl::InvalidArgumentError("no write key given");
  Digests digests;
  digests.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    // The message names the key's position only: the key itself is a secret.
    if (!IsValidKey(keys[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "write key #", i + 1, " must be at least 8 bytes without spaces or control characters"));
    }
    const Digest digest = Sha256(keys[i]);
    digests.push_back({digest, {DefaultName(digest), AdminRole::kAdmin}});
  }
  return WriteKeySet(std::move(digests));
}

absl::StatusOr<WriteKeySet> WriteKeySet::FromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    std::string message = absl::StrCat("cannot read write key file: ", std::strerror(err));
    return err == EACCES ? absl::PermissionDeniedError(message) : absl::NotFoundError(message);
  }
  std::string contents(kMaxKeyFileBytes + 1, '\0');
  in.read(contents.data(), kMaxKeyFileBytes + 1);
  if (in.gcount() > kMaxKeyFileBytes) {
    return absl::InvalidArgumentError("write key file is larger than 1 MiB");
  }
  contents.resize(static_cast<size_t>(in.gcount()));
  Digests digests;
  std::istringstream lines(contents);
  std::string line;
  for (size_t number = 1; std::getline(lines, line); ++number) {
    std::string_view text = TrimSpaces(line);
    if (text.empty() || text.front() == '#') continue;
    std::vector<std::string_view> fields;
    for (absl::string_view field :
         absl::StrSplit(ToAbsl(text), absl::ByAnyChar(" \t"), absl::SkipEmpty())) {
      fields.push_back(ToStd(field));
    }
    // The message names the line only: the key itself is a secret.
    auto bad = [number](std::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat("key file line ", number, ": ", ToAbsl(what)));
    };
    if (fields.size() > 3) return bad("more than KEY NAME ROLE");
    Digest digest{};
    if (fields[0].starts_with(kHashedPrefix)) {
      absl::StatusOr<std::string> bytes = HexDecode(fields[0].substr(kHashedPrefix.size()));
      if (!bytes.ok() || bytes->size() != digest.size()) {
        return bad("sha256: must be followed by 64 lowercase hex digits");
      }
      std::copy(bytes->begin(), bytes->end(), digest.begin());
    } else {
      if (!IsValidKey(fields[0])) {
        return bad("a key must be at least 8 bytes without spaces or control characters");
      }
      digest = Sha256(fields[0]);
    }
    KeyLabel label{DefaultName(digest), AdminRole::kAdmin};
    if (fields.size() > 1) {
      if (!IsValidKeyName(fields[1])) return bad("a name must be 1-64 bytes of [A-Za-z0-9._-]");
      label.name = std::string(fields[1]);
    }
    if (fields.size() > 2) {
      std::optional<AdminRole> role = ParseAdminRole(fields[2]);
      if (!role) return bad("the role must be admin, csm or read");
      label.role = *role;
    }
    digests.push_back({digest, std::move(label)});
  }
  if (digests.empty()) return absl::InvalidArgumentError("write key file holds no key");
  return WriteKeySet(std::move(digests));
}

std::string WriteKeySet::KeyFileLine(const Digest& digest, const KeyLabel& label) {
  return absl::StrCat(ToAbsl(kHashedPrefix), ToHex(digest), " ", label.name, " ",
                      ToAbsl(AdminRoleName(label.role)));
}

WriteKeySet::WriteKeySet(Digests digests) : state_(std::make_unique<State>()) {
  state_->digests = std::make_shared<const Digests>(std::move(digests));
}

std::shared_ptr<const WriteKeySet::Digests> WriteKeySet::Snapshot() const {
  std::lock_guard lock(state_->mu);
  return state_->digests;
}

void WriteKeySet::ReplaceWith(const WriteKeySet& other) {
  std::shared_ptr<const Digests> fresh = other.Snapshot();
  std::shared_ptr<const Digests> old;
  {
    std::lock_guard lock(state_->mu);
    old = std::move(state_->digests);
    state_->digests = std::move(fresh);
  }
  // `old` is released here, outside the lock.
}

size_t WriteKeySet::size() const { return Snapshot()->size(); }

const WriteKeySet::Entry* WriteKeySet::FindDigest(const Digests& digests, const Digest& presented) {
  // Compare against every key without stopping early: the time taken does
  // not depend on which key (if any) matched.
  const Entry* matched = nullptr;
  for (const Entry& entry : digests) {
    if (ConstantTimeEquals(entry.digest, presented)) matched = &entry;
  }
  return matched;
}

bool WriteKeySet::Contains(std::string_view key) const {
  // The snapshot is held while its entries are read: a reload at that
  // moment would otherwise free the list under the loop.
  const std::shared_ptr<const Digests> digests = Snapshot();
  return FindDigest(*digests, Sha256(key)) != nullptr;
}

std::vector<WriteKeySet::ListedKey> WriteKeySet::List() const {
  const std::shared_ptr<const Digests> digests = Snapshot();
  std::vector<ListedKey> out;
  for (const Entry& entry : *digests)
    out.push_back({entry.label, ToHex(entry.digest).substr(0, 12)});
  return out;
}

bool WriteKeySet::SharesAKeyWith(const WriteKeySet& other) const {
  std::shared_ptr<const Digests> mine = Snapshot();
  std::shared_ptr<const Digests> theirs = other.Snapshot();
  for (const Entry& a : *mine) {
    for (const Entry& b : *theirs) {
      if (ConstantTimeEquals(a.digest, b.digest)) return true;
    }
  }
  return false;
}

std::optional<WriteKeySet::Digest> WriteKeySet::PresentedDigest(std::string_view header) {
  header = TrimSpaces(header);
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    char c = header[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) return std::nullopt;
  }
  return Sha256(TrimSpaces(header.substr(kScheme.size())));
}

std::optional<WriteKeySet::Digest> WriteKeySet::MatchAuthorization(std::string_view header) const {
  std::optional<Digest> presented = PresentedDigest(header);
  if (!presented) return std::nullopt;
  const std::shared_ptr<const Digests> digests = Snapshot();
  if (FindDigest(*digests, *presented) == nullptr) return std::nullopt;
  return presented;
}

std::optional<KeyLabel> WriteKeySet::IdentifyAuthorization(std::string_view header) const {
  std::optional<Digest> presented = PresentedDigest(header);
  if (!presented) return std::nullopt;
  const std::shared_ptr<const Digests> digests = Snapshot();
  const Entry* entry = FindDigest(*digests, *presented);
  if (entry == nullptr) return std::nullopt;
  return entry->label;
}

bool WriteKeySet::VerifyAuthorization(std::string_view header) const {
  return MatchAuthorization(header).has_value();
}

}  // namespace cairn::collector
