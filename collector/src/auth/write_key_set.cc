#include "auth/write_key_set.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cairn/common/crypto.h"

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

}  // namespace

absl::StatusOr<WriteKeySet> WriteKeySet::FromKeys(const std::vector<std::string>& keys) {
  if (keys.empty()) return absl::InvalidArgumentError("no write key given");
  std::vector<Digest> digests;
  digests.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    // The message names the key's position only: the key itself is a secret.
    if (!IsValidKey(keys[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "write key #", i + 1, " must be at least 8 bytes without spaces or control characters"));
    }
    digests.push_back(Sha256(keys[i]));
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
  std::vector<std::string> keys;
  std::istringstream lines(contents);
  std::string line;
  while (std::getline(lines, line)) {
    std::string_view key = TrimSpaces(line);
    if (key.empty() || key.front() == '#') continue;
    keys.emplace_back(key);
  }
  if (keys.empty()) return absl::InvalidArgumentError("write key file holds no key");
  return FromKeys(keys);
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

bool WriteKeySet::ContainsDigest(const Digest& presented) const {
  // Compare against every key without stopping early: the time taken does
  // not depend on which key (if any) matched.
  // The snapshot is held for the whole loop: a range-for over *Snapshot()
  // would drop the temporary pointer before the first iteration, and a
  // reload at that moment frees the list under the loop.
  const std::shared_ptr<const Digests> digests = Snapshot();
  bool matched = false;
  for (const Digest& digest : *digests) {
    matched |= ConstantTimeEquals(digest, presented);
  }
  return matched;
}

bool WriteKeySet::Contains(std::string_view key) const { return ContainsDigest(Sha256(key)); }

bool WriteKeySet::SharesAKeyWith(const WriteKeySet& other) const {
  std::shared_ptr<const Digests> mine = Snapshot();
  std::shared_ptr<const Digests> theirs = other.Snapshot();
  for (const Digest& a : *mine) {
    for (const Digest& b : *theirs) {
      if (ConstantTimeEquals(a, b)) return true;
    }
  }
  return false;
}

std::optional<WriteKeySet::Digest> WriteKeySet::MatchAuthorization(std::string_view header) const {
  header = TrimSpaces(header);
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    char c = header[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) return std::nullopt;
  }
  const Digest presented = Sha256(TrimSpaces(header.substr(kScheme.size())));
  if (!ContainsDigest(presented)) return std::nullopt;
  return presented;
}

bool WriteKeySet::VerifyAuthorization(std::string_view header) const {
  return MatchAuthorization(header).has_value();
}

}  // namespace cairn::collector
