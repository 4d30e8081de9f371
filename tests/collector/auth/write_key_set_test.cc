#include "auth/write_key_set.h"

#include <fstream>

#include "gtest/gtest.h"
#include "temp_dir.h"

namespace cairn::collector {
namespace {

TEST(CollectorWriteKeySetTest, VerifiesBearerHeader) {
  auto keys = WriteKeySet::FromKeys({"first-key-123", "second-key-456"});
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_TRUE(keys->VerifyAuthorization("Bearer first-key-123"));
  EXPECT_TRUE(keys->VerifyAuthorization("bearer second-key-456"));
  EXPECT_TRUE(keys->VerifyAuthorization("BEARER   first-key-123  "));
  EXPECT_FALSE(keys->VerifyAuthorization("Bearer first-key-12"));
  EXPECT_FALSE(keys->VerifyAuthorization("Bearer first-key-1234"));
  EXPECT_FALSE(keys->VerifyAuthorization("Basic first-key-123"));
  EXPECT_FALSE(keys->VerifyAuthorization("first-key-123"));
  EXPECT_FALSE(keys->VerifyAuthorization("Bearer "));
  EXPECT_FALSE(keys->VerifyAuthorization(""));
  EXPECT_TRUE(keys->Contains("second-key-456"));
  EXPECT_EQ(keys->size(), 2u);
}

TEST(CollectorWriteKeySetTest, RefusesWeakOrMalformedKeys) {
  EXPECT_FALSE(WriteKeySet::FromKeys({}).ok());
  EXPECT_FALSE(WriteKeySet::FromKeys({""}).ok());
  EXPECT_FALSE(WriteKeySet::FromKeys({"short"}).ok());
  EXPECT_FALSE(WriteKeySet::FromKeys({"has space inside"}).ok());
  EXPECT_FALSE(WriteKeySet::FromKeys({std::string("ctrl\x01key-long")}).ok());
  auto error = WriteKeySet::FromKeys({"good-key-123", "bad"});
  ASSERT_FALSE(error.ok());
  // The message names the position, never the key.
  EXPECT_EQ(std::string(error.status().message()).find("bad"), std::string::npos);
}

TEST(CollectorWriteKeySetTest, ReadsKeyFileWithCommentsAndBlankLines) {
  cairn::testing::TempDir dir;
  std::string path = dir.File("keys");
  std::ofstream(path) << "# production key\n\nkey-from-file-1\r\n  key-from-file-2  \n";
  auto keys = WriteKeySet::FromFile(path);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->size(), 2u);
  EXPECT_TRUE(keys->Contains("key-from-file-1"));
  EXPECT_TRUE(keys->Contains("key-from-file-2"));

  EXPECT_EQ(WriteKeySet::FromFile(dir.File("missing")).status().code(),
            absl::StatusCode::kNotFound);
  std::ofstream(dir.File("empty")) << "# nothing\n";
  EXPECT_FALSE(WriteKeySet::FromFile(dir.File("empty")).ok());
}

}  // namespace
}  // namespace cairn::collector
