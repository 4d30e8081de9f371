#ifndef CAIRN_COLLECTOR_AUTH_WRITE_KEY_SET_H_
#define CAIRN_COLLECTOR_AUTH_WRITE_KEY_SET_H_

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "auth/admin_role.h"
#include "cairn/common/crypto.h"

namespace cairn::collector {

// The write keys an app may present as `Authorization: Bearer <key>`. Only
// the SHA-256 of each key is kept in memory, and a presented key is compared
// in constant time, so neither memory dumps nor response timing reveal a key.
// The admin token is held in a second, separate instance: the write key
// never opens the admin API and the admin token never opens /v1/batch.
// The contents can be replaced while requests are checked (ReplaceWith, for a
// reload on SIGHUP); every method is thread-safe.
class WriteKeySet {
 public:
  // A SHA-256 digest of one key.
  using Digest = Digest256;

  // Builds the set from plain keys. Fails with InvalidArgument if there is
  // no key, or a key is empty, shorter than 8 bytes, or contains whitespace
  // or control characters.
  static absl::StatusOr<WriteKeySet> FromKeys(const std::vector<std::string>& keys);

  // Reads keys from a file, one per line; blank lines and lines starting
  // with '#' are skipped. A line is `KEY [NAME [ROLE]]`: KEY is the key
  // itself or "sha256:" and the 64 lowercase hex digits of its SHA-256 (so
  // the file need not hold the secret); NAME (IsValidKeyName) and ROLE
  // ("admin", "csm", "read"; default "admin") label an admin token (see
  // KeyLabel; a write key's label is unused). Fails with
  // NotFound/PermissionDenied if the file cannot be read, InvalidArgument
  // (naming the line, never the key) for a malformed line, as FromKeys.
  static absl::StatusOr<WriteKeySet> FromFile(const std::string& path);

  // One key-file line naming `digest`: "sha256:HEX NAME ROLE". Free.
  static std::string KeyFileLine(const Digest& digest, const KeyLabel& label);

  // True if the value of an Authorization header is "Bearer <key>" (scheme
  // case-insensitive) for a key of this set. Cost: one SHA-256 of the
  // presented key plus a 32-byte constant-time compare per stored key.
  bool VerifyAuthorization(std::string_view authorization_header) const;

  // True if `key` is in the set. Same cost as VerifyAuthorization.
  bool Contains(std::string_view key) const;

  // The digest of the key an Authorization header presents if that key is in
  // the set, else nullopt. The digest names the key for per-key state (rate
  // limits) without keeping the key. Same cost as VerifyAuthorization.
  std::optional<Digest> MatchAuthorization(std::string_view authorization_header) const;

  // The label of the key an Authorization header presents if that key is in
  // the set, else nullopt. Compared with every key in constant time, like
  // VerifyAuthorization, which costs the same.
  std::optional<KeyLabel> IdentifyAuthorization(std::string_view authorization_header) const;

  // Every key's label and fingerprint (the first 12 hex digits of its
  // SHA-256, which names a key-file line without revealing the key), in
  // file order. Cost: a copy of the list.
  struct ListedKey {
    KeyLabel label;
    std::string fingerprint;
  };
  std::vector<ListedKey> List() const;

  // True if a key is in both sets (the operator reused a write key as the
  // admin token; refused at start and on reload). Cost: a compare per pair.
  bool SharesAKeyWith(const WriteKeySet& other) const;

  // Replaces the keys with those of `other` (a freshly loaded file), at once
  // for every later check; checks running now finish with the old keys.
  // Cost: a mutex and a pointer swap.
  void ReplaceWith(const WriteKeySet& other);

  size_t size() const;

 private:
  // One key: its digest and label.
  struct Entry {
    Digest digest;
    KeyLabel label;
  };
  using Digests = std::vector<Entry>;
  // The entry `presented` is the digest of, compared with every key in
  // constant time; nullptr if none. Points into `digests`.
  static const Entry* FindDigest(const Digests& digests, const Digest& presented);
  // The digest a "Bearer <key>" header presents, nullopt if it is not one.
  static std::optional<Digest> PresentedDigest(std::string_view authorization_header);
  explicit WriteKeySet(Digests digests);
  // The current key list. A reader keeps the returned pointer for as long
  // as it reads the list: ReplaceWith frees the old list when its last
  // holder lets go.
  std::shared_ptr<const Digests> Snapshot() const;

  // Behind a pointer so the set stays movable (StatusOr) while its mutex
  // does not move. std::mutex: Debian's abseil is not annotated for TSan.
  struct State {
    std::mutex mu;
    std::shared_ptr<const Digests> digests;  // guarded by mu; never null
  };
  std::unique_ptr<State> state_;
};

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_AUTH_WRITE_KEY_SET_H_
