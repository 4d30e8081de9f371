#ifndef CAIRN_TESTS_SUPPORT_COLLECTOR_FIXTURE_H_
#define CAIRN_TESTS_SUPPORT_COLLECTOR_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include "cairn/v1/batch.pb.h"
#include "collector_process.h"
#include "gtest/gtest.h"
#include "http_client.h"
#include "temp_dir.h"

namespace cairn::testing {

// A test fixture that owns one real cairn-collector on loopback over a
// SQLite file in a fresh temporary directory, the set-up the process suites
// share. Each suite derives from it and keeps its own key, defaults and
// helpers; a failed start, stop or request is a test failure, never a crash.
class CollectorFixture : public ::testing::Test {
 protected:
  // Stops the collector if one runs; an unclean exit fails the test.
  void TearDown() override;

  // Stops a running collector (a fatal failure unless it exits cleanly),
  // then starts a new one with `options`, on db_path_ when options.db_path
  // is empty. Costs a process start (tens of ms); on failure collector_
  // stays null and the test has a fatal failure.
  void StartCollectorWith(CollectorProcessOptions options);

  // Starts a collector (as StartCollectorWith) with `write_key`,
  // `admin_token` and alerts evaluated only on demand
  // (--alert-interval-minutes=0), then `extra_flags`; Call uses the token.
  void StartWithAdminToken(std::string write_key, std::string admin_token,
                           std::vector<std::string> extra_flags = {});

  // Request with the admin token of StartWithAdminToken as bearer.
  HttpResult Call(const std::string& method, const std::string& path, const std::string& body = "");

  // `method` `path` on the collector with `headers`; a transport failure
  // adds a test failure and returns an empty result (status 0).
  HttpResult Request(const std::string& method, const std::string& path,
                     const std::string& body = "", const std::vector<std::string>& headers = {});

  // POSTs `body` to /v1/batch with `key` as bearer, `type` and, unless
  // empty, `encoding`, after `headers`. Fails like Request.
  HttpResult PostBatchBody(const std::string& body, const std::string& key,
                           const std::string& type = "application/x-protobuf",
                           const std::string& encoding = "", std::vector<std::string> headers = {});

  // Posts `events` as one protobuf batch with `key`, expects 200 and
  // returns the collector's per-event answer (empty, with a test failure,
  // when the answer is not a BatchResponse).
  cairn::v1::BatchResponse PostEvents(std::vector<cairn::v1::Event> events, const std::string& key);

  TempDir dir_;
  std::string db_path_ = dir_.File("collector.db");
  std::unique_ptr<CollectorProcess> collector_;
  std::string admin_token_;
};

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_SUPPORT_COLLECTOR_FIXTURE_H_
