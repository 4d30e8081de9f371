// Files only the user can read, the session of a user who switches
// accounts, and the result of the record calls.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "cairn/client.h"
#include "cairn/common/clock.h"
#include "cairn/record_result.h"
#include "scoped_umask.h"
#include "sdk_fixture.h"

namespace cairn {
namespace {

using cairn::testing::ScopedUmask;
using consent::Purpose;

mode_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

class DeviceFilesTest : public cairn::testing::SdkTest {
 protected:
  // Every file a session leaves in the storage directory, with its mode.
  std::vector<std::pair<std::string, mode_t>> FilesIn(const std::string& dir) {
    std::vector<std::pair<std::string, mode_t>> out;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      out.emplace_back(entry.path().filename().string(), ModeOf(entry.path().string()));
    }
    return out;
  }
};

TEST_F(DeviceFilesTest, EveryFileIsOwnerOnlyWhateverTheUmask) {
  ScopedUmask permissive(0);
  Options o = FlushOnlyOptions();
  o.storage_dir = dir_.File("a/b/sdk");  // parents made by the client too
  auto client = StartSignedIn(o);
  ASSERT_NE(client, nullptr);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(client->RecordMilestone("m", i).ok());
  ASSERT_TRUE(client->Flush(absl::Now() + absl::Seconds(10)).ok());
  // While the client is open the WAL and SHM files exist.
  std::vector<std::pair<std::string, mode_t>> files = FilesIn(o.storage_dir);
  std::set<std::string> names;
  for (const auto& [name, mode] : files) {
    names.insert(name);
    EXPECT_EQ(mode, 0600u) << name;
  }
  for (const char* expected :
       {"cairn-buffer.db", "cairn-buffer.db-wal", "cairn-buffer.db-shm", "cairn-buffer.mark",
        "consent.db", "consent.db-wal", "consent.db-shm"}) {
    EXPECT_TRUE(names.count(expected)) << expected << " was not created";
  }
  EXPECT_EQ(ModeOf(o.storage_dir), 0700u);
  EXPECT_EQ(ModeOf(dir_.File("a/b")), 0700u);
  ASSERT_TRUE(client->Shutdown(absl::Now() + absl::Seconds(5)).ok());
  for (const auto& [name, mode] : FilesIn(o.storage_dir)) EXPECT_EQ(mode, 0600u) << name;
}

TEST_F(DeviceFilesTest, AWiderDirectoryAndFilesOfAnEarlierRunAreTightened) {
  ScopedUmask permissive(0);
  Options o = FlushOnlyOptions();
  {
    auto client = StartSignedIn(o);
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(client->Shutdown(absl::Now() + absl::Seconds(5)).ok());
  }
  // What an older version (or the user) left readable to everyone.
  ASSERT_EQ(chmod(o.storage_dir.c_str(), 0755), 0);
  for (const auto& [name, mode] : FilesIn(o.storage_dir)) {
    ASSERT_EQ(chmod((o.storage_dir + "/" + name).c_str(), 0644), 0) << name;
  }
  auto client = MakeClient(o);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->RecordLogin("acct", "u").ok());
  ASSERT_TRUE(client->Flush(absl::Now() + absl::Seconds(10)).ok());
  EXPECT_EQ(ModeOf(o.storage_dir), 0700u);
  for (const auto& [name, mode] : FilesIn(o.storage_dir)) EXPECT_EQ(mode, 0600u) << name;
}

// ------------------------------------------------------ account switch ---

class AccountSwitchTest : public cairn::testing::SdkTest {
 protected:
  // The received events whose body is `has` (e.g. &Event::has_login).
  std::vector<cairn::v1::Event> Of(bool (cairn::v1::Event::*has)() const) const {
    std::vector<cairn::v1::Event> out;
    for (const cairn::v1::Event& e : ReceivedEvents()) {
      if ((e.*has)()) out.push_back(e);
    }
    return out;
  }
  std::vector<cairn::v1::Event> SessionEnds() const {
    return Of(&cairn::v1::Event::has_session_end);
  }
  std::vector<cairn::v1::Event> Logins() const { return Of(&cairn::v1::Event::has_login); }
};

TEST_F(AccountSwitchTest, ASwitchEndsTheFirstUsersSessionWithTheirIds) {
  ManualClock clock;
  Options o = FlushOnlyOptions();
  o.clock = &clock;
  auto client = StartSignedIn(o);  // acct/u
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(Grant(*client, "other", "w", Purpose::kUsageAnalytics).ok());
  clock.Advance(absl::Seconds(90));
  ASSERT_TRUE(client->RecordLogin("other", "w").ok());
  ASSERT_TRUE(FlushUntilDelivered(*client).ok());
  std::vector<cairn::v1::Event> logins = Logins();
  std::vector<cairn::v1::Event> ends = SessionEnds();
  ASSERT_EQ(logins.size(), 2u);
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(ends[0].account_id(), "acct");
  EXPECT_EQ(ends[0].user_id(), client->WireUserId("u"));
  EXPECT_EQ(ends[0].session_id(), logins[0].session_id());
  EXPECT_EQ(ends[0].session_end().duration().seconds(), 90);
  EXPECT_EQ(logins[1].account_id(), "other");
  EXPECT_NE(logins[1].session_id(), logins[0].session_id());
  // The SessionEnd comes before the new login.
  EXPECT_LT(ends[0].sequence(), logins[1].sequence());
  // The new user's session is the open one now.
  ASSERT_TRUE(client->RecordSessionEnd().ok());
  ASSERT_TRUE(FlushUntilDelivered(*client).ok());
  ends = SessionEnds();
  ASSERT_EQ(ends.size(), 2u);
  EXPECT_EQ(ends[1].account_id(), "other");
  EXPECT_EQ(ends[1].session_id(), logins[1].session_id());
}

