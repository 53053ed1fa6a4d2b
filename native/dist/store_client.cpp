// The protocol of dev.jnn.dist.TcpStore (see its class comment), client side: big-endian ints,
// length-prefixed strings and byte arrays, one request and one reply at a time.
#include "store_client.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace jnn {
namespace {

constexpr int32_t kMagic = 0x4A4E4E53;  // "JNNS", TcpStore.MAGIC
constexpr int32_t kVersion = 1;         // TcpStore.VERSION
constexpr uint8_t kSet = 1, kGet = 2, kWait = 4, kBye = 8;
constexpr uint8_t kOk = 0, kTimeout = 1, kError = 2;
// The store answers a wait when its timeout passes; the socket waits this much longer for the answer.
constexpr std::chrono::milliseconds kAnswerMargin{10000};

void put32(std::vector<char>& b, int32_t v) {
  uint32_t u = static_cast<uint32_t>(v);
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<char>((u >> s) & 0xff));
}

void put64(std::vector<char>& b, int64_t v) {
  uint64_t u = static_cast<uint64_t>(v);
  for (int s = 56; s >= 0; s -= 8) b.push_back(static_cast<char>((u >> s) & 0xff));
}

void putBytes(std::vector<char>& b, const char* p, size_t n) {
  put32(b, static_cast<int32_t>(n));
  b.insert(b.end(), p, p + n);
}

int32_t get32(const unsigned char* p) {
  return static_cast<int32_t>((uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]));
}

void setSocketTimeout(int fd, std::chrono::milliseconds t) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(t.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((t.count() % 1000) * 1000);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

}  // namespace

StoreClient::StoreClient(const std::string& host, int port, std::string prefix, std::chrono::milliseconds timeout)
    : host_(host), port_(port), prefix_(std::move(prefix)), timeout_(timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string portStr = std::to_string(port);
  int rc = getaddrinfo(host.c_str(), portStr.c_str(), &hints, &res);
  if (rc != 0) throw std::runtime_error("cannot resolve the store's host " + where() + ": " + gai_strerror(rc));
  int lastErr = 0;
  for (addrinfo* a = res; a != nullptr && fd_ < 0; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) { lastErr = errno; continue; }
    setSocketTimeout(fd, timeout_ + kAnswerMargin);
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      fd_ = fd;
    } else {
      lastErr = errno;
      close(fd);
    }
  }
  freeaddrinfo(res);
  if (fd_ < 0) throw std::runtime_error("cannot connect to the store at " + where() + ": " + std::strerror(lastErr));
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  std::vector<char> hello;
  put32(hello, kMagic);
  put32(hello, kVersion);
  put32(hello, -1);  // anonymous: not a rank's own connection
  put32(hello, -1);  // world size not checked
  put32(hello, -1);  // store generation not checked
  send(hello);
  unsigned char head[8];
  recv(head, sizeof head);
  if (get32(head) != kMagic || get32(head + 4) != kVersion) {
    close(fd_);
    fd_ = -1;
    throw std::runtime_error(where() + " is not a jnn store of protocol " + std::to_string(kVersion));
  }
  status("greeting");
}

StoreClient::~StoreClient() {
  if (fd_ < 0) return;
  try {
    setSocketTimeout(fd_, std::chrono::milliseconds(2000));
    send(std::vector<char>{static_cast<char>(kBye)});
    uint8_t ok;
    recv(&ok, 1);
  } catch (const std::exception&) {
    // the store is gone: nothing to say goodbye to
  }
  close(fd_);
}

std::string StoreClient::where() const { return host_ + ":" + std::to_string(port_); }

void StoreClient::send(const std::vector<char>& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("lost the connection to the store at " + where() + " (rank 0 gone?): " + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
}

void StoreClient::recv(void* dst, size_t n) {
  char* p = static_cast<char*>(dst);
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::recv(fd_, p + done, n - done, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) throw std::runtime_error("the store at " + where() + " closed the connection (rank 0 gone?)");
    if (r < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) throw std::runtime_error("the store at " + where() + " did not answer in time");
      throw std::runtime_error("lost the connection to the store at " + where() + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(r);
  }
}

uint8_t StoreClient::status(const char* what) {
  uint8_t s;
  recv(&s, 1);
  if (s == kError) {
    unsigned char len[4];
    recv(len, 4);
    int32_t n = get32(len);
    if (n < 0 || n > (1 << 20)) throw std::runtime_error(std::string("store protocol error in ") + what);
    std::string msg(static_cast<size_t>(n), '\0');
    recv(msg.data(), msg.size());
    throw std::runtime_error("the store at " + where() + " refused " + what + ": " + msg);
  }
  return s;
}

void StoreClient::set(const std::string& key, const std::vector<char>& data) {
  std::string k = prefix_ + key;
  std::vector<char> req{static_cast<char>(kSet)};
  putBytes(req, k.data(), k.size());
  putBytes(req, data.data(), data.size());
  send(req);
  if (status("set") != kOk) throw std::runtime_error("store set " + k + ": unexpected answer");
}

std::vector<char> StoreClient::get(const std::string& key) {
  std::string k = prefix_ + key;
  std::vector<char> req{static_cast<char>(kGet)};
  putBytes(req, k.data(), k.size());
  put64(req, timeout_.count());
  send(req);
  uint8_t s = status("get");
  if (s == kTimeout) throw std::runtime_error("store get timed out after " + std::to_string(timeout_.count()) + " ms: key " + k + " was never set");
  unsigned char len[4];
  recv(len, 4);
  int32_t n = get32(len);
  if (n < 0 || n > (64 << 20)) throw std::runtime_error("store protocol error in get " + k);
  std::vector<char> out(static_cast<size_t>(n));
  recv(out.data(), out.size());
  return out;
}

void StoreClient::wait(const std::vector<std::string>& keys) { wait(keys, timeout_); }

void StoreClient::wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) {
  std::vector<char> req{static_cast<char>(kWait)};
  put32(req, static_cast<int32_t>(keys.size()));
  for (const auto& key : keys) {
    std::string k = prefix_ + key;
    putBytes(req, k.data(), k.size());
  }
  put64(req, timeout.count());
  send(req);
  uint8_t s = status("wait");
  if (s == kOk) return;
  // timeout: the missing keys follow; Gloo's keys are the ranks' numbers
  unsigned char cnt[4];
  recv(cnt, 4);
  std::string missing;
  for (int32_t i = 0, m = get32(cnt); i < m; i++) {
    unsigned char len[4];
    recv(len, 4);
    int32_t n = get32(len);
    if (n < 0 || n > 4096) throw std::runtime_error("store protocol error in wait");
    std::string k(static_cast<size_t>(n), '\0');
    recv(k.data(), k.size());
    if (k.compare(0, prefix_.size(), prefix_) == 0) k = k.substr(prefix_.size());
    missing += (missing.empty() ? "" : ", ") + k;
  }
  throw std::runtime_error("timed out after " + std::to_string(timeout.count()) + " ms waiting for the Gloo address of rank(s) " + missing);
}

}  // namespace jnn
