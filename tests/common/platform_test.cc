// The platform seam (common/src/platform/platform.h) on this OS: locks,
// owner-only files and directories, positioned reads and writes, syncs,
// thread names and loopback literals. The test itself may call POSIX to
// check what the seam did.
#include "common/src/platform/platform.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <thread>

#include "gtest/gtest.h"
#include "scoped_umask.h"

namespace cairn::platform {
namespace {

using cairn::testing::ScopedUmask;

// A fresh directory under the system's temp dir, removed with its contents.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cairn-platform-XXXXXX");
    path_ = mkdtemp(pattern.data()) != nullptr ? pattern : "";
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

mode_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

class PlatformTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()) << "mkdtemp failed"; }
  ScratchDir dir_;
};

// ------------------------------------------------------------- locking ---

TEST_F(PlatformTest, ADirectoryLockedOnceIsRefusedASecondTimeUntilReleased) {
  absl::StatusOr<FileHandle> first = LockDirectory(dir_.path());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->is_open());

  absl::StatusOr<FileHandle> second = LockDirectory(dir_.path());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);

  first->Close();
  absl::StatusOr<FileHandle> third = LockDirectory(dir_.path());
  ASSERT_TRUE(third.ok()) << third.status();

  // A move keeps the lock: the moved-from handle closes nothing.
  FileHandle moved = *std::move(third);
  EXPECT_FALSE(third->is_open());
  EXPECT_EQ(LockDirectory(dir_.path()).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(PlatformTest, LockingAMissingDirectoryIsAStorageErrorNotAConflict) {
  absl::StatusOr<FileHandle> lock = LockDirectory(dir_.File("missing"));
  EXPECT_EQ(lock.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(lock.status().message().empty());
}

TEST_F(PlatformTest, TheLockCreatesNoFile) {
  absl::StatusOr<FileHandle> lock = LockDirectory(dir_.path());
  ASSERT_TRUE(lock.ok()) << lock.status();
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path()));
}

// --------------------------------------------------- owner-only files ---

