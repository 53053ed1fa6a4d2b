// A gloo::rendezvous::Store that is a client of jnn's Java store (dev.jnn.dist.TcpStore), speaking
// its protocol (documented there) over one TCP connection.
//
// Why a C++ client of the Java store rather than a Store whose set/get/wait call back into Java
// (JavaCPP FunctionPointer callbacks): connectFullMesh calls the store from deep inside Gloo's
// C++ frames, and a Java exception thrown in an upcall cannot unwind through them; a C++ client
// keeps the native side free of JNI (no upcalls, no thread attachment), its failures are plain C++
// exceptions that jnn_gloo_create turns into its error string, and the protocol is small (set, get
// with a timeout, wait for keys with a timeout).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <gloo/rendezvous/store.h>

namespace jnn {

class StoreClient : public gloo::rendezvous::Store {
 public:
  // Connects to host:port (the Java store serves already: every rank has checked in there), as an
  // anonymous client (rank -1), so closing this connection does not count as a lost rank. Keys are
  // prefixed with `prefix`. `timeout` bounds every wait and every socket read.
  StoreClient(const std::string& host, int port, std::string prefix, std::chrono::milliseconds timeout);
  ~StoreClient() override;

  void set(const std::string& key, const std::vector<char>& data) override;
  std::vector<char> get(const std::string& key) override;
  void wait(const std::vector<std::string>& keys) override;
  void wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) override;

 private:
  void send(const std::vector<char>& bytes);
  void recv(void* dst, size_t n);
  uint8_t status(const char* what);
  std::string where() const;

  int fd_ = -1;
  std::string host_;
  int port_;
  std::string prefix_;
  std::chrono::milliseconds timeout_;
};

}  // namespace jnn
