// TLS verification is on by default: the SDK refuses a collector whose
// certificate it cannot verify, and talks to it once its CA is trusted via
// Options::ca_bundle_path. The collector here is a small TLS server on
// loopback (OpenSSL) with a certificate made for the test.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "cairn/client.h"
#include "gtest/gtest.h"
#include "temp_dir.h"

namespace cairn {
namespace {

// Makes a self-signed certificate for `san` ("IP:127.0.0.1", "DNS:x") with the
// openssl command-line tool; returns false if it failed.
bool MakeCertificate(const std::string& dir, const std::string& name, const std::string& san) {
  std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=cairn-test"
      " -addext subjectAltName=" +
      san + " -keyout " + dir + "/" + name + ".key -out " + dir + "/" + name +
      ".pem >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

// Accepts TLS connections on 127.0.0.1 and answers every HTTP request with
// 200 and an empty BatchResponse.
class TlsCollector {
 public:
  TlsCollector(const std::string& cert, const std::string& key) {
    // SSL_write uses write(): a client that hangs up must not kill the test.
    signal(SIGPIPE, SIG_IGN);
    ctx_ = SSL_CTX_new(TLS_server_method());
    ok_ = ctx_ && SSL_CTX_use_certificate_file(ctx_, cert.c_str(), SSL_FILETYPE_PEM) == 1 &&
          SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM) == 1;
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = ok_ && bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
          listen(fd_, 8) == 0;
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TlsCollector() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
    SSL_CTX_free(ctx_);
  }
  bool ok() const { return ok_; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }
  int failed_handshakes() const { return failed_handshakes_; }

 private:
  void Serve() {
    while (true) {
      int conn = accept(fd_, nullptr, nullptr);
      if (conn < 0) return;
      SSL* ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, conn);
      if (SSL_accept(ssl) == 1) {
        while (AnswerOne(ssl)) {
        }
      } else {
        ++failed_handshakes_;
      }
      SSL_free(ssl);
      close(conn);
    }
  }

  // Reads one request (headers and Content-Length body) and answers it.
  bool AnswerOne(SSL* ssl) {
    std::string data;
    char buf[4096];
    size_t header_end;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
      int n = SSL_read(ssl, buf, sizeof(buf));
      if (n <= 0) return false;
      data.append(buf, static_cast<size_t>(n));
    }
    size_t length = 0;
    size_t at = data.find("Content-Length: ");
    if (at != std::string::npos) {
      std::string value = data.substr(at + 16, data.find("\r\n", at) - at - 16);
      if (!absl::SimpleAtoi(value, &length)) return false;
    }
    while (data.size() < header_end + 4 + length) {
      int n = SSL_read(ssl, buf, sizeof(buf));
      if (n <= 0) return false;
      data.append(buf, static_cast<size_t>(n));
    }
    ++requests_;
    const std::string answer =
        "HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n";
    return SSL_write(ssl, answer.data(), static_cast<int>(answer.size())) > 0;
  }

  SSL_CTX* ctx_ = nullptr;
  int fd_ = -1;
  int port_ = 0;
  bool ok_ = false;
  std::atomic<int> requests_{0};
  std::atomic<int> failed_handshakes_{0};
  std::thread thread_;
};

class TlsVerification : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(MakeCertificate(dir_.path(), "loopback", "IP:127.0.0.1"));
    ASSERT_TRUE(MakeCertificate(dir_.path(), "elsewhere", "DNS:collector.example.com"));
  }

  absl::Status DeliverOneEvent(const std::string& url, const std::string& ca_bundle) {
    Options o;
    o.collector_url = url;
    o.write_key = "tls-test-key";
    o.storage_dir = dir_.File("device-" + std::to_string(++devices_));
    o.ca_bundle_path = ca_bundle;
    auto client = Client::Create(o);
    if (!client.ok()) return client.status();
    ConsentRequest grant;
    grant.account_id = "acme";
    grant.user_id = "u";
    grant.purpose = consent::Purpose::kUsageAnalytics;
    grant.decision = consent::Decision::kGranted;
    grant.policy_version = "v1";
    absl::Status s = (*client)->SetConsent(grant);
    if (s.ok()) s = (*client)->RecordLogin("acme", "u");
    if (s.ok()) s = (*client)->Flush(absl::Now() + absl::Seconds(20));
    (*client)->Shutdown(absl::Now() + absl::Seconds(2)).IgnoreError();
    return s;
  }

  testing::TempDir dir_;
  int devices_ = 0;
};

TEST_F(TlsVerification, AnUntrustedCertificateIsRefusedByDefault) {
  TlsCollector server(dir_.File("loopback.pem"), dir_.File("loopback.key"));
  ASSERT_TRUE(server.ok());
  absl::Status s = DeliverOneEvent(server.url(), /*ca_bundle=*/"");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_EQ(server.requests(), 0);  // nothing was sent over the unverified channel
  EXPECT_GE(server.failed_handshakes(), 1);
}

TEST_F(TlsVerification, ATrustedCaFromOptionsIsAccepted) {
  TlsCollector server(dir_.File("loopback.pem"), dir_.File("loopback.key"));
  ASSERT_TRUE(server.ok());
  absl::Status s = DeliverOneEvent(server.url(), dir_.File("loopback.pem"));
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_GE(server.requests(), 1);
}

TEST_F(TlsVerification, ACertificateForAnotherHostIsRefusedEvenWhenItsCaIsTrusted) {
  TlsCollector server(dir_.File("elsewhere.pem"), dir_.File("elsewhere.key"));
  ASSERT_TRUE(server.ok());
  absl::Status s = DeliverOneEvent(server.url(), dir_.File("elsewhere.pem"));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_EQ(server.requests(), 0);
}

}  // namespace
}  // namespace cairn