TEST_F(PlatformTest, ACreatedDirectoryIsOwnerOnlyWhateverTheUmask) {
  ScopedUmask open_umask(0);
  const std::string sub = dir_.File("private");
  ASSERT_TRUE(CreateOwnerOnlyDirectory(sub).ok());
  EXPECT_EQ(ModeOf(sub), 0700u);
  EXPECT_TRUE(CreateOwnerOnlyDirectory(sub).ok()) << "an existing directory is no error";
  EXPECT_EQ(CreateOwnerOnlyDirectory(dir_.File("no/parent")).code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(PlatformTest, RestrictingADirectorySetsExactly0700) {
  const std::string wide = dir_.File("wide");
  const std::string narrow = dir_.File("narrow");
  ASSERT_EQ(mkdir(wide.c_str(), 0700), 0);
  ASSERT_EQ(chmod(wide.c_str(), 0777), 0);
  ASSERT_EQ(mkdir(narrow.c_str(), 0500), 0);  // narrower, but the owner cannot write
  ASSERT_TRUE(RestrictDirectoryToOwner(wide).ok());
  ASSERT_TRUE(RestrictDirectoryToOwner(narrow).ok());
  EXPECT_EQ(ModeOf(wide), 0700u);
  EXPECT_EQ(ModeOf(narrow), 0700u);
}

TEST_F(PlatformTest, RestrictingAFileOrAMissingPathAsADirectoryFails) {
  absl::StatusOr<FileHandle> file =
      OpenOwnerOnlyFile(dir_.File("f"), OpenMode::kCreateReadWrite, Links::kFollow);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(RestrictDirectoryToOwner(dir_.File("f")).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(RestrictDirectoryToOwner(dir_.File("missing")).code(), absl::StatusCode::kUnavailable);
}

TEST_F(PlatformTest, ACreatedFileIsOwnerOnlyAndAWiderOneIsNarrowed) {
  ScopedUmask open_umask(0);
  const std::string path = dir_.File("data");
  absl::StatusOr<FileHandle> created =
      OpenOwnerOnlyFile(path, OpenMode::kCreateReadWrite, Links::kRefuse);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(ModeOf(path), 0600u);

  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  absl::StatusOr<FileHandle> existing =
      OpenOwnerOnlyFile(path, OpenMode::kExistingReadOnly, Links::kRefuse);
  ASSERT_TRUE(existing.ok()) << existing.status();
  EXPECT_EQ(ModeOf(path), 0644u) << "opening alone changes no mode";
  ASSERT_TRUE(RestrictFileToOwner(*existing).ok());
  EXPECT_EQ(ModeOf(path), 0600u);
}

TEST_F(PlatformTest, OpeningAMissingFileReadOnlyIsNotFound) {
  absl::StatusOr<FileHandle> file =
      OpenOwnerOnlyFile(dir_.File("absent"), OpenMode::kExistingReadOnly, Links::kFollow);
  EXPECT_EQ(file.status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir_.File("absent")));
}

TEST_F(PlatformTest, ALinkIsRefusedOrFollowedAsAsked) {
  const std::string target = dir_.File("target");
  const std::string link = dir_.File("link");
  ASSERT_TRUE(OpenOwnerOnlyFile(target, OpenMode::kCreateReadWrite, Links::kFollow).ok());
  std::filesystem::create_symlink(target, link);
  EXPECT_EQ(OpenOwnerOnlyFile(link, OpenMode::kCreateReadWrite, Links::kRefuse).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(OpenOwnerOnlyFile(link, OpenMode::kExistingReadOnly, Links::kRefuse).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_TRUE(OpenOwnerOnlyFile(link, OpenMode::kExistingReadOnly, Links::kFollow).ok());
}

// ------------------------------------------------------- reads, writes ---

TEST_F(PlatformTest, WritesAndReadsAtAnOffsetAndReadsShortAtTheEnd) {
  absl::StatusOr<FileHandle> file =
      OpenOwnerOnlyFile(dir_.File("rw"), OpenMode::kCreateReadWrite, Links::kRefuse);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE(WriteAt(*file, 0, "hello world").ok());
  ASSERT_TRUE(WriteAt(*file, 6, "cairn").ok());

  char buf[16] = {};
  absl::StatusOr<size_t> n = ReadAt(*file, 0, buf, sizeof(buf));
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(std::string(buf, *n), "hello cairn");
  n = ReadAt(*file, 100, buf, sizeof(buf));
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 0u);
}

TEST_F(PlatformTest, WritingToAReadOnlyFileFails) {
  ASSERT_TRUE(OpenOwnerOnlyFile(dir_.File("ro"), OpenMode::kCreateReadWrite, Links::kRefuse).ok());
  absl::StatusOr<FileHandle> file =
      OpenOwnerOnlyFile(dir_.File("ro"), OpenMode::kExistingReadOnly, Links::kRefuse);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(WriteAt(*file, 0, "x").code(), absl::StatusCode::kUnavailable);
}

// -------------------------------------------------------- durability ---

TEST_F(PlatformTest, SyncsAFileAndADirectory) {
  absl::StatusOr<FileHandle> file =
      OpenOwnerOnlyFile(dir_.File("synced"), OpenMode::kCreateReadWrite, Links::kRefuse);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE(WriteAt(*file, 0, "durable").ok());
  EXPECT_TRUE(SyncFile(*file).ok());
  EXPECT_TRUE(SyncDirectory(dir_.path()).ok());
}

TEST_F(PlatformTest, SyncingAMissingDirectoryOrAClosedFileFails) {
  EXPECT_EQ(SyncDirectory(dir_.File("missing")).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(SyncFile(FileHandle()).code(), absl::StatusCode::kUnavailable);
}

// ------------------------------------------------------------- threads ---

// Names a thread of its own `name` and reads its name back, so the test
// binary's main thread keeps its name.
absl::StatusOr<std::string> NameOnOwnThread(std::string_view name) {
  absl::StatusOr<std::string> read;
  std::thread thread([&] {
    SetCurrentThreadName(name);
    read = CurrentThreadName();
  });
  thread.join();
  return read;
}

TEST(PlatformThreadTest, ANameSetIsReadBack) {
  absl::StatusOr<std::string> name = NameOnOwnThread("cairn-test");
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(*name, "cairn-test");
}

TEST(PlatformThreadTest, ALongNameIsCutToTheLongestEveryOsKeeps) {
  const std::string long_name = "cairn-a-very-long-thread-name";
  absl::StatusOr<std::string> name = NameOnOwnThread(long_name);
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(*name, long_name.substr(0, kMaxThreadName));
}

TEST(PlatformThreadTest, NamingOneThreadLeavesTheOthers) {
  absl::StatusOr<std::string> before = CurrentThreadName();
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_EQ(NameOnOwnThread("cairn-other").value_or(""), "cairn-other");
  EXPECT_EQ(CurrentThreadName().value_or(""), *before);
}

// ------------------------------------------------------------ addresses ---

TEST(PlatformAddressTest, LoopbackLiteralsInTheirSpellings) {
  for (const char* host : {"127.0.0.1", "127.255.3.4", "::1", "0:0:0:0:0:0:0:1", "::0:1"}) {
    EXPECT_TRUE(IsLoopbackLiteral(host)) << host;
  }
  for (const char* host : {"128.0.0.1", "10.0.0.1", "::2", "::", "localhost",
                           "127.0.0.1.example.com", "127.1", "", "[::1]"}) {
    EXPECT_FALSE(IsLoopbackLiteral(host)) << host;
  }
}

}  // namespace
}  // namespace cairn::platform