TEST_F(AccountSwitchTest, TheFirstUsersSessionEndNeedsTheirConsent) {
  auto client = MakeClient(FlushOnlyOptions());
  ASSERT_NE(client, nullptr);
  // The first user never granted usage analytics; the second did.
  EXPECT_EQ(client->RecordLogin("acct", "u").code(), absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(Grant(*client, "other", "w", Purpose::kUsageAnalytics).ok());
  ASSERT_TRUE(client->RecordLogin("other", "w").ok());
  ASSERT_TRUE(FlushUntilDelivered(*client).ok());
  EXPECT_TRUE(SessionEnds().empty());
  ASSERT_EQ(Logins().size(), 1u);
  EXPECT_EQ(Logins()[0].account_id(), "other");
  // The SDK's own SessionEnd is not the app's refused call.
  EXPECT_EQ(client->GetStats().refused_no_consent, 1u);
}

TEST_F(AccountSwitchTest, TheSameIdentityLoggingInAgainStartsANewSession) {
  auto client = StartSignedIn(FlushOnlyOptions());
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->RecordLogin("acct", "u").ok());
  ASSERT_TRUE(FlushUntilDelivered(*client).ok());
  std::vector<cairn::v1::Event> logins = Logins();
  std::vector<cairn::v1::Event> ends = SessionEnds();
  ASSERT_EQ(logins.size(), 2u);
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(ends[0].session_id(), logins[0].session_id());
  EXPECT_NE(logins[1].session_id(), logins[0].session_id());
}

TEST_F(AccountSwitchTest, AfterASessionEndALoginEndsNothingMore) {
  auto client = StartSignedIn(FlushOnlyOptions());
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->RecordSessionEnd().ok());
  ASSERT_TRUE(client->RecordLogin("acct", "u").ok());
  ASSERT_TRUE(client->RecordLogout().ok());
  ASSERT_TRUE(client->RecordLogin("acct", "u").ok());
  ASSERT_TRUE(FlushUntilDelivered(*client).ok());
  EXPECT_EQ(SessionEnds().size(), 1u);  // neither the ended session nor the logged-out one again
  EXPECT_EQ(Logins().size(), 3u);
}

// --------------------------------------------------------- record result ---

TEST(RecordResult, CarriesTheStatusAndConvertsToIt) {
  RecordResult ok;
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.code(), absl::StatusCode::kOk);
  RecordResult refused(absl::PermissionDeniedError("no consent"));
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.message(), "no consent");
  absl::Status as_status = refused;
  EXPECT_EQ(as_status, absl::PermissionDeniedError("no consent"));
  EXPECT_EQ(refused.status(), as_status);
  EXPECT_TRUE(absl::IsPermissionDenied(refused));
  EXPECT_EQ(refused, RecordResult(absl::PermissionDeniedError("no consent")));
}

TEST_F(AccountSwitchTest, RecordResultsKeepTheirCodesAndEveryRefusalIsCounted) {
  Options o = FlushOnlyOptions();
  o.attribute_allowlist = {"plan"};
  auto client = MakeClient(o);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->RecordLogin("acct", "u").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(client->RecordMilestone("m").code(), absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(client->RecordLogout().code() == absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(client->RecordLogout().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(client->RecordSessionEnd().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(client->RecordMilestone("m").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(client->RecordLogin("", "u").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->RecordLogin("acct", "u", std::string(200, 'x')).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->RecordMilestone("not a name").code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(Grant(*client, "acct", "u", Purpose::kUsageAnalytics).ok());
  ASSERT_TRUE(client->RecordLogin("acct", "u").ok());
  ASSERT_TRUE(client->RecordSessionEnd().ok());
  EXPECT_EQ(client->RecordSessionEnd().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(client->Shutdown(absl::Now() + absl::Seconds(5)).ok());
  EXPECT_EQ(client->RecordLogin("acct", "u").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(client->RecordMilestone("m").code(), absl::StatusCode::kFailedPrecondition);
  Stats s = client->GetStats();
  EXPECT_EQ(s.recorded, 2u);
  EXPECT_EQ(s.refused_no_consent, 3u);
  EXPECT_EQ(s.refused_no_session, 4u);
  EXPECT_EQ(s.refused_invalid, 3u);
  EXPECT_EQ(s.refused_shut_down, 2u);
  EXPECT_EQ(s.refused_storage, 0u);
  EXPECT_EQ(s.durable_timeouts, 0u);
}

}  // namespace
}  // namespace cairn
